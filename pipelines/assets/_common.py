"""Shared wiring for assets (NB: asset modules must not use `from __future__ import annotations`: Dagster reads the context annotation): validate with pandera, quarantine bad rows, build check results and metadata.

Pattern (see pipelines/assets/ingest.py):

    @asset(group_name="clean", check_specs=[schema_check_spec("clean_stories")], ...)
    def clean_stories(context, warehouse: Warehouse, documents: pl.DataFrame):
        started = time.perf_counter()
        df = core_function(...)
        v = validated(df, CleanStories, "clean_stories", warehouse=warehouse, key_column="story_id", started=started)
        yield from v.events()   # Output(...) + AssetCheckResult(...)
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Iterator

import polars as pl
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, MetadataValue, Output

from pipelines.core.validate import ValidationOutcome, validate_frame
from pipelines.resources import Warehouse

SCHEMA_CHECK = "schema"
PREVIEW_ROWS = 5
PREVIEW_CELL_CHARS = 80


def schema_check_spec(asset_key: str, description: str | None = None) -> AssetCheckSpec:
    return AssetCheckSpec(
        SCHEMA_CHECK,
        asset=asset_key,
        blocking=True,
        description=description or f"Pandera model of `{asset_key}` (schemas/). Failing rows are moved to `quarantine`; "
        "a structural failure (missing column, wrong type) fails with ERROR and blocks downstream assets.",
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


def frame_metadata(df: pl.DataFrame, started: float | None = None, **extra: Any) -> dict[str, Any]:
    md: dict[str, Any] = {
        "dagster/row_count": MetadataValue.int(df.height),
        "preview": MetadataValue.md(markdown_preview(df)),
    }
    if started is not None:
        md["seconds"] = MetadataValue.float(round(time.perf_counter() - started, 3))
    for k, v in extra.items():
        md[k] = v if isinstance(v, MetadataValue) else MetadataValue.text(str(v)) if not isinstance(v, (int, float)) else (MetadataValue.int(v) if isinstance(v, int) else MetadataValue.float(v))
    return md


@dataclass
class Validated:
    """A validated frame plus the Dagster events reporting it (Output + blocking AssetCheckResult)."""

    asset_key: str
    outcome: ValidationOutcome
    output_name: str | None
    metadata: dict[str, Any] = field(default_factory=dict)

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
        value = self.outcome.valid if self.outcome.valid is not None else self._unvalidated
        if self.output_name:
            yield Output(value, output_name=self.output_name, metadata=self.metadata)
        else:
            yield Output(value, metadata=self.metadata)
        yield self.check_result()

    _unvalidated: pl.DataFrame = field(default_factory=pl.DataFrame, repr=False)


def validated(df: pl.DataFrame, model: Any, asset_key: str, *, warehouse: Warehouse, key_column: str | None = None,
              started: float | None = None, output_name: str | None = None, extra_metadata: dict[str, Any] | None = None) -> Validated:
    """Validate `df`, stage its quarantine rows under `asset_key`, and prepare Output + check events."""
    outcome = validate_frame(df, model, asset_key, key_column=key_column)
    warehouse.stage_quarantine(asset_key, outcome.quarantine)
    shown = outcome.valid if outcome.valid is not None else df
    md = frame_metadata(shown, started, rows_quarantined=outcome.n_quarantined, **(extra_metadata or {}))
    v = Validated(asset_key, outcome, output_name, md)
    v._unvalidated = df
    return v
