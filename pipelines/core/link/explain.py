"""Linking step 4, explain: one `event_links` row per mention that joined a cluster, naming the rule and the
features that decided it (e.g. "actors: score=5; source=3, target=1, date_gap=0d<=3d, shared_terms=2")."""
from __future__ import annotations

from typing import Any

import polars as pl

from pipelines.core.ids import stable_id
from pipelines.core.link.block import Mention
from pipelines.core.link.cluster import windows
from pipelines.core.link.score import Decision
from pipelines.core.link.stories import StoryGroups

LINKS_SCHEMA: dict[str, Any] = {
    "link_id": pl.Utf8,
    "event_cluster_id": pl.Utf8,
    "event_id": pl.Utf8,
    "linked_event_id": pl.Utf8,
    "rule": pl.Utf8,
    "score": pl.Int32,
    "source_agreement": pl.Int8,
    "target_agreement": pl.Int8,
    "actors_swapped": pl.Boolean,
    "same_location": pl.Boolean,
    "shared_terms": pl.Int32,
    "same_quantity": pl.Boolean,
    "date_gap_days": pl.Int32,
    "same_story_group": pl.Boolean,
    "story_similarity": pl.Float64,
    "decided_by": pl.Utf8,
}


def decided_by(d: Decision, same_group: bool, sim: float, rules: dict, window: int, story_window: int) -> str:
    parts = []
    if d.rule == "story":
        parts.append(f"same_story_group(similarity={sim:.2f})")
    parts.append(f"source={d.source}" + (";swapped" if d.swapped else ""))
    parts.append(f"target={d.target}")
    if d.date_gap is None:
        parts.append("no_date")
    else:
        limit = story_window if d.rule == "story" and d.date_gap > window else window
        parts.append(f"date_gap={d.date_gap}d<={limit}d")
    if d.same_location:
        parts.append("same_location")
    if d.shared_terms >= int(rules.get("min_shared_terms", 2)):
        parts.append(f"shared_terms={d.shared_terms}")
    if d.same_quantity:
        parts.append("same_quantity")
    return f"{d.rule}: score={d.score}; " + ", ".join(parts)


def link_rows(links: list[tuple[int, int, Decision]], mentions: list[Mention], cluster_of: list,
              sgroups: StoryGroups | None, rules: dict) -> pl.DataFrame:
    """The event_links table: (mention index, index of the cluster's first mention, decision) -> one row each."""
    rows = []
    for i, j, d in links:
        a, b = mentions[i], mentions[j]
        w, sw = windows(a.family, rules)
        same = a.sgroup is not None and a.sgroup == b.sgroup
        sim = sgroups.similarity(a.story_key, b.story_key) if sgroups is not None else 0.0
        rows.append({
            "link_id": stable_id("el", a.event_id, b.event_id),
            "event_cluster_id": cluster_of[i],
            "event_id": a.event_id,
            "linked_event_id": b.event_id,
            "rule": d.rule,
            "score": d.score,
            "source_agreement": d.source,
            "target_agreement": d.target,
            "actors_swapped": d.swapped,
            "same_location": d.same_location,
            "shared_terms": d.shared_terms,
            "same_quantity": d.same_quantity,
            "date_gap_days": d.date_gap,
            "same_story_group": same,
            "story_similarity": round(sim, 4),
            "decided_by": decided_by(d, same, sim, rules, w, sw),
        })
    return pl.DataFrame(rows, schema=LINKS_SCHEMA).sort("link_id")
