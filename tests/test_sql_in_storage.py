"""SQL lives in app/storage/ only: no other module of app/ holds a statement (docstrings aside)."""

from __future__ import annotations

import ast
import re

from app.config import ROOT
from app.interactors import health

SQL = re.compile(r"\bSELECT\s+(\d|\*|[\w.]+\s*(,|\bFROM\b|\bAS\b))|\bINSERT\s+(OR\s+\w+\s+)?INTO\b"
                 r"|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b|\b(CREATE|ALTER|DROP)\s+(TABLE|INDEX|VIEW)\b|\bPRAGMA\s+\w+|\bREPLACE\s+INTO\b")


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def sql_outside_storage() -> list[str]:
    found = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        if "storage" in path.relative_to(ROOT / "app").parts:
            continue
        tree = ast.parse(path.read_text(), str(path))
        skip = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
                if SQL.search(node.value):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]!r}")
    return found


def test_the_pattern_finds_sql_and_passes_prose():
    for sql in ("SELECT 1", "SELECT id, name FROM stats", "SELECT * FROM x", "INSERT INTO t VALUES (?)",
                "UPDATE stats SET name = ?", "DELETE FROM points", "CREATE TABLE t (a INT)", "PRAGMA journal_mode"):
        assert SQL.search(sql), sql
    for prose in ("Select a stat", "select the rows you want", "update the alert", "Delete this stat"):
        assert not SQL.search(prose), prose


def test_no_sql_outside_app_storage():
    assert sql_outside_storage() == []


def test_the_health_check_asks_the_database_through_storage(db):
    assert health.check(db) == {"status": "ok", "database": db.dialect}
