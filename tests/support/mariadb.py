"""A throwaway MariaDB server for tests: its own datadir, port and socket; no systemd needed.

Used by the test session (EYRIE_TEST_DB=mariadb) and by the fault test, which stops and starts
a server of its own while clients are posting.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_run(n: int) -> int:
    """The first of n consecutive free ports, below the kernel's ephemeral range: a port the
    kernel hands out (free_port) is in that range, and the next one up may be taken meanwhile by
    any outgoing connection of the suite (deploy/activate numbers a role's ports in a row)."""
    import random

    try:
        low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    for _ in range(200):
        first = random.randrange(10000, max(low - n, 10001))
        socks = []
        try:
            for p in range(first, first + n):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return first
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError(f"no {n} free ports in a row")


class MariaDB:
    def __init__(self, port: int | None = None, base: str | None = None):
        if not shutil.which("mariadbd"):
            raise RuntimeError("mariadbd not found: install mariadb-server (make test does)")
        self.base = Path(base or tempfile.mkdtemp(prefix="eyrie-mdb-", dir="/tmp"))
        self.datadir = self.base / "data"
        self.socket = str(self.base / "s.sock")
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self._installed = False

    def _args(self) -> list[str]:
        args = ["mariadbd", "--no-defaults"]
        if os.geteuid() == 0:
            args.append("--user=root")
        return args + [
            f"--datadir={self.datadir}", f"--socket={self.socket}", f"--port={self.port}",
            "--bind-address=127.0.0.1", f"--pid-file={self.base / 'pid'}", f"--log-error={self.base / 'error.log'}",
            "--skip-name-resolve", "--innodb-log-file-size=16M", "--innodb-buffer-pool-size=256M",
            "--max-connections=500", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
        ]

    def start(self, timeout: float = 30) -> MariaDB:
        if not self._installed:
            cmd = ["mariadb-install-db", "--no-defaults", f"--datadir={self.datadir}",
                   "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve",
                   "--innodb-log-file-size=16M"]
            if os.geteuid() == 0:
                cmd.insert(2, "--user=root")
            with open(self.base / "install.log", "w") as log:
                subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT)
            self._installed = True
        self.proc = subprocess.Popen(self._args(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mariadbd exited: {(self.base / 'error.log').read_text()[-2000:]}")
            if self.sql("SELECT 1", check=False).returncode == 0:
                self.sql("CREATE USER IF NOT EXISTS 'eyrie'@'%' IDENTIFIED BY 'eyrie';"
                         " GRANT ALL ON *.* TO 'eyrie'@'%' WITH GRANT OPTION;")
                return self
            time.sleep(0.1)
        raise RuntimeError("mariadbd did not start in time")

    def sql(self, statement: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["mariadb", "--no-defaults", f"--socket={self.socket}", "-uroot", "-e", statement],
                              capture_output=True, text=True, check=check)

    def url(self, database: str) -> str:
        return f"mysql://eyrie:eyrie@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        self.sql(f"DROP DATABASE IF EXISTS `{name}`; CREATE DATABASE `{name}`")
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.sql(f"DROP DATABASE IF EXISTS `{name}`", check=False)

    def stop(self) -> None:
        if self.proc is None:
            return
        subprocess.run(["mariadb-admin", "--no-defaults", f"--socket={self.socket}", "-uroot", "shutdown"],
                       capture_output=True)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        """Stop abruptly, as a crash or an operator's kill would."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
