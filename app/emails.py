"""Email bodies from templates: partials/emails/<name>.txt and .html inside layouts/email.html.

A plain Jinja environment (no Flask), so the worker and interactors can render mail too.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, PrefixLoader, select_autoescape

from app.config import ROOT
from app.mail import Mail


@lru_cache(maxsize=1)
def env() -> Environment:
    return Environment(
        loader=PrefixLoader({
            "layouts": FileSystemLoader(str(ROOT / "layouts")),
            "partials": FileSystemLoader(str(ROOT / "partials")),
        }),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, to: str, subject: str, **ctx) -> Mail:
    e = env()
    text = e.get_template(f"partials/emails/{name}.txt").render(**ctx)
    html = e.get_template(f"partials/emails/{name}.html").render(subject=subject, **ctx)
    return Mail(to=to, subject=subject, text=text, html=html)
