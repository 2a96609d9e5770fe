"""Build a complete DuckDB database file from in-memory tables (the caller renames it into place)."""
from __future__ import annotations

import contextlib
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


# ------------------------------------------------------------------ readers of the published database
# The publisher is the only writer of newsevents.duckdb: it builds a new file and renames it over the old one, and
# leaves it read-only (0444). An analyst session that opened the file read-write anyway (root ignores 0444) writes
# its changes to `newsevents.duckdb.wal`, a path-named file: once a newer database has been renamed into place that
# WAL belongs to the superseded file, and DuckDB refuses every later open ("WAL does not match database file").
# Such a WAL can only hold changes to a database that no longer exists: it is removed (drop_stale_wal).
STALE_WAL_MESSAGE = "WAL does not match"


def wal_path(db: Path) -> Path:
    return Path(f"{db}.wal")


def wal_is_stale(db: Path) -> bool:
    """True when `<db>.wal` exists and DuckDB refuses it as not belonging to `db` (a superseded database's WAL). A
    WAL of a live read-write session on this very database is not stale (its lock makes the probe fail otherwise)."""
    db = Path(db)
    if not wal_path(db).exists() or not db.exists():
        return False
    try:
        duckdb.connect(str(db), read_only=True).close()
    except duckdb.Error as e:
        return STALE_WAL_MESSAGE in str(e)
    return False


def drop_stale_wal(db: Path, *, superseded: bool = False) -> bool:
    """Remove `<db>.wal` when it belongs to a superseded database: always when `superseded` (the caller has just
    renamed a new database over `db`, so any WAL at the path was written against the old file), else when DuckDB
    rejects it (wal_is_stale). Returns True when a file was removed."""
    wal = wal_path(Path(db))
    if not wal.exists() or not (superseded or wal_is_stale(Path(db))):
        return False
    with contextlib.suppress(FileNotFoundError):
        wal.unlink()
        return True
    return False


def open_readonly(db: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a published database; a stale WAL left by an analyst's read-write session on a
    superseded file is removed first (it can hold nothing of this database)."""
    db = Path(db)
    try:
        return duckdb.connect(str(db), read_only=True)
    except duckdb.Error as e:
        if STALE_WAL_MESSAGE not in str(e) or not drop_stale_wal(db, superseded=True):
            raise
    return duckdb.connect(str(db), read_only=True)
