"""Read an input folder into document records; every file and record is accounted for.

`scan_folder(root)` yields `Document` for what can be used and `Rejected` (with a named rule and a detail that
names the file/record and the problem) for everything else. Nothing raises for bad input: one bad file never stops
the others. Input fields never become paths, SQL or code: they are only ever stored as strings.

This module walks the folder and dispatches per file; the record types and metadata parsing are in records.py,
the JSON/JSONL readers in jsonrec.py, the HTML reader in html_pages.py (names re-exported here).
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterator

import yaml

from pipelines.core.ingest.decode import DecodeRejected, decode_bytes
from pipelines.core.ingest.html_pages import (  # noqa: F401 - re-exported
    _DTD_SUBSET,
    _read_html,
    html_dropped_lines,
    html_text_blocks,
)
from pipelines.core.ingest.jsonrec import _read_json, _read_jsonl
from pipelines.core.ingest.records import (  # noqa: F401 - re-exported: callers import them from readers
    DATE_FIELDS,
    PAYLOAD_CHARS,
    RULE_DATE_OUT_OF_RANGE,
    TEXT_FIELDS,
    TITLE_FIELDS,
    URL_FIELDS,
    Document,
    Flagged,
    Rejected,
    _document,
    clean_field,
    parse_timestamp,
    published_from,
)

SUPPORTED = {".txt": "txt", ".json": "json", ".jsonl": "jsonl", ".html": "html", ".htm": "html"}
_RULES = yaml.safe_load((Path(__file__).resolve().parents[2] / "rules" / "ingest.yaml").read_text())
ANCILLARY_STEMS = frozenset(s.lower() for s in _RULES["ancillary_file_stems"])
DEFAULT_MAX_BYTES = int(_RULES["max_bytes"])


def safe_relpath(path: Path, root: Path) -> str:
    r"""`path` relative to `root` as a str that is always valid Unicode.

    File names are bytes on POSIX; a name that is not UTF-8 (e.g. Latin-1 `caf\xe9.txt`) arrives as lone surrogates,
    which cannot be stored in Parquet/DuckDB. Undecodable bytes are written as `\xNN` escapes instead.
    """
    rel = path.relative_to(root).as_posix()
    return os.fsencode(rel).decode("utf-8", errors="backslashreplace")


def _iter_files(root: Path) -> Iterator[tuple[Path, str] | Rejected]:
    """Every entry below root (sorted, deterministic), without following directory symlinks.

    A directory that cannot be listed is reported (`unreadable_directory`), never skipped silently.
    """
    errors: list[OSError] = []

    def flush() -> Iterator[Rejected]:
        while errors:
            e = errors.pop(0)
            where = Path(e.filename) if e.filename else root
            rel = safe_relpath(where, root) if where != root and where.is_relative_to(root) else "."
            yield Rejected(rel, None, "unreadable_directory",
                           f"{rel}: cannot list directory ({e.strerror or e}); files inside it were not read")

    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=errors.append):
        yield from flush()
        dirpath_p = Path(dirpath)
        kept_dirs = []
        for d in sorted(dirnames):
            p = dirpath_p / d
            if p.is_symlink():
                rel = safe_relpath(p, root)
                yield Rejected(rel, None, "symlinked_directory",
                               f"{rel}: directory symlink not followed (avoids loops and escaping the input folder)")
            else:
                kept_dirs.append(d)
        dirnames[:] = kept_dirs
        for f in sorted(filenames):
            p = dirpath_p / f
            yield p, safe_relpath(p, root)
    yield from flush()


def scan_folder(root: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Document | Rejected]:
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"input folder {root} does not exist or is not a directory")
    root_real = root.resolve()
    for item in _iter_files(root):
        if isinstance(item, Rejected):
            yield item
            continue
        path, rel = item
        yield from read_file(path, rel, root_real=root_real, max_bytes=max_bytes)


def read_file(path: Path, rel: str, *, root_real: Path | None = None,
              max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Document | Rejected]:
    fmt = SUPPORTED.get(path.suffix.lower())
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError) as e:
            yield Rejected(rel, None, "broken_symlink", f"{rel}: symlink cannot be resolved ({type(e).__name__})")
            return
        if root_real is not None and not target.is_relative_to(root_real):
            yield Rejected(rel, None, "symlink_outside_input", f"{rel}: symlink points outside the input folder")
            return
    if path.stem.lower() in ANCILLARY_STEMS:
        yield Rejected(rel, None, "ancillary_file",
                       f"{rel}: '{path.name}' accompanies the corpus, it is not a news document (rules/ingest.yaml)")
        return
    if fmt is None:
        yield Rejected(rel, None, "unsupported_extension",
                       f"{rel}: extension '{path.suffix or '(none)'}' is not one of {sorted(SUPPORTED)}")
        return
    try:
        st = path.stat()
    except OSError as e:
        yield Rejected(rel, None, "unreadable_file", f"{rel}: {e.strerror or e}")
        return
    if not stat.S_ISREG(st.st_mode):
        # FIFOs, sockets and devices: reading them can block forever or never end.
        yield Rejected(rel, None, "not_a_regular_file", f"{rel}: not a regular file ({_file_kind(st.st_mode)})")
        return
    size = st.st_size
    if size > max_bytes:
        yield Rejected(rel, None, "file_too_large", f"{rel}: {size:,} bytes > limit {max_bytes:,}")
        return
    try:
        data = path.read_bytes()
    except OSError as e:
        yield Rejected(rel, None, "unreadable_file", f"{rel}: {e.strerror or e}")
        return
    if not data:
        yield Rejected(rel, None, "empty_file", f"{rel}: 0 bytes")
        return
    if fmt == "jsonl":
        yield from _read_jsonl(data, rel)
        return
    try:
        text, encoding = decode_bytes(data)
    except DecodeRejected as e:
        yield Rejected(rel, None, e.rule, f"{rel}: {e.detail}")
        return
    if not text.strip():
        yield Rejected(rel, None, "whitespace_only", f"{rel}: {len(data)} bytes of whitespace only")
        return
    if fmt == "txt":
        yield _document(rel, "txt", data, text, encoding)
    elif fmt == "html":
        yield from _read_html(data, text, rel, encoding)
    else:
        yield from _read_json(data, text, rel, encoding)


def _file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "named pipe"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device"), (stat.S_ISDIR, "directory")):
        if test(mode):
            return name
    return "special file"
