"""Development server: web + ingest in one process on one port, with the demo account.

Python changes restart the process (werkzeug's reloader, watchdog-based); templates are re-read
on every render. Production uses `python -m app serve` (waitress), which watches nothing.
"""

from __future__ import annotations

import os
import time

from werkzeug.serving import is_running_from_reloader, run_simple

from app.config import Config
from app.interactors.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
from app.storage.db import Database
from app.storage.migrate import migrate
from app.wsgi import Router


def build():
    config = Config.from_env(dev=True)
    db = Database(config.database_url)
    migrate(db)
    from app.ingest import create_ingest_app
    from app.web import create_web_app

    web = create_web_app(config, db)
    web.config["TEMPLATES_AUTO_RELOAD"] = True
    web.jinja_env.auto_reload = True
    return config, db, Router(web, create_ingest_app(config, db))


def main() -> None:
    host = os.environ.get("EYRIE_HOST", "127.0.0.1")
    port = int(os.environ.get("EYRIE_PORT", "8000"))
    config, db, app = build()
    if not is_running_from_reloader():
        seed_demo(db, int(time.time()))
        print(f"\n  Eyrie is running at http://{host}:{port}/\n  demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}\n",
              flush=True)
    run_simple(host, port, app, use_reloader=True, reloader_type="watchdog", threaded=True,
               extra_files=None, exclude_patterns=["*/layouts/*", "*/partials/*", "*/static/*", "*/var/*"])


if __name__ == "__main__":
    main()
