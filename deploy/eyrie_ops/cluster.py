"""deploy/local-cluster up DIR / down DIR: the production shape on loopback, under ONE supervisord.

nginx on one port in front of N ingest and N web waitress processes, N workers, a MariaDB primary
and an asynchronous GTID replica (each its own datadir under DIR). Everything it starts is a
supervisord program, so `supervisorctl -c DIR/supervisord.conf status|pid|stop|start NAME` works
on each; DIR/cluster.json names them. `down` shuts supervisord down, which stops them all.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from eyrie_ops import render

ROOT = Path(__file__).resolve().parent.parent.parent  # the checkout (or release) the cluster runs
APT = {"nginx": "nginx", "supervisord": "supervisor", "supervisorctl": "supervisor", "mariadbd": "mariadb-server",
       "mariadb": "mariadb-client", "mariadb-install-db": "mariadb-server"}
DB_USER, DB_PASSWORD, DB_NAME = "eyrie", "eyrie", "eyrie"
# Kept by the cluster itself; every other EYRIE_* setting comes from the caller's environment.
OWN_SETTINGS = ("EYRIE_DATABASE_URL", "EYRIE_DATABASE_READ_URL", "EYRIE_VAR_DIR")


class ClusterError(Exception):
    pass


def _which(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")


def ensure_packages() -> None:
    """Install nginx, supervisor and MariaDB with apt when a binary is missing (needs root)."""
    missing = sorted({pkg for binary, pkg in APT.items() if _which(binary) is None})
    if not missing:
        return
    if os.geteuid() != 0:
        raise ClusterError(f"missing {', '.join(missing)}: apt-get install -y {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]
    if subprocess.run(cmd, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise ClusterError(f"apt-get install {' '.join(missing)} failed: {done.stderr[-500:]}")


def free_ports(n: int) -> list[int]:
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def _socket_path(d: Path) -> str:
    path = str(d / "s.sock")
    if len(path) < 100:  # a unix socket path must stay under 108 bytes
        return path
    return f"/tmp/eyrie-cluster-{secrets.token_hex(6)}.sock"


def _mariadbd(name: str, d: Path, port: int, sock: str, server_id: int, replica: bool) -> str:
    args = [_which("mariadbd"), "--no-defaults"]
    if os.geteuid() == 0:
        args.append("--user=root")
    args += [f"--datadir={d / 'data'}", f"--socket={sock}", f"--port={port}", "--bind-address=127.0.0.1",
             f"--pid-file={d / 'mariadbd.pid'}", f"--log-error={d / 'error.log'}", "--skip-name-resolve",
             "--innodb-log-file-size=32M", "--innodb-buffer-pool-size=128M", "--max-connections=500",
             "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
             f"--server-id={server_id}", "--log-bin=mysql-bin", "--binlog-format=ROW", "--log-slave-updates"]
    if replica:
        # The app user cannot write here; parallel apply keeps up better with several writers.
        args += ["--read-only", "--slave-parallel-threads=4", "--slave-parallel-mode=optimistic"]
    return " ".join(args)


def _install_db(d: Path) -> None:
    if (d / "data" / "mysql").is_dir():
        return
    d.mkdir(parents=True, exist_ok=True)
    cmd = [_which("mariadb-install-db"), "--no-defaults", f"--datadir={d / 'data'}",
           "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve",
           "--innodb-log-file-size=32M"]
    if os.geteuid() == 0:
        cmd.insert(2, "--user=root")
    with open(d / "install.log", "w") as log:
        if subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT).returncode != 0:
            raise ClusterError(f"mariadb-install-db failed, see {d / 'install.log'}")


def sql(sock: str, statement: str, check: bool = True, names: bool = False) -> subprocess.CompletedProcess:
    done = subprocess.run([_which("mariadb"), "--no-defaults", f"--socket={sock}", "-uroot", "-B",
                           *([] if names else ["-N"]), "-e", statement], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise ClusterError(f"SQL failed: {statement[:80]}: {done.stderr.strip()}")
    return done


def _wait(what: str, ready, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.1)
    raise ClusterError(f"{what} not ready after {timeout:.0f} s")


def http_ok(url: str, timeout: float = 2) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


class Cluster:
    def __init__(self, directory: str | Path):
        self.dir = Path(directory).resolve()
        self.conf = self.dir / "supervisord.conf"
        self.info_path = self.dir / "cluster.json"

    # -- supervisorctl -----------------------------------------------------------------------

    def ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([_which("supervisorctl"), "-c", str(self.conf), *args], capture_output=True, text=True)
        if check and done.returncode != 0:
            raise ClusterError(f"supervisorctl {' '.join(args)}: {done.stdout.strip()} {done.stderr.strip()}")
        return done

    def supervisord_running(self) -> bool:
        pid_file = self.dir / "supervisord.pid"
        try:
            os.kill(int(pid_file.read_text()), 0)
            return True
        except (OSError, ValueError):
            return False

    # -- up ----------------------------------------------------------------------------------

    def up(self, ingest: int = 2, web: int = 2, workers: int = 2, port: int = 0, env=None, threads: int = 8) -> dict:
        if self.supervisord_running():
            raise ClusterError(f"a cluster is already running in {self.dir}: deploy/local-cluster down {self.dir}")
        ensure_packages()
        env = dict(os.environ if env is None else env)
        self.dir.mkdir(parents=True, exist_ok=True)
        for sub in ("logs", "nginx/tmp", "nginx/cache", "var", "db"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        nginx_port, primary_port, replica_port, *app_ports = free_ports(3 + ingest + web)
        saved = self.dir / "db" / "ports.json"
        if saved.exists():
            # The replica's master.info names the primary's port: a DIR brought up again keeps it.
            primary_port, replica_port = json.loads(saved.read_text())
        saved.write_text(json.dumps([primary_port, replica_port]))
        if port:
            nginx_port = port
        ingest_ports, web_ports = app_ports[:ingest], app_ports[ingest:]
        primary_dir, replica_dir = self.dir / "db" / "primary", self.dir / "db" / "replica"
        primary_sock, replica_sock = _socket_path(primary_dir), _socket_path(replica_dir)
        _install_db(primary_dir)
        _install_db(replica_dir)

        url = f"http://127.0.0.1:{nginx_port}"
        primary_url = f"mysql://{DB_USER}:{DB_PASSWORD}@127.0.0.1:{primary_port}/{DB_NAME}"
        replica_url = f"mysql://{DB_USER}:{DB_PASSWORD}@127.0.0.1:{replica_port}/{DB_NAME}"
        secret = self.dir / "var" / "secret_key"
        if not secret.exists():
            secret.write_text(secrets.token_urlsafe(48))
            secret.chmod(0o600)
        app_env = {k: v for k, v in env.items() if k.startswith("EYRIE_") and k not in OWN_SETTINGS}
        app_env = {"EYRIE_SECRET_KEY": secret.read_text().strip(), "EYRIE_BASE_URL": url, "EYRIE_PROXY_HOPS": "1",
                   **app_env, "EYRIE_DATABASE_URL": primary_url, "EYRIE_DATABASE_READ_URL": replica_url,
                   "EYRIE_VAR_DIR": str(self.dir / "var")}

        ngx = self.dir / "nginx"
        (ngx / "eyrie.conf").write_text(render.nginx(
            listen=f"127.0.0.1:{nginx_port}", ingest_servers=[f"127.0.0.1:{p}" for p in ingest_ports],
            web_servers=[f"127.0.0.1:{p}" for p in web_ports], root=ROOT, cache_dir=ngx / "cache"))
        (ngx / "nginx.conf").write_text(render.nginx_main(
            prefix=ngx, include=ngx / "eyrie.conf", user="root" if os.geteuid() == 0 else ""))
        test = subprocess.run([_which("nginx"), "-t", "-q", "-p", str(ngx), "-c", str(ngx / "nginx.conf"),
                               "-e", str(ngx / "error.log")], capture_output=True, text=True)
        if test.returncode != 0:
            raise ClusterError(f"nginx -t: {test.stderr}")

        logs = self.dir / "logs"
        (self.dir / "eyrie.conf").write_text(render.supervisor(
            current=ROOT, python=sys.executable, log_dir=logs, env=app_env, ingest_ports=ingest_ports,
            web_ports=web_ports, workers=range(1, workers + 1), threads=threads, autostart=False))
        self.conf.write_text(self._supervisord_conf(
            nginx_cmd=f"{_which('nginx')} -p {ngx} -c {ngx / 'nginx.conf'} -e {ngx / 'error.log'}",
            primary_cmd=_mariadbd("primary", primary_dir, primary_port, primary_sock, 1, replica=False),
            replica_cmd=_mariadbd("replica", replica_dir, replica_port, replica_sock, 2, replica=True)))
        for stale in (primary_sock, replica_sock):
            Path(stale).unlink(missing_ok=True)
        done = subprocess.run([_which("supervisord"), "-c", str(self.conf)], capture_output=True, text=True)
        if done.returncode != 0:
            raise ClusterError(f"supervisord: {done.stderr.strip()}")

        _wait("primary", lambda: sql(primary_sock, "SELECT 1", check=False).returncode == 0)
        _wait("replica", lambda: sql(replica_sock, "SELECT 1", check=False).returncode == 0)
        self._replication(primary_sock, replica_sock, primary_port)
        self._migrate(app_env)

        programs = {"ingest": [f"eyrie-ingest:ingest-{p}" for p in ingest_ports],
                    "web": [f"eyrie-web:web-{p}" for p in web_ports],
                    "worker": [f"eyrie-worker:worker-{n}" for n in range(1, workers + 1)],
                    "primary": "primary", "replica": "replica", "nginx": "nginx"}
        groups = [g for g, names in (("eyrie-ingest:*", ingest_ports), ("eyrie-web:*", web_ports),
                                     ("eyrie-worker:*", range(workers))) if names]
        self.ctl("start", *groups)
        for p in ingest_ports + web_ports:
            _wait(f"process on port {p}", lambda p=p: http_ok(f"http://127.0.0.1:{p}/healthz"))
        _wait("nginx", lambda: http_ok(f"{url}/healthz") and http_ok(f"{url}/"))
        info = {"url": url, "supervisord_conf": str(self.conf), "programs": programs,
                "database_url": primary_url, "replica_url": replica_url,
                # Beyond the contract: what tests and bench/cluster.py need to look inside.
                "ports": {"nginx": nginx_port, "ingest": ingest_ports, "web": web_ports,
                          "primary": primary_port, "replica": replica_port},
                "sockets": {"primary": primary_sock, "replica": replica_sock},
                "logs": str(logs), "env": {k: v for k, v in app_env.items() if k != "EYRIE_SECRET_KEY"}}
        self.info_path.write_text(json.dumps(info, indent=2) + "\n")
        return info

    def _supervisord_conf(self, *, nginx_cmd: str, primary_cmd: str, replica_cmd: str) -> str:
        d, logs = self.dir, self.dir / "logs"
        sock = _socket_path(d).replace("s.sock", "supervisor.sock")

        def program(name: str, command: str, stopwait: int) -> str:
            return (f"[program:{name}]\ncommand={command}\nautostart=true\nautorestart=true\nstartsecs=1\n"
                    f"stopsignal=TERM\nstopwaitsecs={stopwait}\nredirect_stderr=true\n"
                    f"stdout_logfile={logs / name}.log\npriority=100\n")

        return "\n".join([
            "; deploy/local-cluster: one supervisord for the whole cluster (databases, nginx, Eyrie).",
            f"[unix_http_server]\nfile={sock}\nchmod=0700\n",
            "[rpcinterface:supervisor]\n"
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n",
            f"[supervisorctl]\nserverurl=unix://{sock}\n",
            f"[supervisord]\nlogfile={d / 'supervisord.log'}\npidfile={d / 'supervisord.pid'}\n"
            f"childlogdir={logs}\nidentifier=eyrie-local-cluster\n" + ("user=root\n" if os.geteuid() == 0 else ""),
            program("primary", primary_cmd, 60),
            program("replica", replica_cmd, 60),
            program("nginx", nginx_cmd, 10).replace("stopsignal=TERM", "stopsignal=QUIT"),
            f"[include]\nfiles={d / 'eyrie.conf'}\n",
        ])

    def _replication(self, primary_sock: str, replica_sock: str, primary_port: int) -> None:
        """Asynchronous GTID replication. The replica replays the primary's binlog from its start,
        so the app database and user reach it that way (it is read-only for them)."""
        sql(primary_sock, f"CREATE DATABASE IF NOT EXISTS {DB_NAME};"
                          f" CREATE USER IF NOT EXISTS '{DB_USER}'@'%' IDENTIFIED BY '{DB_PASSWORD}';"
                          f" GRANT ALL ON {DB_NAME}.* TO '{DB_USER}'@'%';"
                          " CREATE USER IF NOT EXISTS 'repl'@'127.0.0.1' IDENTIFIED BY 'repl';"
                          " GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1';")
        if sql(replica_sock, "SHOW SLAVE STATUS").stdout.strip():
            return  # configured by an earlier `up` on this DIR: it resumes by itself
        sql(replica_sock, "RESET MASTER; SET GLOBAL gtid_slave_pos='';"
                          f" CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={primary_port},"
                          " MASTER_USER='repl', MASTER_PASSWORD='repl', MASTER_USE_GTID=slave_pos,"
                          " MASTER_CONNECT_RETRY=1; START SLAVE;")
        _wait("replication", lambda: sql(replica_sock, f"SHOW DATABASES LIKE '{DB_NAME}'",
                                         check=False).stdout.strip() == DB_NAME)

    def _migrate(self, app_env: dict) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("EYRIE_")} | app_env
        done = subprocess.run([sys.executable, "-m", "app", "db", "migrate"], cwd=ROOT, env=env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise ClusterError(f"migrate failed: {done.stdout[-500:]} {done.stderr[-1500:]}")

    # -- down --------------------------------------------------------------------------------

    def down(self, timeout: float = 90) -> bool:
        """Stop every program, then supervisord itself. False when nothing was running."""
        if not self.supervisord_running():
            return False
        pid = int((self.dir / "supervisord.pid").read_text())
        os.kill(pid, 15)  # supervisord stops Eyrie first, then nginx and the databases (priority), cleanly
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except OSError:
                return True
            time.sleep(0.1)
        raise ClusterError(f"supervisord {pid} did not stop in {timeout:.0f} s")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="deploy/local-cluster", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="start the cluster in DIR and print cluster.json")
    up.add_argument("dir")
    up.add_argument("--ingest", type=int, default=2)
    up.add_argument("--web", type=int, default=2)
    up.add_argument("--workers", type=int, default=2)
    up.add_argument("--threads", type=int, default=8, help="waitress threads per process")
    up.add_argument("--port", type=int, default=0, help="nginx port (default: a free one)")
    down = sub.add_parser("down", help="stop everything the cluster in DIR started")
    down.add_argument("dir")
    args = p.parse_args(argv)
    cluster = Cluster(args.dir)
    try:
        if args.cmd == "up":
            if min(args.ingest, args.web) < 1 or args.workers < 0:
                p.error("--ingest and --web need at least 1, --workers at least 0")
            try:
                info = cluster.up(args.ingest, args.web, args.workers, port=args.port, threads=args.threads)
            except BaseException:
                cluster.down()
                raise
            print(json.dumps(info, indent=2))
        else:
            print("stopped" if cluster.down() else "nothing running", file=sys.stderr)
    except ClusterError as exc:
        print(f"local-cluster: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
