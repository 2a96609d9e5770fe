"""The extract stage: the canonical stories -> (event mentions, actors, evidence violations, stats).

Incremental: each story is extracted on its own, so a story seen before (same story_id = same bytes, same code
version) reuses its cached rows (pipelines.core.cache.RowCache) and the result equals a full rebuild. `stories` is a
lazy scan: texts are read one chunk of stories at a time, never the whole column at once. Stories with
codeable == False (the relevance gate) yield no events; a missing column or a null means codeable."""
from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import polars as pl

from pipelines.core.cache import RowCache, split_keys
from pipelines.core.extract.actor_table import merge_actors
from pipelines.core.extract.batch import evidence_violations, extract_in_chunks
from pipelines.core.extract.bounds import cap_quarantine_rows

STORY_COLUMNS = ("story_id", "text", "title", "published_date", "published_precision", "outlet", "codeable")


def extract_stage(stories: pl.LazyFrame, cache_dir: Path, log=None) -> tuple[pl.DataFrame, pl.DataFrame, list, list, dict]:
    """(event mentions without evidence violations, actors, the violations as quarantine rows, stats)."""
    started = time.perf_counter()
    columns = stories.collect_schema().names()
    canonical = stories.filter(pl.col("is_canonical")) if "is_canonical" in columns else stories
    cols = [c for c in STORY_COLUMNS if c in columns]
    not_codeable = (canonical.filter(pl.col("codeable") == False).select(pl.len()).collect().item()  # noqa: E712
                    if "codeable" in columns else 0)
    keys = canonical.select("story_id").collect()["story_id"].to_list()
    cache = RowCache(cache_dir, "extract")
    _, todo = split_keys(keys, cache.known_keys("event_mentions", "story_id"))
    todo_stories = canonical.filter(pl.col("story_id").is_in(pl.Series(todo, dtype=pl.String).implode())).select(cols)
    new_events, new_actors = extract_in_chunks(todo_stories, len(todo), log=log,
                                               cache_dir=Path(cache_dir) / "extract_tables")
    events = cache.combine("event_mentions", "story_id", keys, new_events)
    story_actors = cache.combine("story_actors", "story_id", keys, new_actors)
    cache.save({"event_mentions": events, "story_actors": story_actors}, "story_id", keys)
    events = events.sort("story_id", "sentence_index", "char_start", "event_id")
    # offsets must point at the evidence inside stories.text: violations are quarantined, not published
    bad = evidence_violations(events, canonical.select("story_id", "text"))
    if bad:
        events = events.filter(~pl.col("event_id").is_in([r["record_key"] for r in bad]))
    actors = merge_actors(story_actors, events)
    # stories longer than rules/extract_bounds.yaml max_sentences: only their first sentences were extracted
    capped = cap_quarantine_rows(canonical.select("story_id", "text"))
    seconds = round(time.perf_counter() - started, 3)
    stats = {"canonical_stories": len(keys), "stories_extracted": len(todo),
             "stories_reused_from_cache": len(keys) - len(todo), "stories_not_codeable": not_codeable,
             "by_type": dict(Counter(events["event_type"].to_list()).most_common()),
             "by_factuality": dict(Counter(events["factuality"].to_list()).most_common()),
             "evidence_violations": len(bad), "stories_sentence_capped": len(capped),
             "stories_per_second": round(len(keys) / max(seconds, 1e-6), 1)}
    return events, actors, bad, capped, stats
