"""[dedup] story_signatures, stories, story_duplicates: exact / near / version clusters, out-of-core (core:
pipelines.core.dedup.stage). The new index and stories are validated chunk by chunk while they are written to the
work folder, then moved into the stage (no second copy)."""

import polars as pl
from dagster import AssetExecutionContext, AssetOut, multi_asset

from pipelines.assets._common import describe, schema_check_spec, validated
from pipelines.core.dedup.stage import SignatureChunkModel, dedup_stage, summary
from pipelines.core.validate_chunks import Chunked
from pipelines.warehouse import Warehouse
from schemas.stories import Stories
from schemas.story_duplicates import StoryDuplicates

INDEX_STAGE = "story_signatures"
WORK_DIR = "_dedup"  # under the stage folder: the last run's new signatures and new stories (work files)
OUTPUTS = ("story_signatures", "stories", "story_duplicates")


@multi_asset(
    group_name="dedup", can_subset=False,
    outs={k: AssetOut(key=k, description=describe(k)) for k in OUTPUTS},
    check_specs=[schema_check_spec(k) for k in OUTPUTS],
)
def dedup(context: AssetExecutionContext, warehouse: Warehouse, clean_stories: pl.LazyFrame,
          removed_spans: pl.LazyFrame):
    d = dedup_stage(clean_stories, removed_spans, warehouse.scan_stage(INDEX_STAGE), warehouse.stage_dir / WORK_DIR,
                    log=context.log.warning)
    context.log.info(summary(d.result.stats))
    # all three validated before any is staged: writing the new index reads the previous one (its stage file)
    sig = validated(Chunked(d.scan(d.index_path), d.index_chunks, d.index_path, d.index_errors), SignatureChunkModel,
                    "story_signatures", warehouse=warehouse, key_column="story_id", output_name="story_signatures",
                    extra_metadata=d.stats)
    sto = validated(Chunked(d.scan(d.stories_path), d.story_chunks, d.stories_path), Stories, "stories",
                    warehouse=warehouse, key_column="story_id", output_name="stories", extra_metadata=d.story_stats)
    dup = validated(d.duplicates, StoryDuplicates, "story_duplicates", warehouse=warehouse, key_column="story_id",
                    output_name="story_duplicates", extra_metadata=d.duplicate_stats)
    for v in (sig, sto, dup):
        yield from v
