"""Domain errors. Interactors raise these; the HTTP layers map them to status codes."""

from __future__ import annotations


class EyrieError(Exception):
    status = 400

    def __init__(self, msg: str, **detail):
        super().__init__(msg)
        self.msg = msg
        self.detail = detail


class Invalid(EyrieError):
    status = 400


class Forbidden(EyrieError):
    status = 403


class NotFound(EyrieError):
    status = 404


class Conflict(EyrieError):
    status = 409


class TooLarge(EyrieError):
    status = 413


class RateLimited(EyrieError):
    status = 429


class Unavailable(EyrieError):
    """The database cannot be reached; nothing was written."""

    status = 503
