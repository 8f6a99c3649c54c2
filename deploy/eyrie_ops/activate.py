"""deploy/activate RELEASE: make RELEASE the running one on this server.

1. Point BASE/current at RELEASE (an atomic symlink swap); the previous target is remembered in
   BASE/previous. Rolling back = `deploy/activate BASE/releases/OLD` (or `--rollback`).
2. Write the supervisord programs for exactly the roles this server runs, from EYRIE_ROLES
   (e.g. `ingest,web` or `ingest:3,web:2,worker:1`) or else the file BASE/roles (same syntax, one
   or more lines), into BASE/supervisor/eyrie.conf (include it from supervisord's config; Debian:
   a symlink in /etc/supervisor/conf.d/). Environment: BASE/eyrie.env (KEY=VALUE lines) plus the
   caller's EYRIE_* settings; EYRIE_VAR_DIR defaults to BASE/var (shared by every release), where
   the secret key is made once unless EYRIE_SECRET_KEY is set.
3. supervisorctl reread + update: programs of roles no longer named stop, new ones start; then every
   program of a kept role restarts, one at a time, so nginx always has another process of the role
   to pass requests to. Each process runs pending migrations at start (safe from several at once).
With systemd the same roles map to eyrie-ingest@PORT etc. (deploy/systemd/); this script drives
supervisord, the shape of machines without systemd.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from eyrie_ops import render

FIRST_PORT = {"ingest": 8101, "web": 8201}
DEFAULT_COUNT = {"ingest": 2, "web": 2, "worker": 2}
GROUP = {"ingest": "eyrie-ingest", "web": "eyrie-web", "worker": "eyrie-worker"}


def parse_roles(text: str) -> dict[str, int]:
    roles: dict[str, int] = {}
    text = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    for part in re.split(r"[,\s]+", text.strip()):
        if not part:
            continue
        name, _, count = part.partition(":")
        if name not in DEFAULT_COUNT:
            raise SystemExit(f"activate: unknown role {name!r} (ingest, web, worker)")
        try:
            roles[name] = int(count) if count else DEFAULT_COUNT[name]
        except ValueError:
            raise SystemExit(f"activate: bad count in {part!r}") from None
    return roles


def read_env(path: Path) -> dict[str, str]:
    env = {}
    if path.exists():
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, _, value = line.partition("=")
                env[key.strip()] = value.strip()
    return env


def switch(base: Path, release: Path) -> Path | None:
    current = base / "current"
    old = current.resolve() if current.is_symlink() else None
    tmp = base / ".current.new"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(release)
    os.replace(tmp, current)        # rename(2): atomic, there is never no `current`
    if old is not None and old != release:
        prev = base / ".previous.new"
        prev.unlink(missing_ok=True)
        prev.symlink_to(old)
        os.replace(prev, base / "previous")
    return old


def _secret_once(var: Path) -> None:
    """Made here, before any process starts: processes starting together would each generate
    their own, and sessions signed by one web process would fail on the others."""
    import secrets

    var.mkdir(parents=True, exist_ok=True)
    path = var / "secret_key"
    if not path.exists():
        tmp = var / ".secret_key.new"
        tmp.write_text(secrets.token_urlsafe(48))
        tmp.chmod(0o600)
        os.replace(tmp, path)


def programs(roles: dict[str, int]) -> dict[str, list[str]]:
    out = {}
    for role, n in roles.items():
        names = [f"{role}-{FIRST_PORT[role] + i}" for i in range(n)] if role in FIRST_PORT else \
                [f"worker-{i + 1}" for i in range(n)]
        out[role] = [f"{GROUP[role]}:{name}" for name in names]
    return out


def activate(release: Path, base: Path, roles: dict[str, int], ctl: list[str], env: dict[str, str]) -> dict:
    release = release.resolve()
    if not (release / "app").is_dir() or not (release / "venv").exists():
        raise SystemExit(f"activate: {release} is not a release (no app/ or venv/)")
    base.mkdir(parents=True, exist_ok=True)
    (base / "logs").mkdir(exist_ok=True)
    old = switch(base, release)
    current = base / "current"
    app_env = {**read_env(base / "eyrie.env"), **{k: v for k, v in env.items() if k.startswith("EYRIE_")}}
    # State outlives releases: var/ (SQLite file, outbox, secret key) lives beside them, not in one.
    var = Path(app_env.setdefault("EYRIE_VAR_DIR", str(base / "var")))
    if not app_env.get("EYRIE_SECRET_KEY"):
        _secret_once(var)
    conf = base / "supervisor" / "eyrie.conf"
    conf.parent.mkdir(exist_ok=True)
    ports = {r: [FIRST_PORT[r] + i for i in range(n)] for r, n in roles.items() if r in FIRST_PORT}
    conf.write_text(render.supervisor(
        current=current, python=current / "venv" / "bin" / "python", log_dir=base / "logs", env=app_env,
        ingest_ports=ports.get("ingest", []), web_ports=ports.get("web", []),
        workers=range(1, roles.get("worker", 0) + 1)))

    def sv(*args: str) -> str:
        done = subprocess.run([*ctl, *args], capture_output=True, text=True)
        return done.stdout + done.stderr

    before = set(_program_names(sv("status")))
    sv("reread")
    sv("update")   # stops removed programs and groups, starts added ones (autostart)
    wanted = programs(roles)
    restarted = []
    for names in wanted.values():
        for name in names:
            if name in before:            # it ran the old code: restart it, one at a time
                sv("restart", name)
                restarted.append(name)
    status = sv("status")
    running = {n for n, state in _program_states(status).items() if state == "RUNNING"}
    missing = [n for names in wanted.values() for n in names if n not in running]
    if missing:
        time.sleep(3)   # startsecs: a program counts as started after 2 s
        running = {n for n, s in _program_states(sv("status")).items() if s == "RUNNING"}
        missing = [n for names in wanted.values() for n in names if n not in running]
    return {"current": str(release), "previous": str(old) if old else None, "programs": wanted,
            "restarted": restarted, "not_running": missing}


def _program_states(status: str) -> dict[str, str]:
    out = {}
    for line in status.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith("eyrie-"):
            out[parts[0]] = parts[1]
    return out


def _program_names(status: str) -> list[str]:
    return list(_program_states(status))


def main(argv=None) -> int:
    import json

    p = argparse.ArgumentParser(prog="deploy/activate", description=__doc__.split("\n\n")[0])
    p.add_argument("release", nargs="?", help="the release directory (default with --rollback: BASE/previous)")
    p.add_argument("--base", default=os.environ.get("EYRIE_BASE", "/srv/eyrie"),
                   help="where current, previous, roles, eyrie.env live (default /srv/eyrie or $EYRIE_BASE)")
    p.add_argument("--rollback", action="store_true", help="activate the previous release again")
    p.add_argument("--supervisorctl", default="supervisorctl",
                   help="the supervisorctl command, e.g. 'supervisorctl -c X'")
    args = p.parse_args(argv)
    base = Path(args.base)
    if args.rollback and not args.release:
        if not (base / "previous").is_symlink():
            raise SystemExit("activate: no previous release to roll back to")
        release = (base / "previous").resolve()
    elif args.release:
        release = Path(args.release)
    else:
        p.error("name a release directory, or --rollback")
    text = os.environ.get("EYRIE_ROLES") or ((base / "roles").read_text() if (base / "roles").exists() else "")
    roles = parse_roles(text)
    if not roles:
        raise SystemExit("activate: no roles: set EYRIE_ROLES=ingest,web,worker or write them to BASE/roles")
    result = activate(release, base, roles, args.supervisorctl.split(), dict(os.environ))
    print(json.dumps(result, indent=2))
    return 1 if result["not_running"] else 0


if __name__ == "__main__":
    sys.exit(main())
