"""Graphite target expressions -> a small tree. Pure; raises TargetError with the position.

    expr   := call | path | number | string | true | false | none
    call   := NAME '(' [arg (',' arg)*] ')'
    arg    := NAME '=' expr | expr
    path   := characters other than ( ) , ' " and blanks ({a,b} may hold commas)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class TargetError(ValueError):
    pass


@dataclass(frozen=True)
class Path:
    pattern: str


@dataclass(frozen=True)
class Const:
    value: object


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


class _Parser:
    def __init__(self, text: str):
        self.s = text
        self.i = 0

    def error(self, msg: str):
        raise TargetError(f"{msg} at character {self.i + 1} of {self.s[:200]!r}")

    def ws(self):
        while self.i < len(self.s) and self.s[self.i] in " \t\r\n":
            self.i += 1

    def peek(self) -> str:
        self.ws()
        return self.s[self.i] if self.i < len(self.s) else ""

    def expr(self, depth: int = 0):
        if depth > 50:
            self.error("expression nested too deeply")
        c = self.peek()
        if not c:
            self.error("expected an expression")
        if c in "'\"":
            end = self.s.find(c, self.i + 1)
            if end < 0:
                self.error("unclosed string")
            value = self.s[self.i + 1:end]
            self.i = end + 1
            return Const(value)
        m = _NAME.match(self.s, self.i)
        if m:
            after = m.end()
            j = after
            while j < len(self.s) and self.s[j] in " \t":
                j += 1
            if j < len(self.s) and self.s[j] == "(":
                self.i = j + 1
                return self.call(m.group(0), depth)
        m = _NUMBER.match(self.s, self.i)
        if m and self._ends(m.end()):
            self.i = m.end()
            text = m.group(0)
            return Const(float(text) if any(ch in text for ch in ".eE") else int(text))
        start = self.i
        depth_b = 0
        while self.i < len(self.s):
            ch = self.s[self.i]
            if ch == "{":
                depth_b += 1
            elif ch == "}":
                depth_b -= 1
            elif depth_b <= 0 and (ch in "(),'\"" or ch.isspace()):
                break
            self.i += 1
        word = self.s[start:self.i]
        if not word:
            self.error(f"unexpected {self.s[self.i]!r}")
        low = word.lower()
        if low in ("true", "false"):
            return Const(low == "true")
        if low == "none":
            return Const(None)
        return Path(word)

    def _ends(self, j: int) -> bool:
        while j < len(self.s) and self.s[j] in " \t":
            j += 1
        return j >= len(self.s) or self.s[j] in ",)"

    def call(self, name: str, depth: int) -> Call:
        args, kwargs = [], {}
        if self.peek() == ")":
            self.i += 1
            return Call(name, (), {})
        while True:
            self.ws()
            keyword = None
            m = _NAME.match(self.s, self.i)
            if m:
                j = m.end()
                while j < len(self.s) and self.s[j] in " \t":
                    j += 1
                if self.s[j:j + 1] == "=" and self.s[j + 1:j + 2] != "=":
                    keyword = m.group(0)
                    self.i = j + 1
            value = self.expr(depth + 1)
            if keyword is not None:
                kwargs[keyword] = value
            elif kwargs:
                self.error("a positional argument after a keyword argument")
            else:
                args.append(value)
            c = self.peek()
            if c == ",":
                self.i += 1
                continue
            if c == ")":
                self.i += 1
                return Call(name, tuple(args), kwargs)
            self.error("expected , or )")


def parse_target(text: str):
    p = _Parser(text)
    node = p.expr()
    if p.peek():
        p.error("unexpected text after the expression")
    return node


def first_path(node) -> str | None:
    """The first path expression in a tree (what aliasByNode and friends read a name from)."""
    if isinstance(node, Path):
        return node.pattern
    if isinstance(node, Call):
        for a in node.args:
            found = first_path(a)
            if found:
                return found
    return None


def paths_in(node) -> list[str]:
    if isinstance(node, Path):
        return [node.pattern]
    if isinstance(node, Call):
        out = []
        for a in list(node.args) + list(node.kwargs.values()):
            out += paths_in(a)
        return out
    return []
