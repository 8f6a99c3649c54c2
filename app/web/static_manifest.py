"""Content-hashed static file names from a release (deploy/release writes static/manifest.json).

With a manifest, url_for('static', filename='app.css') gives /static/app.3f2a9c01d4e5.css, a name
nginx may cache for a year; without one (a checkout) the plain names are used."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask


def install(app: Flask, static_dir: Path) -> None:
    path = static_dir / "manifest.json"
    if not path.is_file():
        return
    manifest: dict[str, str] = json.loads(path.read_text())

    @app.url_defaults
    def _hashed(endpoint: str, values: dict) -> None:
        if endpoint == "static" and values.get("filename") in manifest:
            values["filename"] = manifest[values["filename"]]
