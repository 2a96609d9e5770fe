"""WAREHOUSE/manifest.json: the files of the current publish, and a reader that gets one consistent set of them.

Every publish swaps its files in one journal commit (pipelines/warehouse/journal.py Warehouse.publish), but the renames of a
commit happen one after another: for a few milliseconds a reader that globs `parquet/*/data.parquet` file by file
can see some new tables with some old ones. Who gets a consistent set:

- newsevents.duckdb: always (one file, renamed into place as a whole; an open connection keeps its snapshot).
- `read_consistent(warehouse)`: always. It reads the manifest, opens every file it names and checks each open file
  is the one the manifest names (inode and size, recorded at publish time); it then reads the open files and checks
  the manifest has not changed meanwhile. A mix retries. Open files keep their content after a later publish
  (files are only ever replaced by rename), so the frames it returns are one publish.
- Globbing the Parquet folders directly: every file is complete, but across tables the set can be mixed during
  that window. Use the DuckDB file or read_consistent when several tables must agree.

The manifest itself is renamed in the same commit (last), so it names exactly the files of the newest publish.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import polars as pl

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1


def file_entry(path: Path, final: str, **extra: Any) -> dict[str, Any]:
    """What the manifest records of a file about to be renamed to `final` (rename keeps inode and size)."""
    st = os.stat(path)
    return {"path": final, "inode": st.st_ino, "bytes": st.st_size, **extra}


def build_manifest(publish_id: str, tables: dict[str, dict], database: dict | None, reports: dict[str, dict]) -> dict:
    return {"version": MANIFEST_VERSION, "publish_id": publish_id, "tables": tables, "database": database,
            "reports": reports}


def read_manifest(warehouse: str | Path) -> dict | None:
    p = Path(warehouse) / MANIFEST_NAME
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


class InconsistentRead(RuntimeError):
    """read_consistent could not get one publish's files (publishes kept replacing them, or files are missing)."""


def read_consistent(warehouse: str | Path, tables: list[str] | None = None, *, attempts: int = 50,
                    columns: dict[str, list[str]] | None = None) -> tuple[dict[str, pl.DataFrame], dict]:
    """The published tables (all, or `tables`) as of one publish: ({table: frame}, manifest)."""
    root = Path(warehouse)
    last_problem = "no manifest.json (the warehouse was published by a version without one)"
    for attempt in range(attempts):
        m1 = read_manifest(root)
        if m1 is None:
            raise InconsistentRead(f"{root}: {last_problem}")
        wanted = list(m1["tables"]) if tables is None else tables
        missing = [t for t in wanted if t not in m1["tables"]]
        if missing:
            raise InconsistentRead(f"{root}: tables not published: {missing}")
        handles = {}
        try:
            ok = True
            for t in wanted:
                entry = m1["tables"][t]
                try:
                    fh = open(root / entry["path"], "rb")
                except FileNotFoundError:
                    ok, last_problem = False, f"{entry['path']} missing"
                    break
                handles[t] = fh
                st = os.fstat(fh.fileno())
                if (st.st_ino, st.st_size) != (entry["inode"], entry["bytes"]):
                    ok, last_problem = False, f"{entry['path']} is not the file of publish {m1['publish_id']}"
                    break
            if ok:
                frames = {t: pl.read_parquet(fh, columns=(columns or {}).get(t)) for t, fh in handles.items()}
                if read_manifest(root) == m1:
                    return frames, m1
                last_problem = "a publish replaced the manifest while reading"
        finally:
            for fh in handles.values():
                fh.close()
        time.sleep(min(0.5, 0.01 * (attempt + 1)))
    raise InconsistentRead(f"{root}: no consistent set after {attempts} attempts ({last_problem})")
