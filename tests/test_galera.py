"""Opt-in (EYRIE_TEST_GALERA=1, about a minute): Eyrie on a 3-node Galera cluster on loopback, set
up as deploy/README.md recommends: ONE writer node (EYRIE_DATABASE_URL), the others in sync as
hot standbys and for reads with wsrep_sync_wait=1. Checks that Eyrie's schema and ingest work on
Galera, that a point written through the writer is read at once on another node, and that after the
writer node goes away Eyrie pointed at the next node keeps accepting points, none lost.
Recipes and pitfalls: ../shared/research/scale-out.md section 2 (mariabackup SST; run as root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from app.interactors.accounts import create_account
from app.interactors.ingest import EzItem, record_ez
from app.storage.db import Database
from app.storage.migrate import migrate
from tests.conftest import NOW
from tests.support.mariadb import MariaDB, free_port

pytestmark = pytest.mark.skipif(os.environ.get("EYRIE_TEST_GALERA") != "1",
                                reason="opt-in: EYRIE_TEST_GALERA=1 runs a 3-node Galera cluster (about a minute)")
PROVIDER = "/usr/lib/galera/libgalera_smm.so"


class Node(MariaDB):
    def __init__(self, n: int, gcomm: list[int], sst: int, ist: int):
        super().__init__()
        self.n = n
        self.gcomm = gcomm
        addresses = ",".join(f"127.0.0.1:{p}" for p in gcomm)
        me = gcomm[n - 1]
        self.extra = [
            "--wsrep-on=ON", f"--wsrep-provider={PROVIDER}", "--wsrep-cluster-name=eyrie-test",
            f"--wsrep-node-name=g{n}",
            f"--wsrep-cluster-address=gcomm://{addresses}", f"--wsrep-node-address=127.0.0.1:{me}",
            f"--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:{me};ist.recv_addr=127.0.0.1:{ist};"
            "gcache.size=32M",
            "--wsrep-sst-method=mariabackup", f"--wsrep-sst-receive-address=127.0.0.1:{sst}",
            "--binlog-format=ROW", "--innodb-autoinc-lock-mode=2", f"--server-id={10 + n}"]
        self.bootstrap = False

    def _args(self) -> list[str]:
        # The base options without the larger buffer pool and connection limit of the test server:
        # three nodes share the machine (and the recipe in scale-out.md ran with these).
        base = [a for a in super()._args() if not a.startswith(("--innodb-buffer-pool-size", "--max-connections"))]
        return base + self.extra + (["--wsrep-new-cluster"] if self.bootstrap else [])

    def status(self, name: str) -> str:
        out = self.sql(f"SHOW STATUS LIKE '{name}'", check=False).stdout.split()
        return out[-1] if out else ""

    def start(self, timeout: float = 120) -> Node:
        try:
            super().start(timeout=60)
        except (subprocess.CalledProcessError, RuntimeError):
            # A joiner accepts connections before it is Synced (error 1047): wait for Synced instead.
            if self.proc is None or self.proc.poll() is not None:
                raise
        deadline = time.monotonic() + timeout
        while self.status("wsrep_local_state_comment") != "Synced":
            log = (self.base / "error.log").read_text()[-1500:]
            assert time.monotonic() < deadline and self.proc.poll() is None, f"node {self.n} not Synced: {log}"
            time.sleep(0.2)
        return self


@pytest.fixture(scope="module")
def galera():
    if not os.path.exists(PROVIDER):
        pytest.skip("galera-4 is not installed (it comes with mariadb-server)")
    if not shutil.which("mariabackup") and not shutil.which("mariadb-backup"):
        if os.geteuid() != 0:
            pytest.skip("mariadb-backup is needed for SST: apt-get install -y mariadb-backup")
        subprocess.run(["apt-get", "install", "-y", "-qq", "mariadb-backup"], check=True, capture_output=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    gcomm = [free_port() for _ in range(3)]
    nodes = [Node(n, gcomm, free_port(), free_port()) for n in (1, 2, 3)]
    nodes[0].bootstrap = True
    try:
        for node in nodes:
            node.start()
        nodes[0].bootstrap = False
        nodes[0].sql("CREATE DATABASE eyrie")
        yield nodes
    finally:
        for node in reversed(nodes):
            node.destroy()


def causal_points(node: Node, account_id: int, name: str) -> float | None:
    """A read on another node that sees every write committed anywhere before it (wsrep_sync_wait=1)."""
    out = node.sql("SET SESSION wsrep_sync_wait=1; SELECT COALESCE(SUM(r.n), 0) FROM eyrie.rollups r"
                   f" JOIN eyrie.stats s ON s.id = r.stat_id WHERE s.account_id = {int(account_id)}"
                   f" AND s.name = '{name}' AND r.res = 60").stdout.split()
    return float(out[-1])


def test_eyrie_on_galera_with_one_writer_node_and_failover_to_the_next(galera):
    n1, n2, n3 = galera
    assert n1.status("wsrep_cluster_size") == "3"
    writer = Database(n1.url("eyrie"))
    try:
        assert migrate(writer)                          # every table has a primary key, as Galera needs
        acct = create_account(writer, "g@galera.test", "galera password 1", NOW)
        for i in range(20):
            record_ez(writer, acct.ezkey, [EzItem(stat="orders", count=1, t=NOW + i)], NOW + i)
            assert causal_points(n3, acct.id, "orders") == i + 1    # at once, on another node
    finally:
        writer.close()
    n1.stop()                                           # the writer node goes away
    deadline = time.monotonic() + 30
    while n2.status("wsrep_cluster_size") != "2":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    writer = Database(n2.url("eyrie"))                  # EYRIE_DATABASE_URL now names node 2
    try:
        assert migrate(writer) == []
        for i in range(20, 40):
            record_ez(writer, acct.ezkey, [EzItem(stat="orders", count=1, t=NOW + i)], NOW + i)
        assert causal_points(n3, acct.id, "orders") == 40
    finally:
        writer.close()
