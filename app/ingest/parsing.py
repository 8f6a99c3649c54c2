"""HTTP request -> ingest parameters, tolerant of what real StatHat clients send.

- POST merges the query string and the body (CFML and some Go clients put everything in the URL).
- Form bodies are parsed by hand: the npm and Lua clients send `stat=messages sent~a,b` unescaped.
- `Content-Type: application/json` on /ez is the bulk format.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import msgspec
from flask import Request

from app.errors import Invalid
from app.interactors.ingest import EzItem


def is_json(request: Request) -> bool:
    return (request.mimetype or "").endswith("json")


def params(request: Request) -> dict[str, str]:
    if request.method == "POST" and not is_json(request):
        if request.mimetype == "multipart/form-data":
            merged = merge_params(request.query_string, b"")
            merged.update(request.form.to_dict())
            return merged
        return merge_params(request.query_string, request.get_data(cache=True))
    return merge_params(request.query_string, b"")


def merge_params(query: bytes, body: bytes) -> dict[str, str]:
    """The query string, then an urlencoded body over it (pure: the fast path shares it)."""
    merged = dict(parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True))
    if body:
        merged.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return merged


def ezkey_of(p: dict) -> str | None:
    return p.get("ezkey") or p.get("email")  # `email` is the pre-2012 name, still sent by old clients


def single_item(p: dict) -> EzItem:
    return EzItem(stat=p.get("stat"), count=p.get("count"), value=p.get("value"), t=p.get("t"))


_decode = msgspec.json.Decoder().decode  # C: about 3x json.loads on a bulk body


def bulk(request: Request) -> tuple[str | None, list]:
    """(ezkey, data): the items as decoded, for record_ez_json."""
    body = request.get_data(cache=True) or b""
    try:
        doc = _decode(body)
    except RecursionError:
        raise Invalid("malformed JSON body: nested too deeply") from None
    except (msgspec.DecodeError, ValueError, UnicodeDecodeError):
        # The stdlib reads what msgspec refuses (NaN, Infinity, lone surrogates, huge integers):
        # the rules then judge those items one by one, as before.
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise Invalid("malformed JSON body") from None
        except RecursionError:  # the parser recurses per level: 100,000 nested arrays exhaust the stack
            raise Invalid("malformed JSON body: nested too deeply") from None
    if not isinstance(doc, dict):
        raise Invalid("the JSON body must be an object with ezkey and data")
    data = doc.get("data")
    if not isinstance(data, list):
        raise Invalid("data must be a list")
    query = dict(parse_qsl(request.query_string.decode("utf-8", "replace")))
    ezkey = doc.get("ezkey") or doc.get("email") or ezkey_of(query)
    return ezkey, data


def terse(p: dict, *, default: bool) -> bool:
    """StatHat's vb: vb=0 asks for the bodiless 204, vb=1 for the verbose 200; else the server's choice."""
    vb = (p.get("vb") or "").strip().lower()
    if vb in ("0", "false", "no"):
        return True
    if vb in ("1", "true", "yes"):
        return False
    return default
