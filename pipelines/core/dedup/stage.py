"""The dedup stage, out-of-core: clean stories (a lazy scan) + the previous signature index (a lazy scan, or None)
-> the new index, the stories with their cluster columns and the duplicate rows, each new index / stories file
written chunk by chunk to the work folder while the caller validates the chunks (one pass, never collected whole).

The index's frame-wide rule (`cluster_has_canonical` of StorySignatures) needs every row: chunks are validated
without it (SignatureChunkModel) and the rule is checked here on the small cluster columns (index_errors)."""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import polars as pl

from pipelines.core.atomic import write_chunks
from pipelines.core.clean.dating_cross import COLUMNS as CROSS_COLUMNS
from pipelines.core.clean.dating_cross import apply_cross_dates, cross_document_dates
from pipelines.core.dedup import DedupResult, IndexSchemeError, dedup_stories, load_config
from schemas.story_signatures import StorySignatures

INDEX_WORK_FILE = "story_signatures.parquet"
STORIES_WORK_FILE = "stories.parquet"
FRAME_WIDE_CHECKS = {"cluster_has_canonical"}  # need the whole index: checked on the cluster columns instead


class SignatureChunkModel:
    """StorySignatures without its frame-wide checks, for validating the index one chunk at a time (the model
    interface validate_frame uses: to_schema(), validate(), Config.strict)."""

    _schema = None
    Config = StorySignatures.Config

    @classmethod
    def to_schema(cls):
        if cls._schema is None:
            schema = StorySignatures.to_schema()
            cls._schema = copy.deepcopy(schema)
            cls._schema.checks = [c for c in schema.checks if c.name not in FRAME_WIDE_CHECKS]
        return cls._schema

    @classmethod
    def validate(cls, df: pl.DataFrame, lazy: bool = True) -> pl.DataFrame:
        return cls.to_schema().validate(df, lazy=lazy)


def orphan_errors(clusters: pl.DataFrame) -> list[str]:
    """cluster_has_canonical over the whole index: every cluster_id is the story_id of a canonical story."""
    canon = clusters.filter(pl.col("is_canonical"))["story_id"].implode()
    orphans = clusters.filter(~pl.col("cluster_id").is_in(canon))
    return [f"cluster_has_canonical: {orphans.height} row(s) whose cluster_id is no canonical story, e.g. "
            f"{orphans['story_id'].head(3).to_list()}"] if orphans.height else []


@dataclass
class DedupStage:
    result: DedupResult
    index_path: Path
    stories_path: Path
    index_chunks: Iterator[pl.DataFrame]  # the new index, written to index_path as it is read
    story_chunks: Iterator[pl.DataFrame]  # the stories + cluster columns, written to stories_path as read
    duplicates: pl.DataFrame
    index_errors: list[str]
    stats: dict
    story_stats: dict
    duplicate_stats: dict

    def scan(self, path: Path) -> Callable[[], pl.LazyFrame]:
        return lambda: pl.scan_parquet(path)


def dedup_stage(clean_stories: pl.LazyFrame, removed_spans: pl.LazyFrame, previous: pl.LazyFrame | None,
                workdir: Path, log=None) -> DedupStage:
    # characters the cleaner removed per source document (one small row per document): canonical-rule tie-break
    doc_furniture = removed_spans.group_by("doc_id").agg(
        (pl.col("char_end") - pl.col("char_start")).sum().cast(pl.Int64).alias("doc_furniture")).collect()
    config = load_config()
    try:
        res = dedup_stories(clean_stories, previous, config, retire_missing=True, workdir=workdir,
                            doc_furniture=doc_furniture)
    except IndexSchemeError as e:
        # the index was made with other settings (dedup.yaml, polars string hash, rensa) or an older layout: the
        # input holds every story (retire_missing mirrors it), so a full rebuild gives the same clusters
        if log:
            log(f"dedup: previous signature index not reusable ({e}); rebuilding it from all stories")
        res = dedup_stories(clean_stories, None, config, retire_missing=True, workdir=workdir,
                            doc_furniture=doc_furniture)
    # slices as dedup_stories sized them (bigger for tiny stories, rules/dedup.yaml slice_bytes)
    size = max(1, int(res.stats.get("slice_rows", {}).get("input", config.chunk_size)))
    assignments = res.assignments

    n = int(clean_stories.select(pl.len()).collect().item())
    # undated stories borrow a week from dedup twins / same-event stories (core: clean/dating_cross.py)
    cross = cross_document_dates((clean_stories.select(CROSS_COLUMNS).slice(off, size).collect()
                                  for off in range(0, n, size)), assignments)

    def joined() -> Iterator[pl.DataFrame]:
        """Slices of the input scan (only their row groups are read), cross-dated, joined with the assignments."""
        for off in range(0, n, size):
            yield apply_cross_dates(clean_stories.slice(off, size).collect(), cross).join(
                assignments, on="story_id", how="left", maintain_order="left")

    input_ids = clean_stories.select("story_id").collect()["story_id"]
    dups = res.duplicates.filter(pl.col("story_id").is_in(input_ids.implode()))
    st = res.stats
    stats = {"new_stories": st["n_new"], "previous_index_rows": st["n_index_before"],
             "lsh_candidates": st["n_candidates"], "seconds_by_stage": st["seconds"]}
    index_path, stories_path = Path(workdir) / INDEX_WORK_FILE, Path(workdir) / STORIES_WORK_FILE
    stories_empty = clean_stories.head(0).collect().join(assignments.head(0), on="story_id", how="left")
    return DedupStage(
        res, index_path, stories_path, res.writing_index(index_path, size),
        write_chunks(joined(), stories_path, stories_empty), dups, orphan_errors(res.clusters), stats,
        {"canonical_stories": int(assignments["is_canonical"].sum() or 0),
         "multi_story_clusters": st["n_clusters_multi"]},
        {"by_relation": dict(dups.group_by("relation").len().iter_rows()) if dups.height else {}, **stats})


def summary(st: dict) -> str:
    return (f"dedup: {st['n_input']} stories, {st['n_new']} new, {st['n_index_before']} in the previous index, "
            f"{st['n_candidates']} LSH candidates, {st['n_duplicates']} duplicates in {st['n_clusters_multi']} "
            f"clusters ({st['seconds']['total']} s)")
