"""[link] events, event_clusters: the same real-world event across stories (core: pipelines.core.link)."""

import importlib.util
import time

import polars as pl
from dagster import AssetExecutionContext, AssetIn, AssetOut, MetadataValue, multi_asset

from pipelines.assets._common import markdown_preview, schema_check_spec, validated
from pipelines.core.link import link_events, load_rules
from pipelines.warehouse import Warehouse
from schemas.event_clusters import EventClusters
from schemas.events import Events


# The stages upstream of `link` land one module at a time; until both exist the assets below are not exposed at
# module level (an asset whose input is produced by no asset would break the whole Definitions).
UPSTREAM_MODULES = ("pipelines.assets.dedup", "pipelines.assets.extract")


def upstream_ready() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in UPSTREAM_MODULES)


# the story columns linking needs (never the whole texts: `stories` arrives as a lazy scan; story groups read the
# title and the lead, the first story_groups.lead_chars characters)
STORY_COLUMNS = ("story_id", "doc_id", "outlet", "published_date", "cluster_id", "is_canonical", "title")


def _link(context: AssetExecutionContext, warehouse: Warehouse, event_mentions: pl.DataFrame, stories: pl.LazyFrame):
    started = time.perf_counter()
    names = stories.collect_schema().names()
    rules = load_rules()
    lead_chars = int((rules.get("story_groups") or {}).get("lead_chars", 600))
    lead = [pl.col("text").str.slice(0, lead_chars).alias("lead")] if "text" in names else []
    stories = stories.select([pl.col(c) for c in STORY_COLUMNS if c in names] + lead).collect()
    if "published_date" not in event_mentions.columns and "published_date" in stories.columns:
        # the Events model checks event_date against the story's publication date
        event_mentions = event_mentions.join(stories.select("story_id", "published_date"), on="story_id", how="left")
    events, clusters = link_events(event_mentions, stories, rules)
    multi = clusters.filter(pl.col("n_stories") > 1)
    context.log.info(f"linked {events.height} mentions into {clusters.height} event clusters "
                     f"({multi.height} reported by more than one story)")
    ev = validated(events, Events, "events", warehouse=warehouse, key_column="event_id", started=started,
                   output_name="events",
                   extra_metadata={"event_clusters": clusters.height,
                                   "by_type": MetadataValue.json(dict(events["event_type"].value_counts().iter_rows())
                                                                 if events.height else {})})
    top = clusters.sort(["n_stories", "n_mentions", "event_cluster_id"], descending=[True, True, False])
    cl = validated(clusters, EventClusters, "event_clusters", warehouse=warehouse, key_column="event_cluster_id",
                   started=started, output_name="event_clusters",
                   extra_metadata={
                       "multi_story_clusters": multi.height,
                       "largest_clusters": MetadataValue.md(markdown_preview(
                           top, n=10, columns=["event_type", "source_actor_id", "target_actor_id", "event_date",
                                               "n_mentions", "n_stories", "n_outlets", "factuality"])),
                       "linking_rules": MetadataValue.json({k: rules.get(k) for k in (
                           "windows_days", "undated_lookback_days", "max_interval_days", "min_actor_agreements",
                           "min_link_score", "min_link_score_undated")}),
                   })
    yield from ev.events()
    yield from cl.events()


def build_link_asset():
    """The `link` multi_asset (events + event_clusters)."""
    return multi_asset(
        name="link",
        group_name="link",
        ins={"event_mentions": AssetIn(key="event_mentions"), "stories": AssetIn(key="stories")},
        outs={
            "events": AssetOut(
                key="events",
                description="One row per event mention (CONTRACT `events`), with `event_cluster_id` linking mentions of the "
                "same real-world event across stories.",
            ),
            "event_clusters": AssetOut(
                key="event_clusters",
                description="One row per real-world event: mentions linked by PLOVER type family, factuality group (planned "
                "and asserted never merge), compatible source/target actors, date window and location "
                "(pipelines/rules/linking.yaml), with n_mentions / n_stories / n_outlets counted over canonical stories "
                "and dedup clusters, and a representative mention.",
            ),
        },
        check_specs=[schema_check_spec("events"), schema_check_spec("event_clusters")],
        can_subset=False,
    )(_link)


if upstream_ready():
    link = build_link_asset()
