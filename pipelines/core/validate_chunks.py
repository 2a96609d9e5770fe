"""Validation of a frame too large to hold: its eager chunks are validated one pandera call at a time (consecutive
chunks coalesced up to `validate_rows` rows: a call costs ~25 ms however few rows it gets), key uniqueness is checked
across chunks, and the valid frame is the lazy frame minus the quarantined keys (or the staged file, when all pass)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import polars as pl

from pipelines.core.atomic import StagedFile
from pipelines.core.validate import ValidationOutcome, quarantine_frame, validate_frame

VALIDATE_ROWS = 8192
PREVIEW_ROWS = 5


@dataclass
class Chunked:
    """A frame given as chunks: `lazy` is the whole frame (or a function returning it, called once the chunks are
    consumed, e.g. when the chunks write the file it scans); `chunks` default to slices of it of chunk_size rows;
    `staged_file` holds exactly `lazy` (written while the chunks were read); `extra_errors` are frame-wide rules the
    caller checked (structural)."""

    lazy: pl.LazyFrame | Callable[[], pl.LazyFrame]
    chunks: Iterable[pl.DataFrame] | None = None
    staged_file: Path | None = None
    extra_errors: Iterable[str] = ()
    chunk_size: int = 4096
    validate_rows: int = VALIDATE_ROWS


def coalesced(chunks: Iterable[pl.DataFrame], rows: int) -> Iterator[pl.DataFrame]:
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


def lazy_slices(lf: pl.LazyFrame, size: int) -> Iterator[pl.DataFrame]:
    n = int(lf.select(pl.len()).collect().item())
    for off in range(0, n, size):
        yield lf.slice(off, size).collect()


def validate_chunked(data: Chunked, model: Any, table: str, *,
                     key_column: str | None = None) -> tuple[ValidationOutcome, pl.DataFrame, Any]:
    """(outcome, preview rows, the unvalidated lazy frame). outcome.valid: the lazy frame minus quarantined rows
    (by key_column), a StagedFile when every row passed and a staged file was given, None on a structural error."""
    lf = data.lazy
    if callable(lf) and data.chunks is None:
        lf = lf()
    chunks = data.chunks if data.chunks is not None else lazy_slices(lf, data.chunk_size)
    quarantine, cases, structural = [], [], list(data.extra_errors)
    keys: list[pl.Series] = []
    n_input = 0
    preview: pl.DataFrame | None = None
    for chunk in coalesced(chunks, max(1, data.validate_rows)):
        o = validate_frame(chunk, model, table, key_column=key_column)
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
        valid = StagedFile(Path(data.staged_file)) if data.staged_file is not None else lf
    outcome = ValidationOutcome(table, valid, q, n_input, failure_cases, structural)
    return outcome, preview if preview is not None else pl.DataFrame(), lf
