"""Link event mentions from different stories that report the same real-world event.

Pure Python + polars, no dagster. The rules (type families, date windows, factuality groups, thresholds) are
data in ``pipelines/rules/linking.yaml``.

Algorithm (scalable: blocked, never all-pairs):
1. Each mention gets a *type family* (from its PLOVER type), a *factuality group* and a *date interval*
   (its event_date widened by its precision, or [published - lookback, published] when undated).
   Mentions whose factuality is not in a group, or whose date is unknown or too vague, stay alone.
2. Block by (family, factuality group); inside a block, sweep mentions in date order while keeping only the
   clusters whose anchor interval is still within the family's window (a sliding window), indexed by the
   actor countries/ids they carry, so each mention is compared with a handful of candidate clusters.
3. A mention joins the best-scoring compatible cluster: no conflicting actor (a known source/target on both
   sides that differs) and no conflicting location country; then a score sums the agreement of each side
   (3 same specific actor, 2 same country+sector code, 1 same country), +1 same location country, +1 at least
   two shared distinctive terms (names, numbers) in the sentences; the link needs `min_link_score` (3), or
   `min_link_score_undated` (4) when a side relies on the publication date instead of a stated date, and date
   intervals that overlap within the family's window. A cluster's profile is filled by its members, so a later
   member must agree with all values already seen (no chaining from A to C through a vague B), and its anchor
   interval is the tightest stated date seen (no drift in time).
   Mentions with no date at all (no stated date, story without publication date) are attached afterwards to
   the unique best cluster of their block that reaches `min_link_score_nodate` (same quantity +1), via an
   actor index; otherwise they stay alone.
4. Counts: ``n_stories`` counts distinct story dedup clusters, ``n_mentions`` distinct (story cluster,
   sentence) pairs, ``n_outlets`` distinct outlets of canonical member stories (fallback: doc_id), so
   duplicate stories never inflate them.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from pipelines.core.ids import stable_id
from pipelines.core.link.block import Mention, content_key, key_terms, prepare, split_blocks
from pipelines.core.link.cluster import attach_dateless, cluster_block, merge_in_groups
from pipelines.core.link.dates import DATE_FROM_CLUSTER_RULE, PRECISION_RANK, cluster_date, complete_dates_from_clusters
from pipelines.core.link.explain import LINKS_SCHEMA, link_rows
from pipelines.core.link.score import Decision, StorySim, generic_predicate
from pipelines.core.link.stories import StoryGroups, group_stories, story_text

__all__ = ["CLUSTER_SCHEMA", "DATE_FROM_CLUSTER_RULE", "LINKS_SCHEMA", "PRECISION_RANK", "LinkResult",
           "cluster_date", "complete_dates_from_clusters", "key_terms", "link_events", "link_events_explained",
           "load_rules", "story_groups_for"]

RULES_PATH = Path(__file__).resolve().parents[2] / "rules" / "linking.yaml"

CLUSTER_SCHEMA: dict[str, Any] = {
    "event_cluster_id": pl.Utf8,
    "event_type": pl.Utf8,
    "type_family": pl.Utf8,
    "factuality": pl.Utf8,
    "source_actor_id": pl.Utf8,
    "source_country": pl.Utf8,
    "target_actor_id": pl.Utf8,
    "target_country": pl.Utf8,
    "location_country": pl.Utf8,
    "event_date": pl.Date,
    "date_precision": pl.Utf8,
    "first_date": pl.Date,
    "last_date": pl.Date,
    "first_reported": pl.Date,
    "last_reported": pl.Date,
    "n_mentions": pl.Int32,
    "n_stories": pl.Int32,
    "n_outlets": pl.Int32,
    "representative_event_id": pl.Utf8,
    "link_rule": pl.Utf8,
}


@lru_cache(maxsize=4)
def _load_rules_cached(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_rules(path: str | Path | None = None) -> dict:
    """The linking rules (a dict read from linking.yaml)."""
    return _load_rules_cached(str(path or RULES_PATH))


# --------------------------------------------------------------------------------------------------------------

def _representative(members: list[Mention]) -> Mention:
    far = dt.date.max
    return sorted(members, key=lambda m: (-m.confidence, -m.filled, m.published or far) + content_key(m))[0]


@dataclass
class LinkResult:
    events: pl.DataFrame      # the input events with event_cluster_id (row order kept)
    clusters: pl.DataFrame    # event_clusters
    links: pl.DataFrame       # event_links: one row per mention that joined a cluster, with the deciding features
    story_groups: StoryGroups | None = None


def link_events(events: pl.DataFrame, stories: pl.DataFrame, rules: dict | None = None, *,
                documents: pl.DataFrame | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Link event mentions across stories. Returns (events with `event_cluster_id`, event_clusters); see
    `link_events_explained` for the event_links table too."""
    res = link_events_explained(events, stories, rules, documents=documents)
    return res.events, res.clusters


def story_groups_for(stories: pl.DataFrame, rules: dict) -> StoryGroups | None:
    """Story groups of the canonical stories (stories.py), or None when grouping is off or the stories carry no
    text (`title` and/or `lead`/`text`)."""
    cfg = rules.get("story_groups") or {}
    if not cfg.get("enabled", True):
        return None
    cols = set(stories.columns)
    lead_col = "lead" if "lead" in cols else ("text" if "text" in cols else None)
    if "title" not in cols and lead_col is None:
        return None
    st = stories
    if "is_canonical" in cols:
        st = st.filter(pl.col("is_canonical").fill_null(True))
    key = (pl.when(pl.col("cluster_id").str.strip_chars() != "").then(pl.col("cluster_id"))
           .otherwise(pl.col("story_id")) if "cluster_id" in cols else pl.col("story_id")).fill_null(pl.col("story_id"))
    n = int(cfg.get("lead_chars", 600))
    frame = st.select(key.alias("key"),
                      (pl.col("title") if "title" in cols else pl.lit(None, dtype=pl.Utf8)).alias("title"),
                      (pl.col(lead_col).str.slice(0, n) if lead_col else pl.lit(None, dtype=pl.Utf8)).alias("lead"))
    frame = frame.unique("key", keep="first", maintain_order=True)
    keys = frame["key"].to_list()
    texts = [story_text(t, lead, cfg) for t, lead in zip(frame["title"].to_list(), frame["lead"].to_list())]
    return group_stories(keys, texts, cfg)


def link_events_explained(events: pl.DataFrame, stories: pl.DataFrame, rules: dict | None = None, *,
                          documents: pl.DataFrame | None = None) -> LinkResult:
    """Link event mentions across stories: block -> score -> cluster -> explain.

    events: CONTRACT `events` columns without event_cluster_id; stories: at least story_id (and ideally
    doc_id, outlet, published_date, cluster_id, is_canonical, and title + lead/text for story groups);
    documents (optional: doc_id, url) gives the source domain used as the outlet when a story has none.
    """
    rules = rules or load_rules()
    generic = generic_predicate(rules)
    if events.height == 0:
        return LinkResult(events.with_columns(pl.lit(None, dtype=pl.Utf8).alias("event_cluster_id")),
                          pl.DataFrame(schema=CLUSTER_SCHEMA), pl.DataFrame(schema=LINKS_SCHEMA))
    sgroups = story_groups_for(stories, rules)
    mentions = prepare(events, stories, rules, documents, sgroups)

    blocks, dateless, groups = split_blocks(mentions)
    sim = StorySim(sgroups, (rules.get("story_links") or {}).get("min_similarity", 0.0))
    links: list[tuple[int, int, Decision]] = []
    for key in sorted(set(blocks) | set(dateless)):
        clusters = cluster_block(blocks.get(key, []), key[0], rules, generic, links, sim)
        clusters = merge_in_groups(clusters, key[0], rules, generic, links, sim)
        groups.extend(attach_dateless(dateless.get(key, []), clusters, key[0], rules, generic, links, sim))
        groups.extend(c.members for c in clusters)

    windows = rules.get("windows_days") or {}
    cluster_of = [None] * len(mentions)
    rows = []
    for idxs in groups:
        mem = [mentions[i] for i in idxs]
        rep = _representative(mem)
        cid = stable_id("ec", rep.event_id)
        for i in idxs:
            cluster_of[i] = cid
        counted = [m for m in mem if m.canonical] or mem
        types = Counter(m.event_type for m in mem)
        top = max(types.values())
        etype = rep.event_type if types[rep.event_type] == top else sorted(t for t, n in types.items() if n == top)[0]
        ev_date, ev_prec = cluster_date(mem)

        def first(attr):
            vals = [getattr(m, attr) for m in [rep] + mem if getattr(m, attr) is not None]
            return vals[0] if vals else None

        pubs = [m.published for m in counted if m.published is not None]
        los = [m.event_date for m in mem if m.event_date is not None]
        window = int(windows.get(rep.family, windows.get("default", 2)))
        rows.append({
            "event_cluster_id": cid,
            "event_type": etype,
            "type_family": rep.family,
            "factuality": rep.factuality,
            "source_actor_id": first("src_id"),
            "source_country": first("src_cty"),
            "target_actor_id": first("tgt_id"),
            "target_country": first("tgt_cty"),
            "location_country": first("loc_cty"),
            "event_date": ev_date,
            "date_precision": ev_prec,
            "first_date": min(los) if los else None,
            "last_date": max(los) if los else None,
            "first_reported": min(pubs) if pubs else None,
            "last_reported": max(pubs) if pubs else None,
            "n_mentions": len({(m.story_key, m.evidence_key) for m in counted}),
            "n_stories": len({m.story_key for m in counted}),
            "n_outlets": len({m.outlet_key for m in counted}),
            "representative_event_id": rep.event_id,
            "link_rule": (f"link:family={rep.family};factuality={rep.fgroup};window={window}d"
                          if rep.fgroup is not None and (rep.lo is not None or len(mem) > 1) else "link:unlinkable"),
        })
    links_df = link_rows(links, mentions, cluster_of, sgroups, rules)
    ev_out = events.with_columns(pl.Series("event_cluster_id", cluster_of, dtype=pl.Utf8))
    clusters = pl.DataFrame(rows, schema=CLUSTER_SCHEMA).sort("event_cluster_id")
    return LinkResult(complete_dates_from_clusters(ev_out, clusters), clusters, links_df, sgroups)
