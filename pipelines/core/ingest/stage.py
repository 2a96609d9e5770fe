"""The ingest stage for one batch: the batch's files -> (documents, rejected inputs, stats), with first-ingest times
carried over from the previous version of the batch (or, in a warehouse older than the batches, from the documents
staged before ingest was partitioned)."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from pipelines.core.ingest import DEFAULT_MAX_BYTES
from pipelines.core.ingest.batches import read_batch
from pipelines.core.ingest.frame import ingest_frames


def previous_ingested(candidates: list[Path]) -> pl.DataFrame | None:
    """doc_id -> ingested_at from the first of these files that exists (the batch's previous file, then the legacy
    first-ingest table), or None."""
    for p in candidates:
        if p.exists():
            return pl.read_parquet(p, columns=["doc_id", "ingested_at"])
    return None


def ingest_batch_files(root: Path, members: list[str], *, max_bytes: int | None = None,
                       previous: list[Path] = ()) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    """(documents, rejected inputs as quarantine rows, stats) for the member paths of one batch."""
    items = read_batch(root, members, max_bytes=max_bytes or DEFAULT_MAX_BYTES)
    docs, rejected = ingest_frames(items, now=datetime.now(timezone.utc).replace(tzinfo=None),
                                   previous=previous_ingested(list(previous)))
    by_rule = dict(Counter(rejected["rule"].to_list()))
    stats = {"input_files": len(members), "inputs_quarantined": rejected.height, "quarantined_by_rule": by_rule,
             "formats": dict(Counter(docs["format"].to_list()))}
    return docs, rejected, stats
