"""[dedup] story_signatures, stories, story_duplicates: exact / near / version clusters (core: pipelines.core.dedup).

Out-of-core: clean_stories arrives as a lazy Parquet scan and the previous index as a lazy scan of its stage file;
neither is collected whole (texts are read chunk by chunk, see pipelines.core.dedup.pipeline). `stories` and
`story_signatures` are returned as LazyFrames, validated chunk by chunk and streamed to disk by the IO manager."""

import copy
import time

import polars as pl
from dagster import AssetExecutionContext, AssetIn, AssetOut, MetadataValue, multi_asset

from pipelines.assets._common import schema_check_spec, validated, validated_lazy
from pipelines.core.atomic import write_chunks
from pipelines.core.clean.dating_cross import COLUMNS as CROSS_COLUMNS
from pipelines.core.clean.dating_cross import apply_cross_dates, cross_document_dates
from pipelines.core.dedup import IndexSchemeError, dedup_stories, load_config
from pipelines.resources import Warehouse
from schemas.stories import Stories
from schemas.story_duplicates import StoryDuplicates
from schemas.story_signatures import StorySignatures

INDEX_STAGE = "story_signatures"
WORK_DIR = "_dedup"  # under the stage folder: the last run's new signatures and new index (work files)
INDEX_WORK_FILE = "story_signatures.parquet"
STORIES_WORK_FILE = "stories.parquet"
FRAME_WIDE_CHECKS = {"cluster_has_canonical"}  # need the whole index: checked on the cluster columns instead


class _SignatureChunkModel:
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
        return cls.to_schema().validate(df, lazy=lazy)  # under the stage folder: the new signatures of the last run (read by story_signatures' sink)


@multi_asset(
    group_name="dedup",
    ins={"clean_stories": AssetIn(key="clean_stories"), "removed_spans": AssetIn(key="removed_spans")},
    outs={
        "story_signatures": AssetOut(
            key="story_signatures",
            description="Intermediate dedup index, one row per story: normalised-text hash, word 5-shingle hashes, "
            "rensa MinHash signature, furniture removed by the cleaner and current cluster. The next run reads it "
            "back lazily and compares only new stories against it (LSH bands -> exact verification -> union-find). "
            "Settings: pipelines/rules/dedup.yaml.",
        ),
        "stories": AssetOut(
            key="stories",
            description="clean_stories plus cluster_id (the canonical story's story_id) and is_canonical. Canonical "
            "rule, a pure function of the cluster's members (an incremental run equals a full rebuild): among the "
            "members within canonical_min_gain (5 %) of the longest (normalised words), the earliest publication "
            "date (unknown last), then the least furniture removed by the cleaner from the story's raw slice "
            "(raw_end - raw_start - len(text)), then from its whole source document, then the smallest story_id.",
        ),
        "story_duplicates": AssetOut(
            key="story_duplicates",
            description="One row per non-canonical story: its canonical (duplicate_of), relation exact|near|version, "
            "similarity measured exactly on shingle sets, and the named rule.",
        ),
    },
    check_specs=[schema_check_spec("story_signatures"), schema_check_spec("stories"),
                 schema_check_spec("story_duplicates")],
    can_subset=False,
)
def dedup(context: AssetExecutionContext, warehouse: Warehouse, clean_stories: pl.LazyFrame,
          removed_spans: pl.LazyFrame):
    started = time.perf_counter()
    # characters the cleaner removed per source document (one small row per document): canonical-rule tie-break
    doc_furniture = removed_spans.group_by("doc_id").agg(
        (pl.col("char_end") - pl.col("char_start")).sum().cast(pl.Int64).alias("doc_furniture")).collect()
    previous = warehouse.scan_stage(INDEX_STAGE)
    config = load_config()
    workdir = warehouse.stage_dir / WORK_DIR
    try:
        res = dedup_stories(clean_stories, previous, config, retire_missing=True, workdir=workdir,
                            doc_furniture=doc_furniture)
    except IndexSchemeError as e:
        # the index was made with other settings (dedup.yaml, polars string hash, rensa) or an older layout: the
        # input holds every story (retire_missing mirrors it), so a full rebuild gives the same clusters
        context.log.warning(f"dedup: previous signature index not reusable ({e}); rebuilding it from all stories")
        res = dedup_stories(clean_stories, None, config, retire_missing=True, workdir=workdir,
                            doc_furniture=doc_furniture)
    st = res.stats
    context.log.info(
        f"dedup: {st['n_input']} stories, {st['n_new']} new, {st['n_index_before']} in the previous index, "
        f"{st['n_candidates']} LSH candidates, {st['n_duplicates']} duplicates in {st['n_clusters_multi']} clusters "
        f"({st['seconds']['total']} s)")

    size = max(1, config.chunk_size)
    assignments = res.assignments

    n = int(clean_stories.select(pl.len()).collect().item())
    # undated stories borrow a week from dedup twins / same-event stories (core: clean/dating_cross.py)
    cross = cross_document_dates((clean_stories.select(CROSS_COLUMNS).slice(off, size).collect()
                                  for off in range(0, n, size)), assignments)

    def story_chunks():
        """Slices of the input scan (only their row groups are read) joined with the small assignments."""
        for off in range(0, n, size):
            yield apply_cross_dates(clean_stories.slice(off, size).collect(), cross).join(
                assignments, on="story_id", how="left", maintain_order="left")

    input_ids = clean_stories.select("story_id").collect()["story_id"]
    dups = res.duplicates.filter(pl.col("story_id").is_in(input_ids.implode()))
    relations = dict(dups.group_by("relation").len().iter_rows()) if dups.height else {}
    # the frame-wide rule of StorySignatures, checked on the small cluster columns (chunks see part of the index)
    cl = res.clusters
    orphans = cl.filter(~pl.col("cluster_id").is_in(cl.filter(pl.col("is_canonical"))["story_id"].implode()))
    index_errors = [f"cluster_has_canonical: {orphans.height} row(s) whose cluster_id is no canonical story, e.g. "
                    f"{orphans['story_id'].head(3).to_list()}"] if orphans.height else []
    common = {
        "new_stories": st["n_new"],
        "previous_index_rows": st["n_index_before"],
        "lsh_candidates": st["n_candidates"],
        "seconds_by_stage": MetadataValue.json(st["seconds"]),
    }
    # the new index is validated chunk by chunk while it is written (row groups of chunk_size) to the work folder,
    # then handed on as a lazy scan of that file, which the IO manager streams to the stage file
    # (moved into place when every row passed: no second copy)
    index_path = workdir / INDEX_WORK_FILE
    sig = validated_lazy(lambda: pl.scan_parquet(index_path), _SignatureChunkModel, "story_signatures",
                         warehouse=warehouse, key_column="story_id", started=started, output_name="story_signatures",
                         extra_metadata=common, chunks=res.writing_index(index_path, size), extra_errors=index_errors,
                         staged_file=index_path)
    # stories likewise: each chunk is validated and written to the work folder in one pass
    stories_path = workdir / STORIES_WORK_FILE
    stories_empty = clean_stories.head(0).collect().join(assignments.head(0), on="story_id", how="left")
    sto = validated_lazy(lambda: pl.scan_parquet(stories_path), Stories, "stories", warehouse=warehouse,
                         key_column="story_id", started=started, output_name="stories",
                         chunks=write_chunks(story_chunks(), stories_path, stories_empty), staged_file=stories_path,
                         extra_metadata={"canonical_stories": int(assignments["is_canonical"].sum() or 0),
                                         "multi_story_clusters": st["n_clusters_multi"]})
    dup = validated(dups, StoryDuplicates, "story_duplicates", warehouse=warehouse, key_column="story_id",
                    started=started, output_name="story_duplicates",
                    extra_metadata={"by_relation": MetadataValue.json(relations), **common})
    yield from sig.events()
    yield from sto.events()
    yield from dup.events()
