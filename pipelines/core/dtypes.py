"""Polars dtypes read from the Pandera models (schemas/), so no module keeps a hand-copied dtype dict of a table."""
from __future__ import annotations

from typing import Any

import polars as pl


def polars_schema(model: Any) -> dict[str, pl.DataType]:
    """{column: polars dtype} of a pandera.polars DataFrameModel, in the model's column order."""
    return {name: column.dtype.type for name, column in model.to_schema().columns.items()}


def empty_frame(model: Any) -> pl.DataFrame:
    """0 rows with the model's columns and dtypes."""
    return pl.DataFrame(schema=polars_schema(model))
