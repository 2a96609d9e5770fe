"""Stage I/O: the frames handed between assets, as Parquet files in WAREHOUSE/_stage/, and the staged quarantine rows.

Unpartitioned assets: _stage/<asset>.parquet. Assets partitioned by ingest batch (PARTITIONED_STAGES):
_stage/<asset>/<batch>.parquet, one file per batch, plus _stage/<asset>/_schema.parquet (0 rows: the schema, for a
consumer when no batch is live). The live batches are the ones in the batch registry (_batches/registry.parquet,
pipelines/core/ingest/batches.py); files of other batches are ignored and removed when their batch is retired.
"""
from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines.core.atomic import StagedFile, atomic_write_parquet, move_into_place
from pipelines.core.dtypes import polars_schema
from pipelines.core.validate import QUARANTINE_SCHEMA, quarantine_frame
from pipelines.warehouse.layout import PARTITIONED_STAGES, SCHEMA_FILE


def static_schema(name: str) -> dict | None:
    """The schema of a partitioned stage from its Pandera model (for a stage never materialized), or None."""
    from schemas.documents import Documents
    from schemas.removed_spans import RemovedSpans
    from schemas.stories import CleanStories

    model = {"documents": Documents, "clean_stories": CleanStories, "removed_spans": RemovedSpans}.get(name)
    return polars_schema(model) if model is not None else None


class StageIO:
    """Reading and writing stage files (mixed into the Warehouse resource; needs Layout and live_batches())."""

    def write_stage(self, name: str, df: pl.DataFrame | pl.LazyFrame | StagedFile, batch: str | None = None) -> Path:
        """Stage a frame atomically (of one batch if `batch`); a LazyFrame is streamed to disk (never collected
        whole), a StagedFile (a Parquet file the asset already wrote) is moved into place."""
        if isinstance(df, StagedFile):
            if batch is not None:
                raise ValueError("a StagedFile is only handed over for an unpartitioned stage")
            dest = self.stage_path(name)
            move_into_place(df.path, dest)
            return dest
        if batch is None:
            dest = self.stage_path(name)
            atomic_write_parquet(df, dest)
            return dest
        dest = self.partition_path(name, batch)
        atomic_write_parquet(df, dest)
        schema = df.collect_schema() if isinstance(df, pl.LazyFrame) else df.schema
        atomic_write_parquet(pl.DataFrame(schema=schema), self.stage_dir / name / SCHEMA_FILE)
        return dest

    def is_partitioned_stage(self, name: str) -> bool:
        return name in PARTITIONED_STAGES

    def partition_files(self, name: str, batches: list[str] | None = None) -> list[Path]:
        """The staged files of `name` for these batches (default: the live batches), in batch order. Raises
        FileNotFoundError naming the batches that have not been materialized."""
        batches = self.live_batches() if batches is None else sorted(batches)
        files = [self.partition_path(name, b) for b in batches]
        missing = [b for b, f in zip(batches, files) if not f.exists()]
        if missing:
            raise FileNotFoundError(
                f"asset '{name}' has not been materialized for {len(missing)} live ingest batch(es) "
                f"({', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}) in {self.stage_dir / name}: "
                "materialize those partitions first (`newsevents run` does it)")
        return files

    def empty_stage(self, name: str) -> pl.DataFrame:
        """0 rows with the schema of a partitioned stage (when no batch is live)."""
        p = self.stage_dir / name / SCHEMA_FILE
        if p.exists():
            return pl.read_parquet(p)
        if (schema := static_schema(name)) is not None:
            return pl.DataFrame(schema=schema)
        raise FileNotFoundError(f"asset '{name}' has never been materialized into {self.stage_dir / name} and no "
                                "ingest batch is live: there is no input to read (or materialize a partition first)")

    def _unpartitioned_copy(self, name: str, batches: list[str] | None) -> Path | None:
        """A single `_stage/<name>.parquet` written directly (unit tests, tools) into a warehouse that has never
        planned batches (no registry): read as the whole stage. `newsevents run` removes such files."""
        p = self.stage_path(name)
        return p if batches is None and not self.registry_path.exists() and p.exists() else None

    def scan_partitions(self, name: str, batches: list[str] | None = None) -> pl.LazyFrame:
        """Lazy scan over the staged files of the live (or given) batches, in batch order."""
        if single := self._unpartitioned_copy(name, batches):
            return pl.scan_parquet(single)
        files = self.partition_files(name, batches)
        return pl.scan_parquet([str(f) for f in files]) if files else self.empty_stage(name).lazy()

    def read_partitions(self, name: str, batches: list[str] | None = None) -> pl.DataFrame:
        """All live (or given) batches of a partitioned stage, sorted by the table's key (independent of the
        batch layout)."""
        if single := self._unpartitioned_copy(name, batches):
            return pl.read_parquet(single)
        files = self.partition_files(name, batches)
        if not files:
            return self.empty_stage(name)
        df = pl.concat([pl.read_parquet(f) for f in files], how="vertical_relaxed")
        keys = [c for c in PARTITIONED_STAGES.get(name, ()) if c in df.columns]
        return df.sort(keys) if keys else df

    def _partitioned_found(self, name: str) -> bool:
        return (self.stage_dir / name).is_dir() or self._unpartitioned_copy(name, None) is not None

    def scan_stage(self, name: str) -> pl.LazyFrame | None:
        """A lazy scan of the last staged frame of an asset (nothing read until collected), or None."""
        if self.is_partitioned_stage(name):
            return self.scan_partitions(name) if self._partitioned_found(name) else None
        p = self.stage_path(name)
        return pl.scan_parquet(p) if p.exists() else None

    def read_stage(self, name: str, batch: str | None = None) -> pl.DataFrame | None:
        """The last staged frame of an asset (e.g. the previous signature index), or None if never staged. For a
        partitioned stage: the given batch's file (None if absent), else every live batch."""
        if batch is not None:
            p = self.partition_path(name, batch)
            return pl.read_parquet(p) if p.exists() else None
        if self.is_partitioned_stage(name):
            return self.read_partitions(name) if self._partitioned_found(name) else None
        p = self.stage_path(name)
        return pl.read_parquet(p) if p.exists() else None

    def stage_file(self, name: str) -> Path | None:
        """The one Parquet file holding an unpartitioned stage (what the IO manager's scan reads), or None (a
        partitioned stage spans one file per batch). publish() can link it instead of rewriting it."""
        if self.is_partitioned_stage(name):
            return None
        p = self.stage_path(name)
        return p if p.exists() else None

    def rendered_files(self, name: str) -> dict[str, Path]:
        """{file name: path} of the finished files an asset rendered into _stage/<name>/ (e.g. the report)."""
        folder = self.stage_dir / name
        if not folder.is_dir():
            return {}
        return {p.name: p for p in sorted(folder.iterdir()) if p.is_file() and ".tmp" not in p.name}

    def stage_quarantine(self, stage: str, rows: pl.DataFrame) -> None:
        """Replace the quarantine rows a stage produced (an empty frame clears them)."""
        atomic_write_parquet(rows.select([pl.col(c).cast(t) for c, t in QUARANTINE_SCHEMA.items()]),
                             self.quarantine_path(stage))

    def quarantine_files(self) -> list[Path]:
        """Every staged quarantine file (the inputs of the `quarantine` asset), in name order."""
        folder = self.stage_dir / "quarantine"
        return sorted(folder.glob("*.parquet")) if folder.exists() else []

    def collect_quarantine(self) -> pl.DataFrame:
        parts = [pl.read_parquet(p) for p in self.quarantine_files()]
        if not parts:
            return quarantine_frame()
        return pl.concat(parts, how="vertical").sort(["table_name", "source_uri", "record_key", "rule"],
                                                     nulls_last=True)
