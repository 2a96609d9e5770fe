"""The link stage: event mentions + the story columns linking needs (never the whole texts: the story groups read
the title and the lead) -> (events, event clusters, stats)."""
from __future__ import annotations

import polars as pl

from pipelines.core.link import link_events, load_rules

STORY_COLUMNS = ("story_id", "doc_id", "outlet", "published_date", "cluster_id", "is_canonical", "title")
RULE_KEYS = ("windows_days", "undated_lookback_days", "max_interval_days", "min_actor_agreements", "min_link_score",
             "min_link_score_undated")
TOP_COLUMNS = ["event_type", "source_actor_id", "target_actor_id", "event_date", "n_mentions", "n_stories",
               "n_outlets", "factuality"]


def link_stage(event_mentions: pl.DataFrame, stories: pl.LazyFrame) -> tuple[pl.DataFrame, pl.DataFrame, dict, dict]:
    """(events, event_clusters, event stats, cluster stats)."""
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
    top = clusters.sort(["n_stories", "n_mentions", "event_cluster_id"], descending=[True, True, False])
    by_type = dict(events["event_type"].value_counts().iter_rows()) if events.height else {}
    event_stats = {"event_clusters": clusters.height, "by_type": by_type}
    cluster_stats = {"multi_story_clusters": multi.height,
                     "largest_clusters": top.select([c for c in TOP_COLUMNS if c in top.columns]).head(10),
                     "linking_rules": {k: rules.get(k) for k in RULE_KEYS}}
    return events, clusters, event_stats, cluster_stats
