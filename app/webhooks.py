"""Outgoing webhooks: a JSON body signed with HMAC-SHA256, posted with short timeouts, to public
addresses only.

The receiver checks `X-Eyrie-Signature: sha256=<hex>` by computing the HMAC of the raw body with
the secret shown next to the alert in the UI (compare with hmac.compare_digest).

A webhook URL is typed by any user, so Eyrie must not be a way into the network it runs in (a port
scanner, or a proxy to 127.0.0.1 and the cloud metadata address). The host's addresses are checked
when the alert is saved and again at every send; the send connects to the very address that passed
(requests-hardened resolves once, filters, and pins that IP for the connection, keeping the Host
header, TLS SNI and certificate check on the name), so a DNS answer that changes in between (DNS
rebinding) reaches nothing inside. EYRIE_WEBHOOK_ALLOW_PRIVATE=1 lifts the rule, for receivers on
the operator's own network. Errors are generic: the user learns that a delivery failed, not what
answered on which port (the worker's log has the detail).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
from urllib.parse import urlparse

import requests
from requests_hardened import Config as HardenedConfig
from requests_hardened import HTTPSession
from requests_hardened.ip_filter import EXTRA_BLOCKED_NET_RANGES, InvalidIPAddress

log = logging.getLogger("eyrie.webhooks")
TIMEOUT = 5.0
SIGNATURE_HEADER = "X-Eyrie-Signature"
USER_AGENT = "Eyrie-Webhook/1"
# What the user is told (stored as the notification's last error, shown on the alerts page).
CONNECTION_FAILED = "could not deliver: connection failed"
NOT_ALLOWED = "could not deliver: the address is not a public one"


class WebhookError(Exception):
    """A failed delivery; the message is safe to show to the alert's owner."""


class PrivateAddress(WebhookError):
    """The URL's host is (or resolves to) a loopback, private, link-local or otherwise inside address."""


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(sign(secret, body), header or "")


def encode(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


# -- where a webhook may go ------------------------------------------------------------------------


def is_public(address: str) -> bool:
    """True for a globally routable unicast address. An IPv4-mapped IPv6 address (::ffff:a.b.c.d)
    is judged by the IPv4 address inside it; 6to4, Teredo, NAT64 and the like are refused outright."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])   # a zone id (fe80::1%eth0) is link-local anyway
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return is_public(str(ip.ipv4_mapped))
    if (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified or getattr(ip, "is_site_local", False) or not ip.is_global):
        return False
    return not any(ip in net for net in EXTRA_BLOCKED_NET_RANGES if net.version == ip.version)


def resolve(url: str) -> list[str]:
    """Every address the URL's host resolves to; PrivateAddress (generic) if it does not resolve."""
    parsed = urlparse(url)
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        infos = socket.getaddrinfo(parsed.hostname or "", port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:
        log.info("webhook host of %s does not resolve: %s", url, exc)
        raise PrivateAddress(NOT_ALLOWED) from None
    return sorted({info[4][0] for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)})


def check_destination(url: str, *, allow_private: bool = False) -> None:
    """Raise PrivateAddress unless every address of the URL's host is public (or private ones are allowed)."""
    if allow_private:
        return
    addresses = resolve(url)
    inside = [a for a in addresses if not is_public(a)]
    if inside or not addresses:
        log.warning("webhook %s refused: resolves to %s", url, ", ".join(inside) or "nothing")
        raise PrivateAddress(NOT_ALLOWED)


def _session(allow_private: bool, timeout: float) -> requests.Session:
    if allow_private:
        session = requests.Session()
    else:
        session = HTTPSession(HardenedConfig(ip_filter_enable=True, ip_filter_allow_loopback_ips=False,
                                             never_redirect=True, default_timeout=(timeout, timeout),
                                             user_agent_override=USER_AGENT))
    session.trust_env = False   # no proxy from the environment: the checked address is the one connected to
    return session


# -- sending ---------------------------------------------------------------------------------------


def post(url: str, payload: dict, secret: str, *, allow_private: bool = False, timeout: float = TIMEOUT) -> None:
    """POST once; raise WebhookError unless the receiver answers 2xx. Redirects are not followed:
    a signed body should reach the address the user typed, or fail visibly."""
    check_destination(url, allow_private=allow_private)
    body = encode(payload)
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, SIGNATURE_HEADER: sign(secret, body)}
    try:
        with _session(allow_private, timeout) as session:
            resp = session.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
    except InvalidIPAddress as exc:   # the address at connect time was not the public one checked above
        log.warning("webhook %s refused at connect: %s", url, exc)
        raise PrivateAddress(NOT_ALLOWED) from None
    except requests.RequestException as exc:
        log.warning("webhook %s failed: %s: %s", url, type(exc).__name__, exc)
        raise WebhookError(CONNECTION_FAILED) from None
    if not 200 <= resp.status_code < 300:
        raise WebhookError(f"could not deliver: HTTP {resp.status_code}")
