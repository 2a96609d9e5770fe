"""The dedup stage's tables: column sets of the signature index, and row-position access to lazy (Parquet) tables.

`_Table` reads a LazyFrame slice by slice; `_SignatureSink` writes the new stories' signatures chunk by chunk;
`_check_index` accepts a persisted index only when it was built with the current shingling/MinHash scheme.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator

import numpy as np
import polars as pl

from .config import DedupConfig
from .signature import MAX_CHUNK, empty_signatures

CLUSTER_SCHEMA = {
    "cluster_id": pl.String, "is_canonical": pl.Boolean, "duplicate_of": pl.String, "relation": pl.String,
    "similarity": pl.Float64, "jaccard": pl.Float64, "containment": pl.Float64, "rule": pl.String,
}
SIG_SCHEMA = dict(empty_signatures().schema)
INDEX_SCHEMA = {**SIG_SCHEMA, "scheme": pl.String, **CLUSTER_SCHEMA}
# small per-story columns, held for every story of a run
META = ["story_id", "published_date", "norm_hash", "n_words", "n_shingles", "furniture", "doc_furniture"]
DUPLICATE_COLUMNS = ["story_id", "duplicate_of", "relation", "similarity", "jaccard", "containment", "rule"]
NEW_SIGNATURES_FILE = "new_signatures.parquet"


class IndexSchemeError(ValueError):
    """The persisted signature index was built with other shingling/MinHash settings: rebuild it (full run)."""


def _lazy(x: pl.DataFrame | pl.LazyFrame | None) -> pl.LazyFrame | None:
    return x.lazy() if isinstance(x, pl.DataFrame) else x


def _height(lf: pl.LazyFrame) -> int:
    return int(lf.select(pl.len()).collect().item())


class _Table:
    """A table read by row position, one slice at a time (a Parquet scan reads only the slice's row groups)."""

    def __init__(self, lf: pl.LazyFrame, n: int | None = None) -> None:
        self.lf = lf
        self.n = _height(lf) if n is None else n

    def slices(self, columns: list[str], size: int, positions: np.ndarray | None = None
               ) -> Iterator[tuple[int, pl.DataFrame]]:
        """(offset, frame) per slice of `size` rows; with `positions` (sorted), only slices holding one of them."""
        for off in range(0, self.n, size):
            if positions is not None:
                lo, hi = np.searchsorted(positions, [off, off + size])
                if lo == hi:
                    continue
            yield off, self.lf.select(columns).slice(off, size).collect()


class _SignatureSink:
    """Signature chunks of the new stories: a Parquet file written row group by row group (temp file + atomic
    rename) when a workdir is given, else kept in memory (tests, small batches)."""

    def __init__(self, workdir: Path | None) -> None:
        self.frames: list[pl.DataFrame] = []
        self.writer = None
        self.n = 0
        self.path = Path(workdir) / NEW_SIGNATURES_FILE if workdir is not None else None
        self.tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}") if self.path is not None else None

    def add(self, sig: pl.DataFrame) -> None:
        sig = sig.select(list(SIG_SCHEMA)).cast(SIG_SCHEMA)
        self.n += sig.height
        if self.path is None:
            self.frames.append(sig)
            return
        import pyarrow.parquet as pq

        table = sig.to_arrow()
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(self.tmp, table.schema, compression="zstd")
        self.writer.write_table(table, row_group_size=max(1, sig.height))

    def finish(self) -> _Table:
        if self.path is None or self.writer is None:
            if self.path is not None:  # nothing new: no file (a stale one from an earlier run is not read)
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
            frame = pl.concat(self.frames, how="vertical", rechunk=False) if self.frames else empty_signatures()
            return _Table(frame.lazy(), frame.height)
        self.writer.close()
        os.replace(self.tmp, self.path)
        return _Table(pl.scan_parquet(self.path), self.n)


def empty_index() -> pl.DataFrame:
    return pl.DataFrame(schema=INDEX_SCHEMA)


def _check_index(index: pl.DataFrame | pl.LazyFrame | None, scheme: str) -> _Table | None:
    lf = _lazy(index)
    if lf is None:
        return None
    names = lf.collect_schema().names()
    missing = [c for c in INDEX_SCHEMA if c not in names]
    if missing:
        raise IndexSchemeError(f"signature index lacks columns {missing}")
    table = _Table(lf.select(list(INDEX_SCHEMA)).cast(INDEX_SCHEMA))
    if table.n == 0:
        return None
    schemes = lf.select(pl.col("scheme").unique()).collect()["scheme"].to_list()
    if schemes != [scheme]:
        raise IndexSchemeError(f"signature index scheme {schemes} != current {scheme!r}; rebuild with a full run")
    return table


def slice_rows(bytes_per_row: float | None, cfg: DedupConfig) -> int:
    """Rows per slice for rows of this mean size: at least cfg.chunk_size, as many as fit in cfg.slice_bytes, at
    most MAX_CHUNK (the 16-bit doc number of the shingle sort key)."""
    fit = cfg.slice_bytes // max(1.0, float(bytes_per_row or 0.0))
    return int(max(1, min(MAX_CHUNK, max(cfg.chunk_size, fit))))


def signature_bytes(meta: pl.DataFrame, cfg: DedupConfig) -> float:
    """Mean bytes of a signature row (8 per shingle, 4 per MinHash value), from the small per-story columns."""
    if not meta.height:
        return 0.0
    return float(meta.select((8 * pl.col("n_shingles") + pl.when(pl.col("n_shingles") >= cfg.lsh_min_shingles)
                              .then(4 * cfg.num_perm).otherwise(0)).mean()).item() or 0.0)
