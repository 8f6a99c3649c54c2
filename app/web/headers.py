"""Security headers on every web answer (Flask-Talisman): no framing, no sniffing, a strict
Content-Security-Policy, and no Referer sent to other sites.

App pages: scripts only from static/ (no inline script, no eval: htmx's hx-on and trigger filters
are replaced by listeners in static/app.js); styles from static/ plus inline ones, which the
pygal SVGs drawn into pages (<style> per chart) and a few style attributes need. Embeds (/embed/...,
/s/...) are made to be put in other sites' pages: frameable by any origin, no X-Frame-Options. A
policy a view sets itself (the embed SVG's and iframe page's stricter CSP, the shared dashboards'
no-referrer) is kept.
"""

from __future__ import annotations

from flask import Flask, request
from flask_talisman import Talisman

APP_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
EMBED_CSP = {**APP_CSP, "frame-ancestors": "*"}
EMBED_VIEW_OPTIONS = {"frame_options": None, "content_security_policy": EMBED_CSP}
REFERRER_POLICY = "same-origin"   # links to other sites carry no Referer: URLs here can hold keys
PERMISSIONS_POLICY = {"browsing-topics": "()", "camera": "()", "microphone": "()", "geolocation": "()",
                      "payment": "()", "usb": "()"}
# Headers a view may set for itself, which then win over the app-wide ones.
VIEW_OWN = ("Content-Security-Policy", "Referrer-Policy")
FRAMEABLE_BLUEPRINTS = ("embeds",)


class _Talisman(Talisman):
    # The policies here are constants and use no nonce, so each one's header is built once instead
    # of on every answer (it was a tenth of a trivial request's time: bench/README.md, 2026-12-03).
    _built: dict[tuple, str] = {}

    def _parse_policy(self, policy):
        if not isinstance(policy, dict) or hasattr(request, "csp_nonce"):
            return super()._parse_policy(policy)
        key = tuple(policy.items())  # by content: a view's own dict, or one changed later, is built anew
        built = self._built.get(key)
        if built is None:
            if len(self._built) > 64:  # only constants are expected; never let it grow without end
                self._built.clear()
            built = self._built[key] = super()._parse_policy(policy)
        return built

    def _set_response_headers(self, response):
        own = {h: response.headers[h] for h in VIEW_OWN if h in response.headers}
        response = super()._set_response_headers(response)
        for header, value in own.items():
            response.headers[header] = value
        return response


def apply_headers(app: Flask, *, https: bool) -> Talisman:
    """Call once every blueprint is registered (embeds' views get their own options)."""
    talisman = _Talisman(
        app,
        force_https=False,                 # TLS ends at the proxy in front (see the README); base_url says which
        strict_transport_security=https,   # sent on https requests only (or X-Forwarded-Proto: https)
        session_cookie_secure=https,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        frame_options="DENY",
        content_security_policy=APP_CSP,
        referrer_policy=REFERRER_POLICY,
        permissions_policy=PERMISSIONS_POLICY,
        x_content_type_options=True,
    )
    for endpoint, view in app.view_functions.items():
        if endpoint.split(".", 1)[0] in FRAMEABLE_BLUEPRINTS:
            view.talisman_view_options = dict(EMBED_VIEW_OPTIONS)
    return talisman
