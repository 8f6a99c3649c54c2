"""Render answers in graphite-web's shapes: json, csv, svg, png; find answers: treejson, completer.
Pure."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from app.graphite.series import TimeSeries


def _num(v):
    if v is None:
        return None
    f = float(v)
    return f if f == f and f not in (float("inf"), float("-inf")) else None


def render_json(series: list[TimeSeries]) -> str:
    try:  # the usual case: every value finite, written by json's C encoder as it is
        return json.dumps([{"target": s.name, "tags": s.tags, "datapoints": s.datapoints()} for s in series],
                          allow_nan=False)
    except ValueError:  # NaN or infinity somewhere (scale can overflow): null, as graphite-web writes NaN
        return json.dumps([{"target": s.name, "tags": s.tags, "datapoints": [(_num(v), t) for v, t in s.datapoints()]}
                           for s in series])


def render_csv(series: list[TimeSeries]) -> str:
    lines = []
    for s in series:
        for v, t in s.datapoints():
            stamp = datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S")
            name = f'"{s.name}"' if ("," in s.name or '"' in s.name) else s.name
            lines.append(f"{name},{stamp},{'' if v is None else repr(float(v))}")
    return "\r\n".join(lines) + ("\r\n" if lines else "")


def render_svg(series: list[TimeSeries], *, width: int, height: int, theme: str = "light",
               title: str | None = None) -> str:
    from app import graphs

    step = min((s.step for s in series), default=60)
    items = [graphs.Series(s.name, [(t, None if v is None else float(v)) for v, t in s.datapoints()], "value")
             for s in series]
    return graphs.render_graph(items, width=width, height=height, theme=theme, style="line", step=step,
                               title=title)


def render_png(series: list[TimeSeries], **kw) -> bytes:
    from app import graphs

    theme = kw.get("theme", "light")
    return graphs.svg_to_png(render_svg(series, **kw), background=None if theme == "dark" else "white")


def tree_json(nodes: list[tuple[str, bool]], query: str) -> list[dict]:
    base = query.rsplit(".", 1)[0] + "." if "." in query else ""
    seen, branches, leaves = set(), [], []
    for path, leaf in nodes:
        name = path.rsplit(".", 1)[-1]
        if name in seen:
            continue
        seen.add(name)
        node = {"text": name, "id": base + name}
        if leaf:
            node.update(allowChildren=0, expandable=0, leaf=1)
            leaves.append(node)
        else:
            node.update(allowChildren=1, expandable=1, leaf=0)
            branches.append(node)
    return branches + leaves


def completer(nodes: list[tuple[str, bool]]) -> dict:
    return {"metrics": [{"path": path + ("" if leaf else "."), "name": path.rsplit(".", 1)[-1],
                         "is_leaf": str(int(leaf))} for path, leaf in nodes]}
