"""Run `python -m app serve` in a subprocess, as production does, for tests that need real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from app import serving
from tests.support.mariadb import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVERS = serving.SERVERS  # `python -m app serve --server ...`: tests about HTTP run under both


class EyrieServer:
    def __init__(self, database_url: str, var_dir: str, role: str = "all", env: dict | None = None,
                 threads: int = 8, server: str = "waitress", new_session: bool = False):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "EYRIE_DATABASE_URL": database_url, "EYRIE_VAR_DIR": var_dir,
                    "EYRIE_SECRET_KEY": "test-secret", **(env or {})}
        self.args = [sys.executable, "-m", "app", "serve", "--role", role, "--port", str(self.port),
                     "--threads", str(threads)]
        if server != "waitress":  # (an older checkout, run by a bench for an A/B, knows no --server)
            self.args += ["--server", server]
        self.log_path = Path(var_dir) / f"server-{self.port}.log"
        self.new_session = new_session  # its own process group, for a test that signals the group
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20) -> EyrieServer:
        Path(self.log_path).parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=self.new_session)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not come up: {self.log_path.read_text()[-3000:]}")

    @property
    def app_pid(self) -> int | None:
        """The process that runs the app: the server's own under waitress, granian's worker (its one
        child) under granian. Benches measure its CPU and memory."""
        return None if self.proc is None else app_pid_of(self.proc)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.proc:
            self._log.close()
        self.proc = None


def app_pid_of(proc: subprocess.Popen) -> int:
    """A server process's own pid under waitress, its one child's (the worker) under granian."""
    try:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    except OSError:
        children = []
    return int(children[0]) if children else proc.pid
