"""Pages. (The full signed-in web app arrives with the web-app issue; this is the landing page.)"""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    return render_template("layouts/bare.html", title="Eyrie", body="Eyrie is running.")
