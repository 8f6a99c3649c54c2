"""deploy/: the nginx template passes `nginx -t`, the systemd units pass `systemd-analyze verify`, a
release holds hashed and compressed static files its web app links to, and deploy/activate drives a
real supervisord: exactly the roles named, a restart onto the new release, a rollback. Migrations
run once although every process of a fresh server starts them at the same moment."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from app.config import ROOT
from app.storage.db import Database
from tests.support.mariadb import free_port, free_port_run

sys.path.insert(0, str(ROOT / "deploy"))
from eyrie_ops import activate as act  # noqa: E402
from eyrie_ops import release, render  # noqa: E402

NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
SUPERVISORD = shutil.which("supervisord")


@pytest.mark.skipif(not NGINX, reason="nginx is not installed (.ci/install-deps.sh installs it)")
def test_the_rendered_nginx_config_passes_nginx_t(tmp_path):
    conf = render.nginx(listen="127.0.0.1:18080", ingest_servers=["127.0.0.1:18101", "127.0.0.1:18102"],
                        web_servers=["127.0.0.1:18201"], root=ROOT, cache_dir=tmp_path / "cache")
    (tmp_path / "eyrie.conf").write_text(conf)
    (tmp_path / "tmp").mkdir()
    (tmp_path / "nginx.conf").write_text(render.nginx_main(prefix=tmp_path, include=tmp_path / "eyrie.conf"))
    done = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                           "-e", str(tmp_path / "error.log")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "server 127.0.0.1:18102 max_fails=1" in conf and "keepalive 32;" in conf
    assert "non_idempotent" not in conf.replace("non_idempotent is deliberately NOT", "")
    # And a broken one fails, so the check above means something.
    (tmp_path / "eyrie.conf").write_text(conf.replace("proxy_pass http://eyrie_web;", "proxy_pass http://nowhere;", 1))
    assert subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e",
                           str(tmp_path / "error.log")], capture_output=True).returncode != 0


def test_render_refuses_an_empty_upstream():
    with pytest.raises(ValueError):
        render.nginx(listen="80", ingest_servers=[], web_servers=["x:1"], root="/", cache_dir="/tmp")


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path):
    units = ROOT / "deploy" / "systemd"
    for unit in units.iterdir():
        # ExecStart must exist for verify: point the release path at this checkout's interpreter.
        text = unit.read_text().replace("/srv/eyrie/current/venv/bin/python", sys.executable)
        (tmp_path / unit.name).write_text(text)
    for instance in ("eyrie-ingest@8101.service", "eyrie-web@8201.service", "eyrie-worker@1.service",
                     "eyrie-listener@main.service", "eyrie.target"):
        done = subprocess.run(["systemd-analyze", "verify", str(tmp_path / instance)], capture_output=True, text=True)
        assert done.returncode == 0 and "Unknown" not in done.stderr, done.stderr
    assert "--role ingest --host 127.0.0.1 --port %i" in (units / "eyrie-ingest@.service").read_text()
    assert "--role web --host 127.0.0.1 --port %i" in (units / "eyrie-web@.service").read_text()
    assert "-m app serve --role listen" in (units / "eyrie-listener@.service").read_text()


def test_supervisor_environment_escapes_percent_and_quotes():
    line = render.supervisor_env({"EYRIE_DATABASE_URL": 'mysql://u:p%41"x@h/d', "EYRIE_A": "1"})
    assert line == 'EYRIE_A="1",EYRIE_DATABASE_URL="mysql://u:p%%41\\"x@h/d"'
    with pytest.raises(ValueError):
        render.supervisor_env({"BAD NAME": "x"})


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    out = tmp_path_factory.mktemp("releases")
    venv = Path(sys.prefix)
    return [release.build(out, venv=str(venv), name=name) for name in ("r1", "r2")]


def test_a_release_holds_hashed_gzipped_static_files_and_a_manifest(releases):
    rel = releases[0]
    manifest = json.loads((rel / "static" / "manifest.json").read_text())
    assert set(manifest) >= {"app.css", "app.js", "embed.js", "favicon.svg"}
    css = (ROOT / "static" / "app.css").read_bytes()
    hashed = rel / "static" / manifest["app.css"]
    assert hashed.name == release.hashed_name("app.css", css) and hashed.read_bytes() == css
    assert gzip.decompress((rel / "static" / (manifest["app.css"] + ".gz")).read_bytes()) == css
    assert gzip.decompress((rel / "static" / "embed.js.gz").read_bytes()) == (ROOT / "static" / "embed.js").read_bytes()
    assert (rel / "app" / "wsgi.py").is_file() and (rel / "db" / "mysql").is_dir() and (rel / "venv" / "bin").is_dir()
    assert json.loads((rel / "RELEASE").read_text())["name"] == "r1"
    assert not list(rel.parent.glob(".*building"))


def _env(db_url: str, var: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EYRIE_")}
    return env | {"EYRIE_DATABASE_URL": db_url, "EYRIE_VAR_DIR": str(var), "EYRIE_SECRET_KEY": "deploy-test"}


@pytest.mark.server
def test_the_release_web_app_links_its_hashed_static_names(releases, db_url, tmp_path):
    rel, port = releases[0], free_port()
    proc = subprocess.Popen([str(rel / "venv" / "bin" / "python"), "-m", "app", "serve", "--role", "web",
                             "--port", str(port)], cwd=rel, env=_env(db_url, tmp_path), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                page = requests.get(f"{url}/login", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.2)
        hashed = json.loads((rel / "static" / "manifest.json").read_text())["app.css"]
        assert f"/static/{hashed}" in page.text and '/static/app.css"' not in page.text
        assert requests.get(f"{url}/static/{hashed}", timeout=5).content == (ROOT / "static" / "app.css").read_bytes()
    finally:
        proc.terminate()
        proc.wait(20)


@pytest.fixture
def supervisord(tmp_path):
    if not SUPERVISORD:
        pytest.skip("supervisor is not installed (.ci/install-deps.sh installs it)")
    base = tmp_path / "srv"
    (base / "supervisor").mkdir(parents=True)
    sock = f"/tmp/eyrie-deploy-{os.getpid()}-{free_port()}.sock"
    conf = tmp_path / "supervisord.conf"
    conf.write_text(f"[unix_http_server]\nfile={sock}\n[supervisorctl]\nserverurl=unix://{sock}\n"
                    "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = "
                    "supervisor.rpcinterface:make_main_rpcinterface\n"
                    f"[supervisord]\nlogfile={tmp_path / 'supervisord.log'}\npidfile={tmp_path / 'supervisord.pid'}\n"
                    f"[include]\nfiles={base / 'supervisor'}/*.conf\n")
    subprocess.run([SUPERVISORD, "-c", str(conf)], check=True)
    ctl = ["supervisorctl", "-c", str(conf)]
    yield base, ctl
    pid = int((tmp_path / "supervisord.pid").read_text())
    os.kill(pid, 15)
    for _ in range(300):
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.1)


def _cwd(ctl, name: str) -> Path:
    pid = int(subprocess.run([*ctl, "pid", name], capture_output=True, text=True).stdout)
    return Path(os.readlink(f"/proc/{pid}/cwd"))


@pytest.mark.server
def test_activate_runs_exactly_the_named_roles_restarts_onto_a_new_release_and_rolls_back(
        releases, supervisord, db_url, tmp_path, monkeypatch):
    base, ctl = supervisord
    r1, r2 = releases
    first_port = free_port_run(8)   # activate numbers each role's ports in a row: ingest 4, then web 4
    monkeypatch.setattr(act, "FIRST_PORT", {"ingest": first_port, "web": first_port + 4})
    env = _env(db_url, tmp_path / "var")
    del env["EYRIE_SECRET_KEY"]

    # A fresh server: three processes start at once on an empty database; each runs the migrations.
    first = act.activate(r1, base, act.parse_roles("ingest:2,web:1"), ctl, env)
    assert first["not_running"] == [] and first["previous"] is None
    assert (base / "current").resolve() == r1.resolve()
    names = first["programs"]["ingest"] + first["programs"]["web"]
    assert len(names) == 3 and all(_cwd(ctl, n) == r1.resolve() for n in names)
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o777 == 0o600   # made once, before they started
    db = Database(db_url)
    try:
        versions = db.read(lambda tx: tx.all("SELECT version, COUNT(*) AS n FROM schema_migrations GROUP BY version"))
    finally:
        db.close()
    files = sorted((ROOT / "db" / ("mysql" if db.dialect == "mysql" else "sqlite")).glob("*.sql"))
    assert len(versions) == len(files) and {v["n"] for v in versions} == {1}

    # The next release, on a server that now runs web only: ingest stops, web restarts on r2.
    web = first["programs"]["web"][0]
    old_pid = subprocess.run([*ctl, "pid", web], capture_output=True, text=True).stdout
    second = act.activate(r2, base, act.parse_roles("web:1"), ctl, env)
    assert second["not_running"] == [] and second["restarted"] == [web]
    assert Path(second["previous"]) == r1.resolve() and (base / "previous").resolve() == r1.resolve()
    status = subprocess.run([*ctl, "status"], capture_output=True, text=True).stdout
    assert "eyrie-ingest" not in status and "RUNNING" in status
    assert _cwd(ctl, web) == r2.resolve()
    assert subprocess.run([*ctl, "pid", web], capture_output=True, text=True).stdout != old_pid

    # Rolling back is activating the previous directory.
    back = act.activate((base / "previous").resolve(), base, act.parse_roles("web:1"), ctl, env)
    assert back["current"] == str(r1.resolve()) and _cwd(ctl, web) == r1.resolve()


def test_roles_parse_counts_and_reject_unknown_ones():
    assert act.parse_roles("ingest,web") == {"ingest": 2, "web": 2}
    assert act.parse_roles("ingest:3\nworker:1 # comment") == {"ingest": 3, "worker": 1}
    with pytest.raises(SystemExit):
        act.parse_roles("ingest,render")


def test_forwarded_headers_are_believed_only_with_eyrie_proxy_hops():
    from werkzeug.test import Client

    from app.config import Config
    from app.wsgi import behind_proxies

    def echo(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [f"{environ['REMOTE_ADDR']} {environ['wsgi.url_scheme']} {environ['HTTP_HOST']}".encode()]

    forged = {"X-Forwarded-For": "203.0.113.9, 198.51.100.7", "X-Forwarded-Proto": "https",
              "X-Forwarded-Host": "stats.example.com"}
    assert Config.from_env(env={}).proxy_hops == 0
    plain = Client(behind_proxies(echo, Config.from_env(env={}).proxy_hops))
    assert plain.get("/", headers=forged, environ_base={"REMOTE_ADDR": "127.0.0.1"}).text == "127.0.0.1 http localhost"
    one = Client(behind_proxies(echo, Config.from_env(env={"EYRIE_PROXY_HOPS": "1"}).proxy_hops))
    # One hop: only the address nginx appended (the last) counts; a client's own claim does not.
    assert one.get("/", headers=forged, environ_base={"REMOTE_ADDR": "127.0.0.1"}).text == \
        "198.51.100.7 https stats.example.com"


@pytest.mark.skipif(not NGINX, reason="nginx is not installed (.ci/install-deps.sh installs it)")
def test_nginx_serves_a_releases_hashed_files_for_a_year_and_gzipped(releases, tmp_path):
    rel, port = releases[0], free_port()
    (tmp_path / "tmp").mkdir()
    (tmp_path / "eyrie.conf").write_text(render.nginx(
        listen=f"127.0.0.1:{port}", ingest_servers=[f"127.0.0.1:{free_port()}"],
        web_servers=[f"127.0.0.1:{free_port()}"], root=rel, cache_dir=tmp_path / "cache"))
    user = "root" if os.geteuid() == 0 else ""   # pytest's folders are private to their owner
    (tmp_path / "nginx.conf").write_text(render.nginx_main(prefix=tmp_path, include=tmp_path / "eyrie.conf",
                                                           user=user))
    proc = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e",
                             str(tmp_path / "error.log")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                requests.get(url + "/static/embed.js", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.1)
        hashed = json.loads((rel / "static" / "manifest.json").read_text())["app.css"]
        r = requests.get(f"{url}/static/{hashed}", headers={"Accept-Encoding": "gzip"}, timeout=5)
        assert r.status_code == 200 and r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert r.headers.get("Content-Encoding") == "gzip" and r.content == (ROOT / "static" / "app.css").read_bytes()
        plain = requests.get(f"{url}/static/embed.js", timeout=5)
        assert plain.headers["Cache-Control"] == "public, max-age=300"
        assert plain.content == (ROOT / "static" / "embed.js").read_bytes()
        # No process behind it: a page is a 502 from nginx, never a static file or a hang.
        assert requests.get(f"{url}/stats", timeout=5).status_code == 502
    finally:
        proc.terminate()
        proc.wait(10)


def test_supervisor_runs_the_listener_role_like_the_others():
    """A `listener` role (StatsD UDP + Graphite TCP/UDP) renders one program per port pair in its own
    group, and deploy/activate knows it by name."""
    conf = render.supervisor(current="/srv/eyrie/current", python="/srv/eyrie/current/venv/bin/python",
                             log_dir="/srv/eyrie/logs", env={"EYRIE_A": "1"}, ingest_ports=[8101],
                             listeners=act.listener_ports(2), listen_host="0.0.0.0")
    assert "[program:listener-8125]" in conf and "[program:listener-8126]" in conf
    assert "-m app listen --statsd 0.0.0.0:8125 --graphite 0.0.0.0:2003" in conf
    assert "[group:eyrie-listener]\nprograms=listener-8125,listener-8126" in conf
    assert act.parse_roles("ingest,listener") == {"ingest": 2, "listener": 1}
    assert act.programs({"listener": 1}) == {"listener": ["eyrie-listener:listener-8125"]}
    assert "[program:listener" not in render.supervisor(current="/c", python="/p", log_dir="/l", env={},
                                                        ingest_ports=[8101])
