"""`story_duplicates`: one row per story that repeats another (dedup stage, issue 4)."""
from __future__ import annotations

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

RELATIONS = ("exact", "near", "version")


class StoryDuplicates(pa.DataFrameModel):
    """One row per non-canonical story: the canonical story of its cluster, how it relates to it and how similar
    it is (measured exactly on the two texts' word 5-shingle sets; thresholds in pipelines/rules/dedup.yaml)."""

    story_id: str = pa.Field(unique=True, description="The repeated (non-canonical) story; stories.is_canonical is false for it.")
    duplicate_of: str = pa.Field(description="story_id of the canonical story of its cluster (= stories.cluster_id).")
    relation: str = pa.Field(isin=list(RELATIONS), description="exact: same normalised text; near: near-identical text (word 5-shingle Jaccard >= threshold, e.g. other furniture or a changed sentence); version: an updated or shortened version (containment of the shorter in the longer >= threshold).")
    similarity: float = pa.Field(ge=0.0, le=1.0, description="1.0 for exact; Jaccard for near; containment for version (measured on the exact shingle sets, not estimated).")
    jaccard: float = pa.Field(ge=0.0, le=1.0, description="Jaccard similarity of the two stories' word 5-shingle sets.")
    containment: float = pa.Field(ge=0.0, le=1.0, description="Share of the smaller shingle set found in the larger one.")
    rule: str = pa.Field(str_length={"min_value": 1}, description="Named rule that made the pair a duplicate (pipelines/rules/dedup.yaml), e.g. near:jaccard>=0.80; version:chained-through-verified-pairs when the story joined the cluster only through other verified pairs.")

    class Config:
        name = "story_duplicates"
        strict = False
        coerce = True

    @pa.dataframe_check(description="no self-pairs: a story is never a duplicate of itself")
    def no_self_pairs(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("story_id") != pl.col("duplicate_of"))

    @pa.dataframe_check(description="duplicate_of is canonical: it never appears as a duplicate itself")
    def duplicate_of_is_canonical(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(~pl.col("duplicate_of").is_in(pl.col("story_id").implode()))

    @pa.dataframe_check(description="exact duplicates have similarity 1.0")
    def exact_is_one(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col("relation") != "exact") | (pl.col("similarity") == 1.0))
