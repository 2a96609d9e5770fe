"""`story_signatures` (intermediate, not public): the persisted dedup index, one row per story ever seen.

The next run reads it back lazily (Warehouse.scan_stage("story_signatures"), column by column and slice by slice) and
compares only new stories against it."""
from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from schemas.story_duplicates import RELATIONS


class StorySignatures(pa.DataFrameModel):
    """Signature index of the dedup stage: normalised-text hash, shingle set, MinHash and current cluster."""

    story_id: str = pa.Field(unique=True, description="stories.story_id.")
    published_date: dt.date = pa.Field(nullable=True, description="Publication date (canonical-story tie-break).")
    norm_hash: str = pa.Field(str_matches=r"^[0-9a-f]{32}$", description="128-bit hash (32 hex) of the normalised word sequence (NFKC, lower case, runs of letters/digits); equal => exact duplicate.")
    n_words: int = pa.Field(ge=0, description="Words in the normalised text (canonical rule: only members within canonical_min_gain of the longest are eligible).")
    n_shingles: int = pa.Field(ge=0, description="Distinct word 5-shingles (length of `shingles`).")
    furniture: int = pa.Field(nullable=True, description="raw_end - raw_start - len(text): characters the cleaner removed from the story's raw slice (canonical-rule tie-break: least furniture wins); null when unknown.")
    doc_furniture: int = pa.Field(nullable=True, description="Characters the cleaner removed from the story's whole source document (sum of its removed_spans); second canonical-rule tie-break after `furniture`: a re-scraped page with extra furniture loses. Null when unknown.")
    shingles: pl.List(pl.UInt64) = pa.Field(description="Sorted distinct 48-bit hashes of the word 5-shingles, for exact Jaccard/containment on candidate pairs.")
    minhash: pl.List(pl.UInt32) = pa.Field(description="rensa RMinHash signature (num_perm values) of the shingle set; LSH bands are cut from it.")
    scheme: str = pa.Field(description="Shingling/hash/MinHash settings the row was made with; an index with another scheme is not reused.")
    cluster_id: str = pa.Field(description="story_id of the canonical story of the cluster.")
    is_canonical: bool = pa.Field(description="True for the one canonical story of each cluster.")
    duplicate_of: str = pa.Field(nullable=True, description="Canonical story for non-canonical rows, else null.")
    relation: str = pa.Field(nullable=True, isin=list(RELATIONS), description="exact|near|version for non-canonical rows, else null.")
    similarity: float = pa.Field(nullable=True, ge=0.0, le=1.0, description="Similarity to the canonical story (see story_duplicates).")
    jaccard: float = pa.Field(nullable=True, ge=0.0, le=1.0, description="Shingle Jaccard with the canonical story.")
    containment: float = pa.Field(nullable=True, ge=0.0, le=1.0, description="Shingle containment with the canonical story.")
    rule: str = pa.Field(nullable=True, description="Dedup rule name for non-canonical rows.")

    class Config:
        name = "story_signatures"
        strict = False
        coerce = True

    @pa.dataframe_check(description="canonical rows are their own cluster; duplicates point to their cluster")
    def cluster_consistent(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.when(pl.col("is_canonical")).then(pl.col("cluster_id") == pl.col("story_id"))
            .otherwise(pl.col("duplicate_of") == pl.col("cluster_id")))

    @pa.dataframe_check(description="every cluster_id is the story_id of a canonical row in the index")
    def cluster_has_canonical(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("cluster_id").is_in(pl.col("story_id").filter(pl.col("is_canonical")).implode()))
