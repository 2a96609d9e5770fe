"""Build a complete DuckDB database file from in-memory tables (the caller renames it into place)."""
from __future__ import annotations

import os
from pathlib import Path

import duckdb
import polars as pl

# DuckDB's buffer pool while it loads the tables. Its default (80 % of RAM) let a 50x BBC publish take 1.3 GB of
# RSS; 512 MB costs no time there (its CREATE TABLE ... AS SELECT streams, and spills to <db>.tmp/ if it must).
# Override with $NEWSEVENTS_DUCKDB_MEMORY_LIMIT (a DuckDB size such as '1GB', or '' for DuckDB's default).
DEFAULT_MEMORY_LIMIT = "512MB"


def memory_limit() -> str | None:
    value = os.environ.get("NEWSEVENTS_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT).strip()
    return value or None


def build_duckdb(path: Path, tables: dict[str, pl.DataFrame | Path], *, comments: list[str], views: list[str]) -> None:
    """Create `path` (must not exist) holding one real table per frame or Parquet file, then COMMENT ON and CREATE
    VIEW statements. A Parquet file is loaded by DuckDB itself (streamed, never held whole in Python).

    Real tables (not views over Parquet) make the file self-contained: it opens from any working directory.
    DuckDB's memory is capped by memory_limit() while building (the setting is not stored in the file).
    """
    if path.exists():
        path.unlink()
    con = duckdb.connect(str(path))
    try:
        if (limit := memory_limit()) is not None:  # 1.5 GB -> 0.58 GB while loading the 50x tables, same time
            con.execute("SET memory_limit = ?", [limit])
        # each table committed on its own (an open transaction holding every table raised the 50x publish peak
        # from 1,064 to 1,306 MiB), then the ~200 view and COMMENT ON statements in one transaction
        for name, df in tables.items():
            if not name.isidentifier():
                raise ValueError(f"refusing table name {name!r}")
            if isinstance(df, (str, Path)):
                con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM read_parquet(?)', [str(df)])
                continue
            arrow = df.to_arrow()
            con.register("__incoming", arrow)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM __incoming')
            con.unregister("__incoming")
        con.execute("BEGIN TRANSACTION")
        for stmt in views:
            con.execute(stmt)
        for stmt in comments:
            con.execute(stmt)
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
    finally:
        con.close()
