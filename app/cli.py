"""python -m app ...: database, accounts, stats, servers. Every command takes --json and then
prints one JSON object as its last line."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time

from app.config import Config
from app.errors import EyrieError
from app.serving import CPU_ENV, SERVERS, THREADS, keep_to_cpus
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

    c = cmd(sub, "serve", "serve with waitress or granian (production)")
    c.add_argument("--role", choices=("ingest", "web", "all", "listen"), default="all",
                   help="listen: the StatsD/Graphite listeners, configured by EYRIE_STATSD, EYRIE_GRAPHITE,"
                        " EYRIE_LISTEN_ACCOUNT and EYRIE_FLUSH_INTERVAL")
    c.add_argument("--host", default="127.0.0.1")
    c.add_argument("--port", type=int, default=8000)
    c.add_argument("--threads", type=int, default=None,
                   help="Python threads serving requests (default: "
                        + ", ".join(f"{k} {v}" for k, v in THREADS.items()) + ")")
    c.add_argument("--server", choices=SERVERS, default=os.environ.get("EYRIE_SERVER") or SERVERS[0],
                   help="the HTTP server (default waitress, or EYRIE_SERVER); granian parses HTTP in Rust:"
                        " about twice the single posts per second (bench/README.md)")

    c = cmd(sub, "listen", "StatsD (UDP) and Graphite plaintext (TCP and UDP) listeners")
    c.add_argument("--statsd", metavar="HOST:PORT", help="StatsD over UDP, e.g. 127.0.0.1:8125")
    c.add_argument("--graphite", metavar="HOST:PORT", help="Graphite plaintext over TCP and UDP, e.g. 127.0.0.1:2003")
    c.add_argument("--account", metavar="EMAIL", help="every metric is this account's (default: the name's first"
                                                       " part is an account's metrics prefix token)")
    c.add_argument("--flush-interval", type=float, default=10.0, metavar="SECONDS")
    c.add_argument("--counter-pattern", action="append", metavar="GLOB",
                   help="Graphite paths stored as counters (repeatable), besides StatsD's count outputs")

    c = cmd(sub, "import", "import history: whisper files, StatHat export dumps, Eyrie downloads")
    c.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (*.wsp, *.json, *.csv below them)")
    c.add_argument("--account", metavar="EMAIL", required=True)
    c.add_argument("--kind", choices=("counter", "value"), default="value",
                   help="for dumps that do not say (StatHat's /x/ data, CSV without a kind column)")
    c.add_argument("--stat", metavar="NAME", help="the stat name for a CSV without a name column (default: its stem)")
    c.add_argument("--no-progress", action="store_true")
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
        if args.group == "listen":
            return _listen(args, db, config)
        if args.group == "import":
            return _import(args, db)
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
    from app.serving import serve, serve_granian
    from app.wsgi import create_app

    if args.role == "listen":
        return _listen(argparse.Namespace(
            statsd=os.environ.get("EYRIE_STATSD", "127.0.0.1:8125"),
            graphite=os.environ.get("EYRIE_GRAPHITE", "127.0.0.1:2003"),
            account=os.environ.get("EYRIE_LISTEN_ACCOUNT") or None,
            flush_interval=float(os.environ.get("EYRIE_FLUSH_INTERVAL", "10")),
            counter_pattern=None, json=False), db, config)
    if args.server not in SERVERS:  # argparse checks --server, not a default taken from EYRIE_SERVER
        raise SystemExit(f"EYRIE_SERVER={args.server!r}: use one of {', '.join(SERVERS)}")
    if cpus := os.environ.get(CPU_ENV):
        try:
            keep_to_cpus(cpus)
        except ValueError as exc:
            raise SystemExit(str(exc)) from None
    migrate(db)
    print(f"eyrie {args.role} listening on http://{args.host}:{args.port}/ ({args.server})", flush=True)
    if args.server == "granian":
        db.close()  # the worker process builds its own app and database after the fork
        serve_granian(args.role, args.host, args.port, args.threads or THREADS["granian"])
        return 0
    serve(create_app(args.role, config, db), args.host, args.port, args.threads or THREADS["waitress"],
          config.max_body_bytes)
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


def _listen(args, db: Database, config: Config) -> int:
    import asyncio

    from app.interactors.listeners import listener_account
    from app.listeners import plaintext
    from app.listeners.server import Listener, parse_addr

    if not args.statsd and not args.graphite:
        print("error: give --statsd HOST:PORT and/or --graphite HOST:PORT", file=sys.stderr)
        return 2
    if not args.flush_interval > 0:
        print("error: --flush-interval must be above 0", file=sys.stderr)
        return 2
    migrate(db)
    try:
        statsd_addr = parse_addr(args.statsd) if args.statsd else None
        graphite_addr = parse_addr(args.graphite) if args.graphite else None
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    account = listener_account(db, args.account) if args.account else None
    listener = Listener(db, statsd_addr=statsd_addr, graphite_addr=graphite_addr, account=account,
                        flush_interval=args.flush_interval,
                        counter_patterns=plaintext.DEFAULT_COUNTER_PATTERNS + tuple(args.counter_pattern or ()),
                        limits=config.limits)

    def ready(bound):
        parts = [f"{k} {h}:{p}" for k, (h, p) in bound.items()]
        print(json.dumps({"listening": {k: f"{h}:{p}" for k, (h, p) in bound.items()}}) if args.json
              else "eyrie listening: " + ", ".join(parts), flush=True)

    counts = asyncio.run(listener.run(on_ready=ready))
    _out(args, {"stopped": True, **counts.as_dict()}, "eyrie listener stopped: " + json.dumps(counts.as_dict()))
    return 0


def _import(args, db: Database) -> int:
    from app.importers.run import run_import

    migrate(db)
    report = run_import(db, args.account, args.paths, int(time.time()), kind=args.kind, stat=args.stat,
                        progress=not args.no_progress and not args.json)
    if report["errors"]:
        for e in report["errors"]:
            print(f"error: {e}", file=sys.stderr)
        _out(args, report, f"nothing imported: {len(report['errors'])} bad file(s)")
        return 1
    _out(args, report, f"imported {report['series']} stats from {report['files']} files ({report['rows']} buckets)")
    return 0
