"""Render deploy/'s templates (nginx, supervisord) from plain settings."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

DEPLOY = Path(__file__).resolve().parent.parent

_env = Environment(loader=FileSystemLoader(str(DEPLOY)), undefined=StrictUndefined, keep_trailing_newline=True,
                   autoescape=False)


def nginx(*, listen: str, ingest_servers: list[str], web_servers: list[str], root: str | Path, cache_dir: str | Path,
          server_name: str = "_", max_body: str = "5m") -> str:
    if not ingest_servers or not web_servers:
        raise ValueError("nginx needs at least one ingest and one web server")
    return _env.get_template("nginx/eyrie.conf").render(
        listen=listen, ingest_servers=ingest_servers, web_servers=web_servers, root=str(root),
        cache_dir=str(cache_dir), server_name=server_name, max_body=max_body)


def nginx_main(*, prefix: str | Path, include: str | Path, workers: int = 1, user: str = "") -> str:
    """A whole nginx.conf for an nginx of our own (the local cluster), run in the foreground."""
    return _env.get_template("nginx/standalone.conf").render(prefix=str(prefix), include=str(include),
                                                             workers=workers, user=user)


def supervisor_env(env: Mapping[str, str]) -> str:
    """supervisord's environment= line: KEY="value",... with its %-expansion and quotes escaped."""
    parts = []
    for key in sorted(env):
        if not key.replace("_", "").isalnum():
            raise ValueError(f"bad environment name {key!r}")
        value = str(env[key]).replace("%", "%%").replace("\\", "\\\\").replace('"', '\\"')
        if "\n" in value:
            raise ValueError(f"{key} holds a newline")
        parts.append(f'{key}="{value}"')
    return ",".join(parts) or 'EYRIE_ROLE_FILE=""'


def supervisor(*, current: str | Path, python: str | Path, log_dir: str | Path, env: Mapping[str, str],
               ingest_ports=(), web_ports=(), workers=(), threads: int = 8, autostart: bool = True) -> str:
    return _env.get_template("supervisor/eyrie.conf").render(
        current=str(current), python=str(python), log_dir=str(log_dir), environment=supervisor_env(env),
        ingest_ports=list(ingest_ports), web_ports=list(web_ports), workers=list(workers), threads=threads,
        autostart="true" if autostart else "false")
