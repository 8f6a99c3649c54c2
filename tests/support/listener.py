"""Run `python -m app listen` in a subprocess, as production does, on a test's database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class ListenerProcess:
    def __init__(self, database_url: str, var_dir, *args: str):
        self.env = {**os.environ, "EYRIE_DATABASE_URL": database_url, "EYRIE_VAR_DIR": str(var_dir),
                    "EYRIE_SECRET_KEY": "test-secret"}
        self.args = [sys.executable, "-m", "app", "listen", "--json", *args]
        self.log_path = Path(var_dir) / "listener.log"
        self.proc: subprocess.Popen | None = None
        self.statsd: tuple[str, int] | None = None
        self.graphite: tuple[str, int] | None = None

    def start(self) -> ListenerProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=self._log,
                                     text=True)
        line = self.proc.stdout.readline()  # the ready line, printed once every socket is bound
        if not line:
            self.proc.wait(timeout=10)
            raise RuntimeError(f"listener exited: {self.log_path.read_text()[-3000:]}")
        bound = json.loads(line)["listening"]
        for name in ("statsd", "graphite"):
            if name in bound:
                host, port = bound[name].rsplit(":", 1)
                setattr(self, name, (host, int(port)))
        return self

    def stop(self) -> dict:
        """SIGTERM (which flushes first); the final JSON summary."""
        if self.proc is None:
            return {}
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=30)
        self._log.close()
        self.proc = None
        return json.loads(out.strip().splitlines()[-1])

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
