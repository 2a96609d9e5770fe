"""Shared wiring for assets: validate a frame with its Pandera model (ONE helper, `validated`), stage the quarantine
rows, build the blocking check result and the metadata. NB: asset modules must not use `from __future__ import
annotations` (Dagster reads the context annotation).

    @asset(group_name="extract", check_specs=[schema_check_spec("actors")], ...)
    def actors(context, warehouse: Warehouse, stories: pl.DataFrame):
        df, stats = core_function(stories)
        yield from validated(df, Actors, "actors", warehouse=warehouse, key_column="actor_id", extra_metadata=stats)
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import polars as pl
import yaml
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, MetadataValue, Output

from pipelines.core.validate import ValidationOutcome, validate_frame
from pipelines.core.validate_chunks import Chunked, validate_chunked
from pipelines.warehouse import Warehouse
from pipelines.warehouse.layout import quarantine_stage

SCHEMA_CHECK = "schema"
PREVIEW_ROWS = 5
PREVIEW_CELL_CHARS = 80
DESCRIPTIONS = Path(__file__).with_name("descriptions.yaml")
_descriptions: dict[str, str] = {}


def describe(key: str) -> str:
    """The UI description of an asset (pipelines/assets/descriptions.yaml)."""
    if not _descriptions:
        _descriptions.update(yaml.safe_load(DESCRIPTIONS.read_text(encoding="utf-8")))
    return " ".join(_descriptions[key].split())


def schema_check_spec(asset_key: str, description: str | None = None) -> AssetCheckSpec:
    return AssetCheckSpec(
        SCHEMA_CHECK, asset=asset_key, blocking=True,
        description=description or f"Pandera model of `{asset_key}` (schemas/). Failing rows are moved to "
        "`quarantine`; a structural failure (missing column, wrong type) fails with ERROR and blocks downstream "
        "assets.",
    )


def markdown_preview(df: pl.DataFrame, n: int = PREVIEW_ROWS, columns: list[str] | None = None) -> str:
    """A small markdown table of the first rows (long cells cut), for the Dagster UI."""
    cols = columns or [c for c in df.columns if df.schema[c] != pl.Binary][:10]
    head = df.select(cols).head(n)

    def cell(v: Any) -> str:
        s = "" if v is None else str(v)
        s = s.replace("|", "\\|").replace("\n", " ")
        return s if len(s) <= PREVIEW_CELL_CHARS else s[: PREVIEW_CELL_CHARS - 1] + "…"

    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in head.iter_rows()]
    return "\n".join(lines)


def metadata_value(v: Any) -> MetadataValue:
    """A plain value (from a core function's stats) as Dagster metadata: ints, floats, dicts/lists as JSON, frames
    as a markdown table, anything else as text."""
    if isinstance(v, MetadataValue):
        return v
    if isinstance(v, bool):
        return MetadataValue.bool(v)
    if isinstance(v, int):
        return MetadataValue.int(v)
    if isinstance(v, float):
        return MetadataValue.float(v)
    if isinstance(v, (dict, list)):
        return MetadataValue.json(v)
    if isinstance(v, pl.DataFrame):
        return MetadataValue.md(markdown_preview(v, n=40))
    return MetadataValue.text(str(v))


def frame_metadata(df: pl.DataFrame, started: float | None = None, **extra: Any) -> dict[str, Any]:
    md: dict[str, Any] = {"dagster/row_count": MetadataValue.int(df.height),
                          "preview": MetadataValue.md(markdown_preview(df))}
    if started is not None:
        md["seconds"] = MetadataValue.float(round(time.perf_counter() - started, 3))
    md.update({k: metadata_value(v) for k, v in extra.items()})
    return md


@dataclass
class Validated:
    """A validated frame plus the Dagster events reporting it (Output + blocking AssetCheckResult)."""

    asset_key: str
    outcome: ValidationOutcome
    output_name: str | None
    metadata: dict[str, Any] = field(default_factory=dict)
    unvalidated: Any = None

    @property
    def frame(self) -> pl.DataFrame:
        return self.outcome.valid if self.outcome.valid is not None else pl.DataFrame()

    def check_result(self) -> AssetCheckResult:
        o = self.outcome
        md: dict[str, Any] = {"rows_in": o.n_input, "rows_quarantined": o.n_quarantined}
        if o.failure_cases is not None and o.failure_cases.height:
            md["failure_sample"] = MetadataValue.md(markdown_preview(o.failure_cases, n=10))
        if o.structural_errors:
            md["structural_errors"] = MetadataValue.text("\n".join(o.structural_errors)[:4000])
            return AssetCheckResult(asset_key=self.asset_key, check_name=SCHEMA_CHECK, passed=False,
                                    severity=AssetCheckSeverity.ERROR, metadata=md,
                                    description=f"{self.asset_key}: frame does not match its schema")
        return AssetCheckResult(asset_key=self.asset_key, check_name=SCHEMA_CHECK, passed=o.passed,
                                severity=AssetCheckSeverity.WARN, metadata=md,
                                description=None if o.passed else f"{o.n_quarantined} row(s) moved to quarantine")

    def events(self) -> Iterator[Output | AssetCheckResult]:
        # On a structural failure the unvalidated frame is still staged, but the blocking ERROR check stops
        # every downstream asset, so it can never reach the published warehouse.
        value = self.outcome.valid if self.outcome.valid is not None else self.unvalidated
        if self.output_name:
            yield Output(value, output_name=self.output_name, metadata=self.metadata)
        else:
            yield Output(value, metadata=self.metadata)
        yield self.check_result()

    def __iter__(self):
        return self.events()


def validated(df: pl.DataFrame | Chunked, model: Any, asset_key: str, *, warehouse: Warehouse,
              batch: str | None = None, key_column: str | None = None, started: float | None = None,
              output_name: str | None = None, extra_metadata: dict[str, Any] | None = None) -> Validated:
    """Validate `df` (a frame, or a Chunked one too large to hold: validated chunk by chunk, handed on lazily), stage
    its quarantine rows under `asset_key` (per ingest batch when `batch`), and prepare the Output + check events."""
    extra = dict(extra_metadata or {}, **({"ingest_batch": batch} if batch else {}))
    if isinstance(df, Chunked):
        outcome, preview, unvalidated = validate_chunked(df, model, asset_key, key_column=key_column)
        md = frame_metadata(preview, started, rows_quarantined=outcome.n_quarantined, **extra)
        md["dagster/row_count"] = MetadataValue.int(outcome.n_input - outcome.n_quarantined)
    else:
        outcome = validate_frame(df, model, asset_key, key_column=key_column)
        unvalidated = df
        shown = outcome.valid if outcome.valid is not None else df
        md = frame_metadata(shown, started, rows_quarantined=outcome.n_quarantined, **extra)
    warehouse.stage_quarantine(quarantine_stage(asset_key, batch) if batch else asset_key, outcome.quarantine)
    return Validated(asset_key, outcome, output_name, md, unvalidated)
