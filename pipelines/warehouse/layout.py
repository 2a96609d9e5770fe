"""Where everything lives in a warehouse folder: the public files, the stage, the batch registry, the work folders.

Nothing here reads or writes a file; every other warehouse module derives its paths from these.
"""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DB_NAME = "newsevents.duckdb"
JOURNAL_NAME = ".publish-journal.json"  # present only between the commit point of a publish and its last rename
RUN_LOCK_NAME = ".run.lock"
PUBLISH_LOCK_NAME = ".publish.lock"
PUBLISH_DIR = "_publish"  # temp files of a publish: never inside parquet/<table>/ or reports/, so no glob sees them
SCHEMA_FILE = "_schema.parquet"
QUARANTINE_BATCH_SEP = "__"  # quarantine rows of a batch: _stage/quarantine/<stage>__<batch>.parquet

# Stages partitioned by ingest batch -> the columns their union is sorted by (a deterministic order, whatever the
# batch layout). The sort order of the unpartitioned stages before partitioning.
PARTITIONED_STAGES: dict[str, tuple[str, ...]] = {
    "documents": ("source_uri", "doc_id"),
    "clean_stories": ("doc_id", "story_index"),
    "removed_spans": ("doc_id", "char_start", "char_end"),
}


def resolve_root(path: str | None) -> Path:
    """The warehouse folder (created): `path`, else $NEWSEVENTS_WAREHOUSE, else the project's warehouse/."""
    raw = path or os.environ.get("NEWSEVENTS_WAREHOUSE") or str(PROJECT_ROOT / "warehouse")
    root = Path(raw).expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    return root


def quarantine_stage(stage: str, batch: str) -> str:
    """The staged quarantine file name of a stage for one batch (removed with the batch)."""
    return f"{stage}{QUARANTINE_BATCH_SEP}{batch}"


class Layout:
    """Paths below `self.root` (mixed into the Warehouse resource, which resolves the root)."""

    @property
    def stage_dir(self) -> Path:
        return self.root / "_stage"

    @property
    def cache_dir(self) -> Path:
        """Per-stage result caches (pipelines.core.cache.RowCache), keyed by content ids and code version."""
        return self.root / "_cache"

    @property
    def db_path(self) -> Path:
        return self.root / DB_NAME

    def parquet_path(self, table: str) -> Path:
        return self.root / "parquet" / table / "data.parquet"

    def stage_path(self, name: str) -> Path:
        return self.stage_dir / f"{name}.parquet"

    def partition_path(self, name: str, batch: str) -> Path:
        if not batch or "/" in batch or batch.startswith("."):
            raise ValueError(f"bad batch key {batch!r}")
        return self.stage_dir / name / f"{batch}.parquet"

    def quarantine_path(self, stage: str) -> Path:
        return self.stage_dir / "quarantine" / f"{stage}.parquet"

    @property
    def registry_path(self) -> Path:
        return self.root / "_batches" / "registry.parquet"

    @property
    def first_ingested_path(self) -> Path:
        """doc_id -> ingested_at of the documents staged before ingest was partitioned (read by new batches)."""
        return self.root / "_batches" / "first_ingested.parquet"

    @property
    def publish_dir(self) -> Path:
        return self.root / PUBLISH_DIR

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"
