"""The session cookie, except on public answers.

Flask refreshes a permanent session's cookie on every response (SESSION_REFRESH_EACH_REQUEST). On an
answer a shared cache may keep (embeds and public stat pages are `Cache-Control: public`) that cookie
would be handed to the next visitor: a signed-in session given to strangers. So the answers that need
no session (embeds, public stat pages, shared dashboards, static files) never set or clear the
cookie, nor add `Vary: Cookie`, whoever asks. They never read the session either.
"""

from __future__ import annotations

from flask import request
from flask.sessions import SecureCookieSessionInterface

PUBLIC_BLUEPRINTS = frozenset({"embeds"})
PUBLIC_ENDPOINTS = frozenset({"static", "dashboards.shared", "dashboards.shared_tv", "dashboards.shared_tile"})


def is_public_answer() -> bool:
    endpoint = request.endpoint or ""
    return endpoint in PUBLIC_ENDPOINTS or endpoint.split(".", 1)[0] in PUBLIC_BLUEPRINTS


class PublicAwareSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app, request):
        # No cookie: an empty session, as Flask gives, without building the cookie's signer first
        # (an API request carries no cookie; the signer was a tenth of a trivial request's time).
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response) -> None:
        if is_public_answer():
            return
        super().save_session(app, session, response)
