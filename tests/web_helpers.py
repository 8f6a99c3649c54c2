"""Driving the web app like a browser: CSRF tokens from the page, a signed-in client."""

from __future__ import annotations

import re

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    m = _TOKEN.search(html)
    assert m, f"no CSRF token on {path}"
    return m.group(1) or m.group(2)


def login(client, email: str, password: str):
    token = csrf_token(client, "/login")
    r = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    return client


def post(client, path: str, data: dict | None = None, htmx: bool = False, token_from: str = "/settings"):
    token = csrf_token(client, token_from)
    headers = {"X-CSRFToken": token}
    if htmx:
        headers["HX-Request"] = "true"
    return client.post(path, data=data or {}, headers=headers)
