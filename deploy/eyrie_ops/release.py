"""deploy/release: build var/releases/TIMESTAMP, a directory that holds everything a server runs.

- the code (app/, db/, layouts/, partials/, deploy/, requirements) as committed plus local edits;
- venv/: a fresh virtualenv with the pinned runtime requirements (or, with --venv PATH, a symlink to
  an existing one, e.g. for tests);
- static/: every file also under a content-hashed name (app.3f2a9c01d4e5.css), each with a .gz
  beside it for nginx's gzip_static, and static/manifest.json mapping plain names to hashed ones;
  the web app's url_for('static', ...) uses the manifest when it is there;
- RELEASE: when and from which commit it was built.
Ship the directory to every server and run deploy/activate there.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
CODE = ("app", "db", "layouts", "partials", "static", "deploy")
FILES = ("requirements.txt", "pyproject.toml", "README.md", "Makefile")
COMPRESS = (".css", ".js", ".svg", ".json", ".html", ".txt", ".map")
HASH_LEN = 12


def hashed_name(name: str, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()[:HASH_LEN]
    stem, dot, ext = name.rpartition(".")
    return f"{stem}.{digest}.{ext}" if dot else f"{name}.{digest}"


def _gzip(path: Path) -> None:
    # mtime=0: the same file always compresses to the same bytes
    path.with_name(path.name + ".gz").write_bytes(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))


def build_static(static: Path) -> dict[str, str]:
    """Hash and compress every file under static/ in place; returns and writes the manifest."""
    manifest = {}
    for path in sorted(p for p in static.rglob("*") if p.is_file() and not p.name.endswith(".gz")):
        rel = path.relative_to(static).as_posix()
        hashed = path.with_name(hashed_name(path.name, path.read_bytes()))
        shutil.copyfile(path, hashed)
        manifest[rel] = hashed.relative_to(static).as_posix()
        if path.suffix in COMPRESS:
            _gzip(path)
            _gzip(hashed)
    (static / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


def _commit() -> str:
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return (done.stdout.strip() or "unknown") + (" (with local changes)" if dirty else "")


def build(out: Path, venv: str | None = None, name: str | None = None) -> Path:
    name = name or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    rel = out / name
    if rel.exists():
        raise SystemExit(f"release: {rel} exists")
    tmp = out / f".{name}.building"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules")
    for d in CODE:
        shutil.copytree(ROOT / d, tmp / d, ignore=ignore)
    for f in FILES:
        if (ROOT / f).exists():
            shutil.copy2(ROOT / f, tmp / f)
    build_static(tmp / "static")
    if venv:
        os.symlink(Path(venv).resolve(), tmp / "venv")
    else:
        subprocess.run([sys.executable, "-m", "venv", str(tmp / "venv")], check=True)
        subprocess.run([str(tmp / "venv" / "bin" / "python"), "-m", "pip", "install", "-q",
                        "--disable-pip-version-check", "-r", str(tmp / "requirements.txt")], check=True)
    (tmp / "RELEASE").write_text(json.dumps({"name": name, "built_at": int(time.time()), "commit": _commit()}) + "\n")
    tmp.rename(rel)   # a release directory is complete or absent
    return rel


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="deploy/release", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=str(ROOT / "var" / "releases"), help="where releases go (default var/releases)")
    p.add_argument("--venv", help="link this existing virtualenv instead of building one")
    p.add_argument("--name", help="release name (default: the UTC time, e.g. 20261201T201500Z)")
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(build(out, args.venv, args.name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
