"""Content-addressed result cache: per-key rows of a stage, valid for exactly one code version.

Ids are content hashes (doc_id from the bytes, story_id from doc_id + index), so a key that was processed before
with the same code and rules gives the same rows again: the stage only computes the keys it has not seen, and the
output is equal to a full rebuild by construction. Any change to pipelines/core, pipelines/rules or schemas/ changes
`code_version()`, which invalidates every cache (the "backfill when the extractor changes" rule). The cache mirrors
the current input: keys that are gone are dropped at the next save.
"""
from __future__ import annotations

import contextlib
import hashlib
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import polars as pl

from pipelines.core.atomic import atomic_write_parquet

_PKG = Path(__file__).resolve().parents[1]  # pipelines/
_VERSIONED = [(_PKG / "core", "*.py"), (_PKG / "rules", "*"), (_PKG.parent / "schemas", "*.py")]


@lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of every file that can change a stage's output (core code, rules, schemas)."""
    h = hashlib.sha256()
    for base, pattern in _VERSIONED:
        for p in sorted(base.rglob(pattern)):
            if p.is_file() and "__pycache__" not in p.parts:
                h.update(p.relative_to(_PKG.parent).as_posix().encode())
                h.update(p.read_bytes())
    return h.hexdigest()[:16]


class RowCache:
    """Rows of one or more frames, keyed by `key` column, for one stage and one code version."""

    def __init__(self, folder: Path, stage: str, version: str | None = None):
        self.stage_dir = Path(folder) / stage
        self.version = version or code_version()
        self.dir = self.stage_dir / self.version

    def load(self, name: str) -> pl.DataFrame | None:
        p = self.dir / f"{name}.parquet"
        return pl.read_parquet(p) if p.exists() else None

    def known_keys(self, name: str, key: str) -> set[str]:
        """Keys processed before (including keys that produced no rows: they are kept in a `<name>.keys` file)."""
        p = self.dir / f"{name}.keys.parquet"
        return set(pl.read_parquet(p)[key].to_list()) if p.exists() else set()

    def combine(self, name: str, key: str, wanted: Iterable[str], computed: pl.DataFrame) -> pl.DataFrame:
        """Cached rows for the wanted keys that were not recomputed + the newly computed rows."""
        wanted = list(wanted)
        cached = self.load(name)
        recomputed = set(computed[key].to_list()) if computed.height else set()
        parts = []
        if cached is not None and cached.height:
            keep = cached.filter(pl.col(key).is_in(wanted) & ~pl.col(key).is_in(list(recomputed)))
            parts.append(keep.select(computed.columns) if computed.width else keep)
        parts.append(computed)
        return pl.concat([p for p in parts if p.width], how="vertical_relaxed") if any(p.width for p in parts) else computed

    def save(self, frames: dict[str, pl.DataFrame], key: str, keys: Iterable[str]) -> None:
        """Store the current frames (already restricted to current keys) and drop other versions."""
        self.dir.mkdir(parents=True, exist_ok=True)
        for name, df in frames.items():
            atomic_write_parquet(df, self.dir / f"{name}.parquet")
            atomic_write_parquet(pl.DataFrame({key: sorted(set(keys))}, schema={key: pl.Utf8}), self.dir / f"{name}.keys.parquet")
        for other in self.stage_dir.iterdir():
            if other.is_dir() and other.name != self.version:
                with contextlib.suppress(OSError):
                    shutil.rmtree(other)


def split_keys(all_keys: Iterable[str], known: set[str]) -> tuple[list[str], list[str]]:
    """(keys to reuse, keys to compute), both sorted."""
    all_keys = sorted(set(all_keys))
    return [k for k in all_keys if k in known], [k for k in all_keys if k not in known]


__all__ = ["RowCache", "code_version", "split_keys"]
