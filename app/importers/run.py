"""The import command's I/O: find the files, read each twice (check everything, then write), show
progress. One bad file stops the import before anything is written."""

from __future__ import annotations

from pathlib import Path

from app.errors import EyrieError
from app.importers import BadFile, Series, dumps, whisper_files

SUFFIXES = (".wsp", ".json", ".csv")


def discover(paths: list[str]) -> list[tuple[Path, Path | None]]:
    """(file, the folder it was found under, or None for a file named directly)."""
    found = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found += [(f, p) for f in sorted(p.rglob("*")) if f.is_file() and f.suffix.lower() in SUFFIXES]
        else:
            found.append((p, None))
    return found


def read_file(path: Path, root: Path | None, *, kind: str, stat: str | None) -> list[Series]:
    suffix = path.suffix.lower()
    if not path.is_file():
        raise BadFile(path, "no such file")
    if suffix == ".wsp":
        return [whisper_files.read(path, root)]
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadFile(path, f"cannot read it as UTF-8 text ({exc})") from None
    if suffix == ".json":
        return dumps.read_json(text, path, kind)
    if suffix == ".csv":
        name = stat or (".".join(path.relative_to(root).with_suffix("").parts) if root else path.stem)
        return dumps.read_csv(text, path, name, kind)
    raise BadFile(path, "unknown file type (expected .wsp, .json or .csv)")


def run_import(db, email: str, paths: list[str], now: int, *, kind: str = "value", stat: str | None = None,
               progress: bool = True) -> dict:
    from tqdm import tqdm

    from app.interactors.imports import check_series, import_account, import_series

    account = import_account(db, email)
    files = discover(paths)
    errors: list[str] = []
    owner: dict[str, Path] = {}
    for path, root in tqdm(files, desc="checking", unit="file", disable=not progress):
        try:
            for series in read_file(path, root, kind=kind, stat=stat):
                if series.name in owner and owner[series.name] != path:
                    raise BadFile(path, f"the stat {series.name!r} also comes from {owner[series.name]}")
                owner[series.name] = path
                try:
                    check_series(db, account, series, now)
                except EyrieError as exc:
                    raise BadFile(path, exc.msg) from None
        except BadFile as exc:
            errors.append(str(exc))
    report = {"files": len(files), "series": 0, "rows": 0, "errors": errors}
    if errors or not files:
        if not files:
            errors.append("no files to import (.wsp, .json or .csv)")
        return report
    with tqdm(total=len(files), desc="importing", unit="file", disable=not progress) as bar:
        for path, root in files:
            for series in read_file(path, root, kind=kind, stat=stat):
                report["rows"] += import_series(db, account, series, now)
                report["series"] += 1
            bar.update(1)
    return report
