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
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import polars as pl
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, MetadataValue, Output

from pipelines.core.atomic import StagedFile
from pipelines.core.validate import ValidationOutcome, quarantine_frame, validate_frame
from pipelines.warehouse import Warehouse

SCHEMA_CHECK = "schema"
# rows validated by one pandera call in validated_lazy(): a call costs ~25 ms however few rows it gets (each check
# is its own polars collect), so small chunks are validated together, up to this many rows at a time
VALIDATE_ROWS = 8192
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


def _coalesced(chunks: Iterable[pl.DataFrame], rows: int) -> Iterator[pl.DataFrame]:
    """The chunks concatenated in order into frames of at least `rows` rows (the last may be smaller); a chunk is
    never split, so a frame holds at most rows + one chunk - 1 rows."""
    buf: list[pl.DataFrame] = []
    n = 0
    for chunk in chunks:
        buf.append(chunk)
        n += chunk.height
        if n >= rows:
            yield buf[0] if len(buf) == 1 else pl.concat(buf, how="vertical", rechunk=False)
            buf, n = [], 0
    if buf:
        yield buf[0] if len(buf) == 1 else pl.concat(buf, how="vertical", rechunk=False)


def _lazy_slices(lf: pl.LazyFrame, size: int) -> Iterator[pl.DataFrame]:
    n = int(lf.select(pl.len()).collect().item())
    for off in range(0, n, size):
        yield lf.slice(off, size).collect()


def validated_lazy(lf: pl.LazyFrame | Callable[[], pl.LazyFrame], model: Any, asset_key: str, *, warehouse: Warehouse,
                   key_column: str | None = None, started: float | None = None, output_name: str | None = None,
                   extra_metadata: dict[str, Any] | None = None, chunk_size: int = 4096,
                   chunks: Iterable[pl.DataFrame] | None = None, extra_errors: Iterable[str] = (),
                   staged_file: Path | None = None, validate_rows: int = VALIDATE_ROWS) -> Validated:
    """validated() for a frame too large to hold: `lf` is validated one eager chunk at a time (`chunks`, or slices
    of `lf` of chunk_size rows), and the Output is `lf` itself (lazy, streamed to disk by the IO manager) minus the
    quarantined rows (by key_column).

    As in validated(): failing rows go to quarantine under `asset_key`, the blocking check is WARN with a failure
    sample when rows were quarantined and ERROR on a structural failure (then the unvalidated `lf` is staged but
    blocked). Checks that compare rows see one chunk at a time; uniqueness of key_column is checked across chunks
    here, other frame-wide rules must be checked by the caller and passed as `extra_errors` (structural).
    `lf` may be a function returning the frame, called once the chunks are consumed (e.g. chunks that write the
    file `lf` scans). `staged_file`: the Parquet file holding exactly `lf` (written while the chunks were read):
    when every row passed, the Output is that file (StagedFile, moved into the stage by the IO manager) instead
    of `lf` streamed into a new file. Consecutive chunks are validated together up to `validate_rows` rows (one
    pandera call each: its cost is mostly per call), so memory holds at most that many rows plus one chunk."""
    if callable(lf) and chunks is None:
        lf = lf()
    parts = _coalesced(chunks if chunks is not None else _lazy_slices(lf, chunk_size), max(1, validate_rows))
    quarantine, cases, structural = [], [], list(extra_errors)
    keys: list[pl.Series] = []
    n_input = 0
    preview: pl.DataFrame | None = None
    for chunk in parts:
        o = validate_frame(chunk, model, asset_key, key_column=key_column)
        n_input += o.n_input
        if preview is None and chunk.height:
            preview = (o.valid if o.valid is not None else chunk).head(PREVIEW_ROWS)
        if o.quarantine.height:
            quarantine.append(o.quarantine)
        if o.failure_cases is not None and o.failure_cases.height:
            cases.append(o.failure_cases.head(10 * PREVIEW_ROWS))
        structural += [e for e in o.structural_errors if e not in structural]
        if key_column and key_column in chunk.columns:
            keys.append(chunk[key_column])
    if keys:
        all_keys = pl.concat(keys)
        dupes = all_keys.filter(all_keys.is_duplicated()).unique()
        if dupes.len():
            structural.append(f"{key_column}: not unique across the frame ({dupes.len()} repeated, e.g. "
                              f"{dupes.head(3).to_list()})")
    q = pl.concat(quarantine, how="vertical") if quarantine else quarantine_frame()
    failure_cases = None
    if cases:
        try:
            failure_cases = pl.concat(cases, how="diagonal_relaxed")
        except pl.exceptions.PolarsError:
            failure_cases = cases[0]
    if callable(lf):
        lf = lf()
    if structural:
        valid = None
    elif q.height and key_column:
        valid = lf.filter(~pl.col(key_column).cast(pl.String).is_in(q["record_key"].implode()))
    else:
        valid = StagedFile(Path(staged_file)) if staged_file is not None else lf
    outcome = ValidationOutcome(asset_key, valid, q, n_input, failure_cases, structural)
    warehouse.stage_quarantine(asset_key, q)
    md: dict[str, Any] = {"dagster/row_count": MetadataValue.int(n_input - q.height),
                          "preview": MetadataValue.md(markdown_preview(preview if preview is not None else pl.DataFrame()))}
    if started is not None:
        md["seconds"] = MetadataValue.float(round(time.perf_counter() - started, 3))
    md.update(frame_metadata(pl.DataFrame(), None, rows_quarantined=q.height, **(extra_metadata or {})))
    md["dagster/row_count"] = MetadataValue.int(n_input - q.height)
    md["preview"] = MetadataValue.md(markdown_preview(preview if preview is not None else pl.DataFrame()))
    v = Validated(asset_key, outcome, output_name, md)
    v._unvalidated = lf
    return v
