"""A resolver for tests: chosen names answer chosen addresses (a list per lookup, to play DNS
rebinding); every other name goes to the real resolver. The machine may have no DNS at all."""

from __future__ import annotations

import socket


class FakeDns:
    def __init__(self, monkeypatch):
        self.answers: dict[str, list[list[str]]] = {}
        self.lookups: list[str] = []
        real = socket.getaddrinfo

        def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
            name = host.decode() if isinstance(host, bytes) else host
            if name not in self.answers:
                return real(host, port, family, type, proto, flags)
            self.lookups.append(name)
            queue = self.answers[name]
            addresses = queue.pop(0) if len(queue) > 1 else queue[0]
            return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "",
                     (a, int(port or 0), 0, 0) if ":" in a else (a, int(port or 0))) for a in addresses]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def set(self, name: str, *answers: list[str]) -> None:
        """Each lookup of name takes the next answer; the last one repeats."""
        self.answers[name] = [list(a) for a in answers]
