"""`removed_spans`: the cleaning audit, every piece of raw text that did not go into a story's text."""
from __future__ import annotations

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData


class RemovedSpans(pa.DataFrameModel):
    """One row per removed piece of raw text (whitespace-only gaps between lines are not logged)."""

    doc_id: str = pa.Field(str_startswith="doc_", description="The document (documents.doc_id) whose raw_text the offsets point into.")
    char_start: pl.Int64 = pa.Field(ge=0, description="Start offset (Python str index) of the removed span in documents.raw_text.")
    char_end: pl.Int64 = pa.Field(ge=1, description="End offset (exclusive) of the removed span in documents.raw_text.")
    rule: str = pa.Field(str_matches=r"^[a-z][a-z0-9_]*$", description="Name of the rule that removed it (pipelines/rules/boilerplate.yaml or a segmentation role such as title_line, topic_tag, dateline, read_more_separator).")
    text: str = pa.Field(str_length={"min_value": 1}, description="The removed text, exactly documents.raw_text[char_start:char_end].")

    @pa.dataframe_check(description="char_start < char_end and len(text) == char_end - char_start")
    def offsets_match_text(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("char_start") < pl.col("char_end"))
            & (pl.col("text").str.len_chars() == pl.col("char_end") - pl.col("char_start"))
        )

    @pa.dataframe_check(description="(doc_id, char_start) is unique: spans never start at the same place")
    def unique_span(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(~pl.struct("doc_id", "char_start").is_duplicated())
