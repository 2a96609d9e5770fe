"""`clean_stories` (clean stage output) and `stories` (after dedup): one row per story of a document."""
from __future__ import annotations

import datetime as dt
from typing import Optional

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

PUBLISHED_DATE_SOURCES = ["metadata", "explicit", "inferred", "none"]
PUBLISHED_PRECISIONS = ["day", "week", "month", "year", "none"]


class CleanStories(pa.DataFrameModel):
    """One row per story after segmentation and cleaning (CONTRACT `stories` without the dedup columns)."""

    story_id: str = pa.Field(unique=True, str_startswith="st_", description="Stable id: stable_id('st', doc_id, story_index).")
    doc_id: str = pa.Field(str_startswith="doc_", description="The document (documents.doc_id) the story was cut from.")
    story_index: pl.Int32 = pa.Field(ge=1, description="1-based position of the story within its document (glued files hold several).")
    title: Optional[str] = pa.Field(nullable=True, description="Headline a reader sees: the story's title line (outlet suffix removed), else the record's metadata title; null when the text has none.")
    outlet: Optional[str] = pa.Field(nullable=True, description="Publishing outlet from the title suffix ('– The Guardian'), the dateline agency ('MINSK (Reuters) –') or a signature line ('Reporting by …'); null when unknown.")
    dateline: Optional[str] = pa.Field(nullable=True, description="Place of the dateline that opened the story body (e.g. 'MINSK'); the dateline itself is removed from `text`.")
    published_date: Optional[pl.Date] = pa.Field(nullable=True, description="Publication date of the story; how it was found is in published_date_source.")
    published_date_source: str = pa.Field(isin=PUBLISHED_DATE_SOURCES, description="metadata (the record's own date) | explicit (a dated header in the text) | inferred (from the body: dates + weekday/relative cues, captions, feed order) | none. The rule is in published_rule.")
    published_precision: Optional[str] = pa.Field(nullable=True, isin=PUBLISHED_PRECISIONS, description="How precisely published_date is known: day | week (published_date is the first day of a 7-day window) | month (the 1st) | year (1 January) | none (published_date null). Never more precise than the evidence (pipelines/core/clean/dating.py).")
    published_rule: Optional[str] = pa.Field(nullable=True, description="The evidence rule(s) of pipelines/rules/dating.yaml that decided published_date, joined by '+' (metadata, dated_header, url_date, url_timestamp, dateline_date, latest_date+weekday, tweet_date, caption_date+weekday, feed_order:newest_first, ...; 'conflict:' prefix when evidence disagreed and the precision was lowered); for precision none 'none:<reason>' (no_date_evidence, only_future_dates, weekday_without_anchor, later_year_than_latest_date, only_date_lower_bound, only_caption_lower_bound, caption_not_of_this_story, conflict, ...).")
    raw_start: pl.Int64 = pa.Field(ge=0, description="Offset (Python str index) in documents.raw_text where the story starts (its first header line).")
    raw_end: pl.Int64 = pa.Field(ge=1, description="Offset in documents.raw_text just after the story's last line; raw_text[raw_start:raw_end] minus removed_spans, normalised, is `text`.")
    text: str = pa.Field(str_length={"min_value": 1}, description="Clean story body: raw slice minus every removed span (furniture, captions, title/topic lines, datelines), NFC, whitespace collapsed, one paragraph per line.")
    n_words: pl.Int32 = pa.Field(ge=1, description="Whitespace-separated words in `text`; video/teaser stubs have few.")
    codeable_score: pl.Float64 = pa.Field(ge=0.0, le=1.0, description="Relevance gate: calibrated probability that the story reports political, security, diplomatic, protest, legal or economic-coercion actions (model card: pipelines/rules/models/relevance_gate/card.md).")
    codeable: bool = pa.Field(description="codeable_score >= the gate's threshold (gate.json). Stories with codeable = false yield no events.")

    @pa.dataframe_check(description="raw_start < raw_end")
    def raw_offsets_ordered(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("raw_start") < pl.col("raw_end"))

    @pa.dataframe_check(description="published_date is null exactly when published_date_source is 'none'")
    def date_matches_source(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("published_date").is_null() == (pl.col("published_date_source") == "none"))

    @pa.dataframe_check(description="published_precision is 'none' exactly when published_date is null (when present)")
    def precision_matches_date(cls, data: PolarsData) -> pl.LazyFrame:
        lf = data.lazyframe
        if "published_precision" not in lf.collect_schema().names():
            return lf.select(pl.lit(True))
        return lf.select(pl.col("published_precision").is_null()
                         | (pl.col("published_date").is_null() == (pl.col("published_precision") == "none")))

    @pa.dataframe_check(description="(doc_id, story_index) is unique")
    def unique_story_index(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(~pl.struct("doc_id", "story_index").is_duplicated())


class Stories(CleanStories):
    """Stories after dedup (CONTRACT `stories`): every story belongs to a cluster with one canonical story."""

    cluster_id: str = pa.Field(str_startswith="st_", description="story_id of the canonical story of the story's duplicate cluster (its own id when unique).")
    is_canonical: bool = pa.Field(description="True for the one story per cluster that later stages (events) read.")
