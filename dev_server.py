"""Development server: web + ingest + the worker in one process on one port.

- Templates and static files: watchdog sees a save and the open page reloads itself (SSE).
- A template error shows in the page and on the console; the server keeps running.
- Python changes restart the process (werkzeug's stat reloader); open pages reload after it.
- Mail without EYRIE_SMTP_URL lands in var/outbox, listed at /dev/outbox.
Production (`python -m app serve`) caches templates and watches nothing.
"""

from __future__ import annotations

import os
import time

from werkzeug.serving import is_running_from_reloader, run_simple

from app.config import ROOT, Config
from app.interactors.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
from app.storage.db import Database
from app.storage.migrate import migrate
from app.wsgi import Router


def build(config: Config | None = None, template_root=ROOT):
    """The dev app. `template_root` lets tests run it on a copy of layouts/, partials/ and static/."""
    from jinja2 import FileSystemLoader, PrefixLoader

    from app.ingest import create_ingest_app
    from app.web import create_web_app, dev

    config = config or Config.from_env(dev=True)
    db = Database(config.database_url)
    migrate(db)
    web = create_web_app(config, db)
    web.register_blueprint(dev.bp)
    web.jinja_loader = PrefixLoader({
        "layouts": FileSystemLoader(str(template_root / "layouts")),
        "partials": FileSystemLoader(str(template_root / "partials")),
    })
    web.static_folder = str(template_root / "static")
    web.config["TEMPLATES_AUTO_RELOAD"] = True
    web.jinja_env.auto_reload = True
    observer = dev.watch([str(template_root / d) for d in ("layouts", "partials", "static")])
    return config, db, Router(web, create_ingest_app(config, db)), observer


def main() -> None:
    host = os.environ.get("EYRIE_HOST", "127.0.0.1")
    port = int(os.environ.get("EYRIE_PORT", "8000"))
    config, db, app, _ = build()
    if is_running_from_reloader():
        # The worker runs where the app runs: in the reloader's child, restarted with it.
        from app.worker import start_thread

        start_thread(db, config.with_secret())
    else:
        seed_demo(db, int(time.time()))
        print(f"\n  Eyrie is running at http://{host}:{port}/\n  demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}\n",
              flush=True)
    # Python changes: werkzeug's stat reloader (it watches only loaded modules; its watchdog variant
    # watches all of sys.path recursively, .venv included, and overflows inotify). Templates and
    # static files: our own watchdog observer (app/web/dev.py).
    run_simple(host, port, app, use_reloader=True, reloader_type="stat", threaded=True,
               exclude_patterns=["*/layouts/*", "*/partials/*", "*/static/*", "*/var/*", "*/tests/*"])


if __name__ == "__main__":
    main()
