"""The two Dagster resources: where documents come from (InputFolder) and where tables go (Warehouse).

Both are thin facades: Warehouse is its configuration plus the behaviour of the warehouse modules, one concern
each (layout: paths; stage: stage I/O; registry: ingest batches; lock: run/publish locks; journal: atomic publish
and recovery; mirror: object-store copy). The Warehouse is the only writer of the public Parquet files and of
newsevents.duckdb; a reader sees either the previous or the new version, never a half-written one.
"""
from __future__ import annotations

import os
from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from pipelines.warehouse.journal import Publisher
from pipelines.warehouse.layout import PROJECT_ROOT, Layout, resolve_root
from pipelines.warehouse.lock import RunLock
from pipelines.warehouse.registry import BatchRegistry
from pipelines.warehouse.stage import StageIO


class InputFolder(ConfigurableResource):
    """The folder documents are read from (recursively), or one input file. Unset: $NEWSEVENTS_INPUT, else the
    project's seeds/."""

    path: str | None = Field(default=None,
                             description="Input folder or file; default $NEWSEVENTS_INPUT or <project>/seeds.")
    max_bytes: int | None = Field(
        default=None, description="Files larger than this are quarantined (default: rules/ingest.yaml).")
    batch_max_files: int | None = Field(
        default=None, description="At most this many new files per ingest batch (default: rules/ingest.yaml, 1000).")
    batch_max_bytes: int | None = Field(
        default=None,
        description="At most this many bytes of new files per ingest batch (default: rules/ingest.yaml, 64 MiB).")

    def resolved_path(self) -> Path:
        raw = self.path or os.environ.get("NEWSEVENTS_INPUT") or str(PROJECT_ROOT / "seeds")
        return Path(raw).expanduser().resolve()


class Warehouse(Layout, StageIO, BatchRegistry, RunLock, Publisher, ConfigurableResource):
    """Parquet + DuckDB output folder. Unset: $NEWSEVENTS_WAREHOUSE, else the project's warehouse/."""

    path: str | None = Field(
        default=None, description="Warehouse folder; default $NEWSEVENTS_WAREHOUSE or <project>/warehouse.")
    lock_timeout_s: float = Field(
        default=600.0, description="How long a publish waits for another run's publish to finish.")
    # object storage mirror (pipelines/warehouse/mirror.py): each publish is also uploaded as a snapshot
    object_store_url: str | None = Field(
        default=None,
        description="Mirror every publish to this s3://bucket/prefix (default $NEWSEVENTS_OBJECT_STORE_URL; unset: "
        "no mirror).")
    object_store_endpoint: str | None = Field(
        default=None,
        description="S3-compatible endpoint, e.g. http://127.0.0.1:9000 (default $NEWSEVENTS_OBJECT_STORE_ENDPOINT; "
        "unset: AWS).")

    @property
    def root(self) -> Path:
        return resolve_root(self.path)
