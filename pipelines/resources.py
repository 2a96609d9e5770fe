"""Typed resources: where documents come from (InputFolder) and where tables go (Warehouse).

The Warehouse is the only writer of the public Parquet files and of newsevents.duckdb. Publishing is atomic per
file: each Parquet file and the DuckDB database are written to a temp file in the same folder and renamed over the
old one, so a reader sees either the previous or the new version, never a half-written one; a reader that holds the
old DuckDB file open keeps its snapshot (the old inode) and never blocks the writer.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path
from typing import Iterator

import duckdb
import polars as pl
from dagster import ConfigurableResource
from pydantic import Field

from pipelines.core.validate import QUARANTINE_SCHEMA, quarantine_frame

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "newsevents.duckdb"


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_parquet(df: pl.DataFrame, dest: Path) -> None:
    """Write `df` to `dest` via a temp file in the same folder + fsync + os.replace."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    try:
        df.write_parquet(tmp, compression="zstd", statistics=True)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


class InputFolder(ConfigurableResource):
    """The folder documents are read from (recursively). Unset: $NEWSEVENTS_INPUT, else the project's seeds/."""

    path: str | None = Field(default=None, description="Input folder; default $NEWSEVENTS_INPUT or <project>/seeds.")
    max_bytes: int | None = Field(default=None, description="Files larger than this are quarantined (default: rules/ingest.yaml).")

    def resolved_path(self) -> Path:
        raw = self.path or os.environ.get("NEWSEVENTS_INPUT") or str(PROJECT_ROOT / "seeds")
        return Path(raw).expanduser().resolve()


class Warehouse(ConfigurableResource):
    """Parquet + DuckDB output folder. Unset: $NEWSEVENTS_WAREHOUSE, else the project's warehouse/."""

    path: str | None = Field(default=None, description="Warehouse folder; default $NEWSEVENTS_WAREHOUSE or <project>/warehouse.")
    lock_timeout_s: float = Field(default=600.0, description="How long a publish waits for another run's publish to finish.")

    # ------------------------------------------------------------------ locations
    @property
    def root(self) -> Path:
        raw = self.path or os.environ.get("NEWSEVENTS_WAREHOUSE") or str(PROJECT_ROOT / "warehouse")
        root = Path(raw).expanduser().resolve()
        root.mkdir(parents=True, exist_ok=True)
        return root

    @property
    def stage_dir(self) -> Path:
        return self.root / "_stage"

    @property
    def db_path(self) -> Path:
        return self.root / DB_NAME

    def parquet_path(self, table: str) -> Path:
        return self.root / "parquet" / table / "data.parquet"

    # ------------------------------------------------------------------ staging (between assets)
    def stage_path(self, name: str) -> Path:
        return self.stage_dir / f"{name}.parquet"

    def write_stage(self, name: str, df: pl.DataFrame) -> Path:
        dest = self.stage_path(name)
        atomic_write_parquet(df, dest)
        return dest

    def read_stage(self, name: str) -> pl.DataFrame | None:
        """The last staged frame of an asset (e.g. the previous signature index), or None if never staged."""
        p = self.stage_path(name)
        return pl.read_parquet(p) if p.exists() else None

    def stage_quarantine(self, stage: str, rows: pl.DataFrame) -> None:
        """Replace the quarantine rows a stage produced (an empty frame clears them)."""
        atomic_write_parquet(rows.select([pl.col(c).cast(t) for c, t in QUARANTINE_SCHEMA.items()]), self.stage_dir / "quarantine" / f"{stage}.parquet")

    def collect_quarantine(self) -> pl.DataFrame:
        folder = self.stage_dir / "quarantine"
        parts = [pl.read_parquet(p) for p in sorted(folder.glob("*.parquet"))] if folder.exists() else []
        if not parts:
            return quarantine_frame()
        return pl.concat(parts, how="vertical").sort(["table_name", "source_uri", "record_key", "rule"], nulls_last=True)

    # ------------------------------------------------------------------ publishing
    @contextlib.contextmanager
    def publish_lock(self) -> Iterator[None]:
        """One publisher at a time per warehouse; a second one waits (up to lock_timeout_s) then fails clearly."""
        lock_file = self.root / ".publish.lock"
        with open(lock_file, "a+") as fh:
            deadline = time.monotonic() + self.lock_timeout_s
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"another newsevents run is publishing to {self.root} (lock {lock_file} held > {self.lock_timeout_s:.0f}s)")
                    time.sleep(0.2)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def publish(self, tables: dict[str, pl.DataFrame], *, comments: list[str] | None = None, views: list[str] | None = None) -> dict[str, int]:
        """Write every table to Parquet, then build newsevents.duckdb beside it and swap it in atomically.

        Tables of earlier runs that are not in `tables` are removed (a stage that does not exist yet has no table).
        Returns {table: row_count}.
        """
        from pipelines.core.publish.database import build_duckdb  # local: keeps resource import light

        with self.publish_lock():
            for name, df in tables.items():
                atomic_write_parquet(df, self.parquet_path(name))
            parquet_root = self.root / "parquet"
            for old in parquet_root.iterdir() if parquet_root.exists() else []:
                if old.is_dir() and old.name not in tables and (old / "data.parquet").exists():
                    (old / "data.parquet").unlink()
                    with contextlib.suppress(OSError):
                        old.rmdir()
            tmp = self.root / f".{DB_NAME}.tmp-{os.getpid()}"
            try:
                build_duckdb(tmp, tables, comments=comments or [], views=views or [])
                with open(tmp, "rb") as fh:
                    os.fsync(fh.fileno())
                os.replace(tmp, self.db_path)
                _fsync_dir(self.root)
            finally:
                for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
                    with contextlib.suppress(FileNotFoundError):
                        leftover.unlink()
        return {name: df.height for name, df in tables.items()}

    def connect_readonly(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.db_path), read_only=True)
