"""python -m app ...: database, accounts, stats, servers. Every command takes --json and then
prints one JSON object as its last line."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time

from app.config import Config
from app.errors import EyrieError
from app.storage.db import Database
from app.storage.migrate import migrate


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m app", description="Eyrie: StatHat-compatible stats")
    sub = p.add_subparsers(dest="group", required=True)

    def cmd(parent, name, help_):
        c = parent.add_parser(name, help=help_)
        c.add_argument("--json", action="store_true", help="print one JSON object as the last line")
        return c

    dbp = sub.add_parser("db", help="database").add_subparsers(dest="cmd", required=True)
    cmd(dbp, "migrate", "apply pending migrations")

    acc = sub.add_parser("account", help="accounts").add_subparsers(dest="cmd", required=True)
    c = cmd(acc, "create", "create an account")
    c.add_argument("email")
    c.add_argument("--password", required=True)
    c.add_argument("--timezone", default="UTC")

    st = sub.add_parser("stat", help="stats").add_subparsers(dest="cmd", required=True)
    c = cmd(st, "create", "create a stat")
    c.add_argument("email")
    c.add_argument("name")
    c.add_argument("--kind", choices=("counter", "value"), required=True)

    c = cmd(sub, "demo", "create the demo account with a week of sample data")

    c = cmd(sub, "worker", "background jobs: alert checks, notifications, reports, retention")
    c.add_argument("--once", action="store_true", help="run every job once and exit")

    c = cmd(sub, "serve", "serve with waitress (production)")
    c.add_argument("--role", choices=("ingest", "web", "all"), default="all")
    c.add_argument("--host", default="127.0.0.1")
    c.add_argument("--port", type=int, default=8000)
    c.add_argument("--threads", type=int, default=8)
    return p


def _out(args, obj: dict, text: str) -> None:
    print(json.dumps(obj) if args.json else text, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    config = Config.from_env()
    db = Database(config.database_url)
    now = int(time.time())
    try:
        if args.group == "serve":
            return _serve(args, config, db)
        if args.group == "worker":
            return _worker(args, config, db)
        migrate(db)
        if args.group == "db":
            _out(args, {"migrated": True}, "database is up to date")
        elif args.group == "account":
            from app.interactors.accounts import create_account

            acct = create_account(db, args.email, args.password, now, args.timezone).as_dict()
            _out(args, acct, f"created {acct['email']} ezkey={acct['ezkey']} ukey={acct['ukey']}")
        elif args.group == "stat":
            from app.interactors.stats import create_stat

            s = create_stat(db, args.email, args.name, args.kind, now)
            obj = {"id": str(s["id"]), "name": s["name"], "kind": s["kind"], "key": s["classic_key"],
                   "embed_key": s["embed_key"]}
            _out(args, obj, f"created stat {obj['id']} {obj['name']!r} key={obj['key']}")
        elif args.group == "demo":
            from app.interactors.demo import seed_demo

            r = seed_demo(db, now)
            _out(args, r, f"demo account {r['email']} / {r['password']}")
    except EyrieError as exc:
        print(json.dumps({"error": exc.msg}) if args.json else f"error: {exc.msg}", file=sys.stdout)
        return 1
    finally:
        db.close()
    return 0


def _serve(args, config: Config, db: Database) -> int:
    from app.serving import serve
    from app.wsgi import create_app

    migrate(db)
    app = create_app(args.role, config, db)
    print(f"eyrie {args.role} listening on http://{args.host}:{args.port}/", flush=True)
    serve(app, args.host, args.port, args.threads)
    return 0


def _worker(args, config: Config, db: Database) -> int:
    import signal

    from app.worker import Worker, run_once

    migrate(db)
    config = config.with_secret()  # the same secret as the web app: mail links are signed with it
    if args.once:
        summary = run_once(db, config, int(time.time()))
        _out(args, summary, "\n".join(f"{name}: {result}" for name, result in summary.items()))
        return 0
    worker = Worker(db, config)
    if config.self_monitor:
        from app.monitoring.monitor import SelfMonitor

        SelfMonitor(db, config.self_monitor, "worker", config.self_monitor_every).start()
    # SIGTERM and Ctrl-C let the current step finish, then the loop returns.
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    print("eyrie worker running", flush=True)
    worker.run_forever()
    _out(args, {"stopped": True, "rounds": worker.rounds}, "eyrie worker stopped")
    return 0
