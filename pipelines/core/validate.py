"""Pandera validation that never silently drops data: failing rows become quarantine rows with the rule they broke."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable

import pandera.errors
import polars as pl

PAYLOAD_CHARS = 2000
QUARANTINE_SCHEMA = {
    "table_name": pl.Utf8,
    "source_uri": pl.Utf8,
    "record_key": pl.Utf8,
    "rule": pl.Utf8,
    "detail": pl.Utf8,
    "payload": pl.Utf8,
}


def quarantine_frame(rows: Iterable[dict[str, Any]] = ()) -> pl.DataFrame:
    """Rows (dicts with the quarantine columns; missing ones null) -> a frame with the quarantine schema."""
    rows = [{k: r.get(k) for k in QUARANTINE_SCHEMA} for r in rows]
    return pl.DataFrame(rows, schema=QUARANTINE_SCHEMA, orient="row") if rows else pl.DataFrame(schema=QUARANTINE_SCHEMA)


def _payload(row: dict[str, Any]) -> str:
    return json.dumps(row, default=str, ensure_ascii=False)[:PAYLOAD_CHARS]


@dataclass
class ValidationOutcome:
    table: str
    valid: pl.DataFrame | None  # None when the frame is structurally broken (missing columns, wrong types)
    quarantine: pl.DataFrame
    n_input: int
    failure_cases: pl.DataFrame | None = None
    structural_errors: list[str] = field(default_factory=list)

    @property
    def n_quarantined(self) -> int:
        return self.quarantine.height

    @property
    def passed(self) -> bool:
        return not self.structural_errors and self.n_quarantined == 0


def validate_frame(df: pl.DataFrame, model: Any, table: str, *, key_column: str | None = None) -> ValidationOutcome:
    """Validate an eager frame with a pandera.polars model (lazy=True: all failures at once).

    Row-level failures -> those rows are moved to quarantine (rule `schema:<column>:<check>`), the rest is
    re-validated and returned. Failures that are not about rows (missing column, wrong dtype) are structural:
    `valid` is None and the caller must fail the stage loudly.
    """
    expected = set(model.to_schema().columns)
    missing, extra = sorted(expected - set(df.columns)), sorted(set(df.columns) - expected)
    if missing or (extra and getattr(model.Config, "strict", False)):
        problems = [f"missing column {c}" for c in missing] + [f"unexpected column {c}" for c in extra]
        return ValidationOutcome(table, None, quarantine_frame(), df.height, None, problems)
    try:
        return ValidationOutcome(table, model.validate(df, lazy=True), quarantine_frame(), df.height)
    except pandera.errors.SchemaErrors as err:
        cases = err.failure_cases
    except (pandera.errors.SchemaError, pl.exceptions.PolarsError) as err:  # e.g. an uncoercible dtype
        return ValidationOutcome(table, None, quarantine_frame(), df.height, None, [f"{type(err).__name__}: {err}"[:2000]])
    row_cases = cases.filter(pl.col("index").is_not_null())
    other = cases.filter(pl.col("index").is_null())
    if other.height:
        structural = [f"{r['column']}: {r['check']} ({r['failure_case']})" for r in other.iter_rows(named=True)]
        return ValidationOutcome(table, None, quarantine_frame(), df.height, cases, structural)

    key_column = key_column if key_column in df.columns else None
    source_col = "source_uri" if "source_uri" in df.columns else None
    bad_index = sorted(set(row_cases["index"].to_list()))
    reasons: dict[int, list[dict[str, Any]]] = {}
    for r in row_cases.iter_rows(named=True):
        reasons.setdefault(r["index"], []).append(r)
    rows = []
    indexed = df.with_row_index("__row")
    bad = indexed.filter(pl.col("__row").is_in(bad_index))
    for row in bad.iter_rows(named=True):
        i = row.pop("__row")
        first = reasons[i][0]
        rule = f"schema:{first['column'] or 'dataframe'}:{first['check']}"
        detail = "; ".join(f"{table}.{c['column'] or '*'} failed {c['check']} (value {str(c['failure_case'])[:200]!r})" for c in reasons[i])
        rows.append({
            "table_name": table,
            "source_uri": row.get(source_col) if source_col else None,
            "record_key": str(row[key_column]) if key_column else str(i),
            "rule": rule,
            "detail": detail[:1000],
            "payload": _payload(row),
        })
    remainder = indexed.filter(~pl.col("__row").is_in(bad_index)).drop("__row")
    try:
        valid = model.validate(remainder, lazy=True)
    except pandera.errors.SchemaErrors as err2:  # e.g. a uniqueness failure that only shows on the remainder
        structural = [f"{r['column']}: {r['check']} ({r['failure_case']})" for r in err2.failure_cases.iter_rows(named=True)]
        return ValidationOutcome(table, None, quarantine_frame(rows), df.height, err2.failure_cases, structural)
    return ValidationOutcome(table, valid, quarantine_frame(rows), df.height, cases)
