"""A real Graphite 1.1.10 (carbon-cache + graphite-web under gunicorn) for the agreement test,
run from the virtualenv that ../shared/anchors/graphite-bench sets up (GRAPHITE_BENCH_DIR), with
its configuration written here into the test's folder, on free ports. Stopped by PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.support.mariadb import free_port

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def bench_venv() -> Path:
    base = Path(os.environ.get("GRAPHITE_BENCH_DIR") or ROOT / "var" / "graphite-bench")
    return base / ".venv"


# The same schemas and aggregation rules as graphite-bench: counters (bench.*) sum with an
# xFilesFactor of 0, everything else averages with 0.5; one-minute points for 7 days, hours for a year.
SCHEMAS = """[default]
pattern = .*
retentions = 1m:7d,1h:1y
"""
AGGREGATION = """[bench_counters]
pattern = ^bench\\.
xFilesFactor = 0
aggregationMethod = sum

[default_average]
pattern = .*
xFilesFactor = 0.5
aggregationMethod = average
"""


class Graphite:
    def __init__(self, folder: Path):
        self.venv = bench_venv()
        self.python = self.venv / "bin" / "python"
        self.dir = Path(folder)
        self.conf = self.dir / "conf"
        self.storage = self.dir / "storage"
        self.whisper = self.storage / "whisper"
        self.line_port, self.pickle_port, self.cache_port, self.web_port = (free_port() for _ in range(4))
        self.procs: list[subprocess.Popen] = []

    def _write_configs(self) -> None:
        for d in (self.conf, self.whisper, self.storage / "log" / "webapp", self.storage / "lists"):
            d.mkdir(parents=True, exist_ok=True)
        (self.conf / "carbon.conf").write_text(f"""[cache]
STORAGE_DIR = {self.storage}/
LOCAL_DATA_DIR = {self.whisper}/
WHITELISTS_DIR = {self.storage}/lists/
CONF_DIR = {self.conf}/
LOG_DIR = {self.storage}/log/
PID_DIR = {self.dir}/
DATABASE = whisper
USER =
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = inf
MAX_CREATES_PER_MINUTE = inf
LINE_RECEIVER_INTERFACE = {HOST}
LINE_RECEIVER_PORT = {self.line_port}
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = {HOST}
PICKLE_RECEIVER_PORT = {self.pickle_port}
CACHE_QUERY_INTERFACE = {HOST}
CACHE_QUERY_PORT = {self.cache_port}
LOG_UPDATES = False
LOG_CREATES = False
CACHE_WRITE_STRATEGY = sorted
WHISPER_AUTOFLUSH = False
ENABLE_TAGS = False
CARBON_METRIC_INTERVAL = 0
""")
        (self.conf / "storage-schemas.conf").write_text(SCHEMAS)
        (self.conf / "storage-aggregation.conf").write_text(AGGREGATION)
        (self.conf / "agree_local_settings.py").write_text(f"""SECRET_KEY = 'eyrie-agreement-test'
ALLOWED_HOSTS = ['127.0.0.1', 'localhost']
TIME_ZONE = 'UTC'
DEBUG = False
CONF_DIR = {str(self.conf)!r}
STORAGE_DIR = {str(self.storage)!r}
WHISPER_DIR = {str(self.whisper)!r} + '/'
STANDARD_DIRS = [WHISPER_DIR]
LOG_DIR = {str(self.storage)!r} + '/log/webapp'
INDEX_FILE = {str(self.storage)!r} + '/index'
CARBONLINK_HOSTS = ['{HOST}:{self.cache_port}:a']
TAGDB = 'graphite.tags.localdatabase.LocalDatabaseTagDB'
DATABASES = {{'default': {{'ENGINE': 'django.db.backends.sqlite3', 'NAME': {str(self.storage)!r} + '/graphite.db'}}}}
""")

    def _env(self) -> dict:
        env = dict(os.environ)
        env.update(GRAPHITE_ROOT=str(self.dir), GRAPHITE_CONF_DIR=str(self.conf),
                   GRAPHITE_STORAGE_DIR=str(self.storage), GRAPHITE_SETTINGS_MODULE="agree_local_settings",
                   DJANGO_SETTINGS_MODULE="graphite.settings",
                   PYTHONPATH=str(self.conf), PYTHONWARNINGS="ignore")
        return env

    def _start(self, name: str, cmd: list[str]) -> subprocess.Popen:
        log = open(self.dir / f"{name}.log", "w")
        proc = subprocess.Popen(cmd, env=self._env(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        self.procs.append(proc)
        return proc

    def _wait_port(self, port: int, proc: subprocess.Popen, name: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited: {(self.dir / (name + '.log')).read_text()[-2000:]}")
            try:
                socket.create_connection((HOST, port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{name} did not listen on {port}")

    def start(self) -> Graphite:
        self._write_configs()
        subprocess.run([str(self.python), "-m", "django", "migrate", "--noinput", "-v", "0"], env=self._env(),
                       check=True, capture_output=True)
        carbon = self._start("carbon", [str(self.python), str(self.venv / "bin" / "carbon-cache.py"),
                                        f"--config={self.conf / 'carbon.conf'}", "--nodaemon", "start"])
        self._wait_port(self.line_port, carbon, "carbon")
        self._wait_port(self.cache_port, carbon, "carbon")
        web = self._start("web", [str(self.venv / "bin" / "gunicorn"), "--bind", f"{HOST}:{self.web_port}",
                                  "--workers", "1", "--log-level", "warning", "graphite.wsgi:application"])
        self._wait_port(self.web_port, web, "web")
        return self

    def send(self, payload: bytes) -> None:
        with socket.create_connection((HOST, self.line_port)) as s:
            s.sendall(payload)

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(f"http://{HOST}:{self.web_port}{path}", timeout=60) as r:
            return r.read()

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.procs = []
