"""Atomic file writes: temp file in the same folder, fsync, os.replace (readers see old or new, never half)."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

import polars as pl


def fsync_dir(path: Path) -> None:
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
        fsync_dir(dest.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
