"""Graphite path patterns: `*` and `?` within one node, `[0-9]` classes, `{a,b}` lists. Pure."""

from __future__ import annotations

import re
from functools import lru_cache

WILDCARDS = set("*?[{")


def has_wildcard(pattern: str) -> bool:
    return any(c in WILDCARDS for c in pattern)


def _node_regex(node: str) -> str:
    out, i = [], 0
    while i < len(node):
        c = node[i]
        if c == "*":
            out.append("[^.]*")
        elif c == "?":
            out.append("[^.]")
        elif c == "[":
            j = node.find("]", i + 1)
            if j < 0:
                out.append(re.escape(c))
            else:
                body = node[i + 1:j].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = j
        elif c == "{":
            j = node.find("}", i + 1)
            if j < 0:
                out.append(re.escape(c))
            else:
                out.append("(?:" + "|".join(_node_regex(p) for p in node[i + 1:j].split(",")) + ")")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def split_nodes(pattern: str) -> list[str]:
    """Split on dots outside {...} (a list item may hold no dot, but stay safe)."""
    nodes, depth, cur = [], 0, []
    for c in pattern:
        if c == "{":
            depth += 1
        elif c == "}":
            depth = max(0, depth - 1)
        if c == "." and depth == 0:
            nodes.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    nodes.append("".join(cur))
    return nodes


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> re.Pattern:
    """A regex matching whole metric paths with exactly as many nodes as the pattern."""
    return re.compile(r"\.".join(_node_regex(n) for n in split_nodes(pattern)) + r"\Z")


def match_paths(names, pattern: str) -> list[str]:
    """The names the pattern matches, sorted (as Graphite's finders list them)."""
    rx = compile_pattern(pattern)
    return sorted(n for n in names if rx.match(n))


def find_nodes(names, query: str) -> list[tuple[str, bool]]:
    """/metrics/find: (path, is_leaf) of every node at the query's depth. A path that is a stat and
    also has stats below it appears twice, once as a leaf and once as a branch."""
    depth = len(split_nodes(query))
    rx = compile_pattern(query)
    found: set[tuple[str, bool]] = set()
    for name in names:
        parts = name.split(".")
        if len(parts) < depth:
            continue
        prefix = ".".join(parts[:depth])
        if rx.match(prefix):
            found.add((prefix, len(parts) == depth))
    return sorted(found, key=lambda p: (p[0], p[1]))
