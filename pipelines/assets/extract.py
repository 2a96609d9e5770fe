"""[extract] event_mentions, actors: sentences of canonical stories -> PLOVER event mentions and the actors they
point to (core: pipelines.core.extract.stage)."""

import polars as pl
from dagster import AssetExecutionContext, AssetOut, multi_asset

from pipelines.assets._common import describe, schema_check_spec, validated
from pipelines.core.extract.stage import extract_stage
from pipelines.core.validate import quarantine_frame
from pipelines.warehouse import Warehouse
from schemas.actors import Actors
from schemas.events import EventMentions

EVIDENCE_QUARANTINE_STAGE = "extract__evidence"
CAP_QUARANTINE_STAGE = "extract__sentence_cap"


@multi_asset(
    group_name="extract", can_subset=False,
    outs={k: AssetOut(key=k, description=describe(k)) for k in ("event_mentions", "actors")},
    check_specs=[schema_check_spec("event_mentions"), schema_check_spec("actors")],
)
def extract(context: AssetExecutionContext, warehouse: Warehouse, stories: pl.LazyFrame):
    events, actors, bad, capped, stats = extract_stage(stories, warehouse.cache_dir, log=context.log.info)
    warehouse.stage_quarantine(EVIDENCE_QUARANTINE_STAGE, quarantine_frame(bad))
    warehouse.stage_quarantine(CAP_QUARANTINE_STAGE, quarantine_frame(capped))
    context.log.info(f"extract: {stats['canonical_stories']} canonical stories ({stats['stories_extracted']} new) "
                     f"-> {events.height} event mentions, {actors.height} actors; {len(bad)} event(s) with offsets "
                     "not matching their evidence quarantined")
    yield from validated(events, EventMentions, "event_mentions", warehouse=warehouse, key_column="event_id",
                         output_name="event_mentions", extra_metadata=stats)
    yield from validated(actors, Actors, "actors", warehouse=warehouse, key_column="actor_id", output_name="actors")
