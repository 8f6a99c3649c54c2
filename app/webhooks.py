"""Outgoing webhooks: a JSON body signed with HMAC-SHA256, posted with short timeouts.

The receiver checks `X-Eyrie-Signature: sha256=<hex>` by computing the HMAC of the raw body with
the secret shown next to the alert in the UI (compare with hmac.compare_digest).
"""

from __future__ import annotations

import hashlib
import hmac
import json

import requests

TIMEOUT = 5.0
SIGNATURE_HEADER = "X-Eyrie-Signature"


class WebhookError(Exception):
    pass


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(sign(secret, body), header or "")


def encode(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def post(url: str, payload: dict, secret: str, *, timeout: float = TIMEOUT) -> None:
    """POST once; raise WebhookError unless the receiver answers 2xx. Redirects are not followed:
    a signed body should reach the address the user typed, or fail visibly."""
    body = encode(payload)
    headers = {"Content-Type": "application/json", "User-Agent": "Eyrie-Webhook/1",
               SIGNATURE_HEADER: sign(secret, body)}
    try:
        resp = requests.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        raise WebhookError(f"{type(exc).__name__}: {exc}"[:300]) from None
    if not 200 <= resp.status_code < 300:
        raise WebhookError(f"HTTP {resp.status_code}")
