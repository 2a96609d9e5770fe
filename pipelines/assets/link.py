"""[link] events, event_clusters: the same real-world event across stories (core: pipelines.core.link.stage)."""

import polars as pl
from dagster import AssetExecutionContext, AssetOut, multi_asset

from pipelines.assets._common import describe, schema_check_spec, validated
from pipelines.core.link.stage import link_stage
from pipelines.warehouse import Warehouse
from schemas.event_clusters import EventClusters
from schemas.events import Events


@multi_asset(
    group_name="link", can_subset=False,
    outs={k: AssetOut(key=k, description=describe(k)) for k in ("events", "event_clusters")},
    check_specs=[schema_check_spec("events"), schema_check_spec("event_clusters")],
)
def link(context: AssetExecutionContext, warehouse: Warehouse, event_mentions: pl.DataFrame, stories: pl.LazyFrame):
    events, clusters, event_stats, cluster_stats = link_stage(event_mentions, stories)
    context.log.info(f"linked {events.height} mentions into {clusters.height} event clusters "
                     f"({cluster_stats['multi_story_clusters']} reported by more than one story)")
    yield from validated(events, Events, "events", warehouse=warehouse, key_column="event_id", output_name="events",
                         extra_metadata=event_stats)
    yield from validated(clusters, EventClusters, "event_clusters", warehouse=warehouse,
                         key_column="event_cluster_id", output_name="event_clusters", extra_metadata=cluster_stats)
