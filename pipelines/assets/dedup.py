"""[dedup] story_signatures, stories, story_duplicates: exact / near / version clusters (core: pipelines.core.dedup)."""

import time

import polars as pl
from dagster import AssetExecutionContext, AssetIn, AssetOut, MetadataValue, multi_asset

from pipelines.assets._common import schema_check_spec, validated
from pipelines.core.dedup import IndexSchemeError, dedup_stories, load_config
from pipelines.resources import Warehouse
from schemas.stories import Stories
from schemas.story_duplicates import StoryDuplicates
from schemas.story_signatures import StorySignatures

INDEX_STAGE = "story_signatures"


@multi_asset(
    group_name="dedup",
    ins={"clean_stories": AssetIn(key="clean_stories")},
    outs={
        "story_signatures": AssetOut(
            key="story_signatures",
            description="Intermediate dedup index, one row per story: normalised-text hash, word 5-shingle hashes, "
            "rensa MinHash signature and current cluster. The next run reads it back and compares only new "
            "stories against it (LSH bands -> exact verification -> union-find). Settings: pipelines/rules/dedup.yaml.",
        ),
        "stories": AssetOut(
            key="stories",
            description="clean_stories plus cluster_id (the canonical story's story_id) and is_canonical. Canonical "
            "rule: most words, then earliest publication date, then smallest story_id; an existing canonical is "
            "kept unless a newcomer has clearly more text (canonical_min_gain).",
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
def dedup(context: AssetExecutionContext, warehouse: Warehouse, clean_stories: pl.DataFrame):
    started = time.perf_counter()
    previous = warehouse.read_stage(INDEX_STAGE)
    config = load_config()
    try:
        res = dedup_stories(clean_stories, previous, config, retire_missing=True)
    except IndexSchemeError as e:
        # the index was made with other settings (dedup.yaml, polars string hash, rensa): the input holds every
        # story (retire_missing mirrors it), so a full rebuild gives the same clusters; canonicals may move
        context.log.warning(f"dedup: previous signature index not reusable ({e}); rebuilding it from all stories")
        res = dedup_stories(clean_stories, None, config, retire_missing=True)
    st = res.stats
    context.log.info(
        f"dedup: {st['n_input']} stories, {st['n_new']} new, {st['n_index_before']} in the previous index, "
        f"{st['n_candidates']} LSH candidates, {st['n_duplicates']} duplicates in {st['n_clusters_multi']} clusters "
        f"({st['seconds']['total']} s)")

    stories = clean_stories.join(res.assignments, on="story_id", how="left")
    dups = res.duplicates.filter(pl.col("story_id").is_in(clean_stories["story_id"].implode()))
    relations = dict(dups.group_by("relation").len().iter_rows()) if dups.height else {}
    common = {
        "new_stories": st["n_new"],
        "previous_index_rows": st["n_index_before"],
        "lsh_candidates": st["n_candidates"],
        "seconds_by_stage": MetadataValue.json(st["seconds"]),
    }
    sig = validated(res.index, StorySignatures, "story_signatures", warehouse=warehouse, key_column="story_id",
                    started=started, output_name="story_signatures", extra_metadata=common)
    sto = validated(stories, Stories, "stories", warehouse=warehouse, key_column="story_id", started=started,
                    output_name="stories",
                    extra_metadata={"canonical_stories": int(stories["is_canonical"].sum() or 0),
                                    "multi_story_clusters": st["n_clusters_multi"]})
    dup = validated(dups, StoryDuplicates, "story_duplicates", warehouse=warehouse, key_column="story_id",
                    started=started, output_name="story_duplicates",
                    extra_metadata={"by_relation": MetadataValue.json(relations), **common})
    yield from sig.events()
    yield from sto.events()
    yield from dup.events()
