"""[clean] clean_stories, removed_spans: strip page furniture and split glued files into stories, one ingest batch
at a time (core: pipelines.core.clean.stage)."""

import polars as pl
from dagster import AssetExecutionContext, AssetOut, multi_asset

from pipelines.assets._common import describe, schema_check_spec, validated
from pipelines.core.cache import batch_version
from pipelines.core.clean.relevance import default_gate
from pipelines.core.clean.stage import clean_batch
from pipelines.core.validate import quarantine_frame
from pipelines.orchestration.partitions import ingest_batch
from pipelines.warehouse import Warehouse
from pipelines.warehouse.layout import quarantine_stage
from schemas.removed_spans import RemovedSpans
from schemas.stories import CleanStories

OFFSETS_QUARANTINE_STAGE = "clean__offsets"  # per batch: clean__offsets__<batch>


@multi_asset(
    group_name="clean", partitions_def=ingest_batch, can_subset=False,
    outs={k: AssetOut(key=k, description=describe(k)) for k in ("clean_stories", "removed_spans")},
    check_specs=[schema_check_spec("clean_stories"), schema_check_spec("removed_spans")],
)
def clean(context: AssetExecutionContext, warehouse: Warehouse, documents: pl.DataFrame):
    """One ingest batch: documents[b] -> clean_stories[b], removed_spans[b]. The batch is the unit of incremental
    work (an unchanged batch is not re-run); it is then recorded as done in the batch registry."""
    batch = context.partition_key
    gate = default_gate()  # first: a missing or corrupt model file stops the step here, naming it
    stories, spans, bad, story_stats, span_stats = clean_batch(documents, gate)
    warehouse.stage_quarantine(quarantine_stage(OFFSETS_QUARANTINE_STAGE, batch), quarantine_frame(bad))
    context.log.info(f"batch {batch}: {documents.height} documents -> {stories.height} stories, {spans.height} "
                     f"removed spans, {len(bad)} offset violation(s) quarantined")
    st = validated(stories, CleanStories, "clean_stories", warehouse=warehouse, batch=batch, key_column="story_id",
                   output_name="clean_stories", extra_metadata=story_stats)
    sp = validated(spans, RemovedSpans, "removed_spans", warehouse=warehouse, batch=batch,
                   output_name="removed_spans", extra_metadata=span_stats)
    yield from st
    yield from sp
    # Dagster stores each output (StageIOManager) as it is yielded, so both partition files are written here.
    if not (st.outcome.structural_errors or sp.outcome.structural_errors) and warehouse.batch_is_staged(batch):
        warehouse.mark_batch_done(batch, batch_version())
