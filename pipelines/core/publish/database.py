"""Build a complete DuckDB database file from in-memory tables (the caller renames it into place)."""
from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl


def build_duckdb(path: Path, tables: dict[str, pl.DataFrame | Path], *, comments: list[str], views: list[str]) -> None:
    """Create `path` (must not exist) holding one real table per frame or Parquet file, then COMMENT ON and CREATE
    VIEW statements. A Parquet file is loaded by DuckDB itself (streamed, never held whole in Python).

    Real tables (not views over Parquet) make the file self-contained: it opens from any working directory.
    """
    if path.exists():
        path.unlink()
    con = duckdb.connect(str(path))
    try:
        # one transaction: ~200 statements (tables, views, COMMENT ON) committed once, not each on its own
        # (measured on BBC: 0.21 s instead of 0.30 s)
        con.execute("BEGIN TRANSACTION")
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
        for stmt in views:
            con.execute(stmt)
        for stmt in comments:
            con.execute(stmt)
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
    finally:
        con.close()
