"""[clean] clean_stories, removed_spans: strip page furniture and split glued files into stories (core: pipelines.core.clean)."""

import time
from collections import Counter

import polars as pl
from dagster import AssetExecutionContext, AssetIn, AssetOut, MetadataValue, multi_asset

from pipelines.assets._common import markdown_preview, schema_check_spec
from pipelines.core.cache import batch_version
from pipelines.core.clean import check_offsets, stories_and_spans
from pipelines.core.clean.relevance import default_gate, score_stories
from pipelines.core.validate import quarantine_frame
from pipelines.partitions import ingest_batch, quarantine_stage, validated_partition
from pipelines.warehouse import Warehouse
from schemas.removed_spans import RemovedSpans
from schemas.stories import CleanStories

OFFSETS_QUARANTINE_STAGE = "clean__offsets"  # per batch: clean__offsets__<batch>


@multi_asset(
    group_name="clean",
    partitions_def=ingest_batch,
    ins={"documents": AssetIn(key="documents")},
    outs={
        "clean_stories": AssetOut(
            key="clean_stories",
            description="One row per story: glued files split at story boundaries (separators, headline lines, "
            "outlet suffixes, blank-line gaps, captions under Title Case headlines), with title, outlet, dateline, "
            "publication date and its source, raw offsets and the cleaned text (CONTRACT `stories` without the "
            "dedup columns), and the relevance gate's `codeable` / `codeable_score` (does the story report actions "
            "PLOVER codes?). Rules: pipelines/rules/boilerplate.yaml, outlets.yaml, segmentation.yaml; model: "
            "pipelines/rules/models/relevance_gate/.",
        ),
        "removed_spans": AssetOut(
            key="removed_spans",
            description="The cleaning audit: every non-whitespace piece of raw text that is not in a story's text "
            "(furniture, captions, credits, title/topic lines, datelines, separators), with the rule that removed it.",
        ),
    },
    check_specs=[schema_check_spec("clean_stories"), schema_check_spec("removed_spans")],
    can_subset=False,
)
def clean(context: AssetExecutionContext, warehouse: Warehouse, documents: pl.DataFrame):
    """One ingest batch: documents[b] -> clean_stories[b], removed_spans[b]. The batch is the unit of incremental
    work (an unchanged batch is not re-run), so no per-document cache is needed; the batch is then recorded as done."""
    started = time.perf_counter()
    batch = context.partition_key
    # the relevance gate first: a missing or corrupt model file stops the step here with a ModelLoadError naming it
    gate = default_gate()
    stories, spans = stories_and_spans(documents)
    stories = stories.sort("doc_id", "story_index")
    spans = spans.sort("doc_id", "char_start", "char_end")
    # offsets must point inside the documents' raw text: violations become quarantine rows, not silent data
    bad = check_offsets(stories, spans, documents)
    warehouse.stage_quarantine(quarantine_stage(OFFSETS_QUARANTINE_STAGE, batch), quarantine_frame(bad))
    if bad:
        bad_stories = {r["record_key"] for r in bad if r["table_name"] == "stories"}
        bad_spans = {r["record_key"] for r in bad if r["table_name"] == "removed_spans"}
        stories = stories.filter(~pl.col("story_id").is_in(list(bad_stories)))
        spans = spans.filter(~pl.concat_str([pl.col("doc_id"), pl.col("char_start").cast(pl.Utf8)], separator=":")
                             .is_in(list(bad_spans)))
        context.log.warning(f"{len(bad)} offset violation(s) quarantined")
    stories = score_stories(stories, gate)  # codeable_score (probability) + codeable (core: clean/relevance.py)
    per_doc = stories.group_by("doc_id").len()["len"] if stories.height else pl.Series([], dtype=pl.UInt32)
    by_rule = Counter(spans["rule"].to_list())
    context.log.info(f"batch {batch}: {documents.height} documents -> {stories.height} stories, {spans.height} removed spans")
    st = validated_partition(
        stories, CleanStories, "clean_stories", warehouse=warehouse, batch=batch, key_column="story_id", started=started,
        output_name="clean_stories",
        extra_metadata={
            "documents": documents.height,
            "multi_story_documents": int((per_doc > 1).sum()) if len(per_doc) else 0,
            "stub_stories_under_50_words": int((stories["n_words"] < 50).sum()) if stories.height else 0,
            "published_date_source": MetadataValue.json(dict(Counter(stories["published_date_source"].to_list()))),
            "published_precision": MetadataValue.json(dict(Counter(stories["published_precision"].to_list()))),
            "offset_violations": len(bad),
            "not_codeable_stories": int((~stories["codeable"]).sum()) if stories.height else 0,
            "relevance_gate": gate.version,
        },
    )
    sp = validated_partition(
        spans, RemovedSpans, "removed_spans", warehouse=warehouse, batch=batch, started=started, output_name="removed_spans",
        extra_metadata={
            "by_rule": MetadataValue.json(dict(by_rule.most_common())),
            "by_rule_table": MetadataValue.md(markdown_preview(
                pl.DataFrame({"rule": list(by_rule), "n": list(by_rule.values())}).sort("n", descending=True)
                if by_rule else pl.DataFrame({"rule": [], "n": []}), n=40)),
        },
    )
    yield from st.events()
    yield from sp.events()
    # Dagster stores each output (StageIOManager) as it is yielded, so both partition files are written here.
    if not (st.outcome.structural_errors or sp.outcome.structural_errors) and warehouse.batch_is_staged(batch):
        warehouse.mark_batch_done(batch, batch_version())
