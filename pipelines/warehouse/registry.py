"""The batch registry (WAREHOUSE/_batches/registry.parquet): which input files form which ingest batch, which batches
are live and done, and the removal of what retired batches (and the pre-partitioning layout) left in the stage."""
from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import polars as pl

from pipelines.core.atomic import atomic_write_parquet
from pipelines.core.ingest.batches import empty_registry, live_batches, mark_done, normalize_registry
from pipelines.warehouse.layout import PARTITIONED_STAGES, QUARANTINE_BATCH_SEP

# quarantine stages written before ingest/clean were partitioned (removed once, by drop_unpartitioned_leftovers)
LEGACY_QUARANTINE_STAGES = ("documents__inputs", "documents", "clean_stories", "removed_spans", "clean__offsets")


def _unlink_all(paths: list[Path]) -> list[Path]:
    removed = []
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
            removed.append(p)
    return removed


class BatchRegistry:
    """Registry reads/writes and batch clean-up (mixed into the Warehouse resource; needs Layout)."""

    def read_registry(self) -> pl.DataFrame:
        p = self.registry_path
        if not p.exists():
            return empty_registry()
        return normalize_registry(pl.read_parquet(p))

    def write_registry(self, registry: pl.DataFrame) -> None:
        atomic_write_parquet(registry, self.registry_path)

    def live_batches(self) -> list[str]:
        return live_batches(self.read_registry())

    def mark_batch_done(self, batch: str, version: str) -> None:
        """Record that `batch` was materialized by code `version` (the last partitioned step calls this)."""
        self.write_registry(mark_done(self.read_registry(), batch, version))

    def batch_is_staged(self, batch: str) -> bool:
        return all(self.partition_path(n, batch).exists() for n in PARTITIONED_STAGES)

    def drop_batch(self, batch: str) -> list[Path]:
        """Remove everything staged for a retired batch (partition files, its quarantine rows)."""
        gone = [self.partition_path(n, batch) for n in PARTITIONED_STAGES]
        gone += list((self.stage_dir / "quarantine").glob(f"*{QUARANTINE_BATCH_SEP}{batch}.parquet"))
        return _unlink_all(gone)

    def drop_unpartitioned_leftovers(self) -> list[Path]:
        """Stage files of the ingest/clean stages from before they were partitioned (they would be read twice)."""
        old_docs = self.stage_path("documents")
        if old_docs.exists() and not self.first_ingested_path.exists():  # keep first-ingest times across the change
            atomic_write_parquet(pl.read_parquet(old_docs, columns=["doc_id", "ingested_at"]),
                                 self.first_ingested_path)
        names = [self.stage_path(n) for n in PARTITIONED_STAGES]
        names += [self.quarantine_path(q) for q in LEGACY_QUARANTINE_STAGES]
        removed = _unlink_all(names)
        old_cache = self.cache_dir / "clean"  # the per-document clean cache: the batch is now the unit of reuse
        if old_cache.is_dir():
            shutil.rmtree(old_cache, ignore_errors=True)
            removed.append(old_cache)
        return removed
