"""[extract] event_mentions, actors: sentences of canonical stories -> PLOVER event mentions (core: pipelines.core.extract)."""

import time
from collections import Counter

import polars as pl
from dagster import AssetExecutionContext, AssetIn, AssetOut, MetadataValue, multi_asset

from pipelines.assets._common import schema_check_spec, validated
from pipelines.core.cache import RowCache, split_keys
from pipelines.core.extract.batch import (  # noqa: F401  (EVENT_SCHEMA etc. re-exported for callers)
    CHUNK_STORIES, EVENT_SCHEMA, STORY_ACTOR_SCHEMA, events_frame, evidence_violations, extract_in_chunks)
from pipelines.core.extract.bounds import cap_quarantine_rows
from pipelines.core.validate import quarantine_frame
from pipelines.resources import Warehouse
from schemas.actors import Actors
from schemas.events import EventMentions

EVIDENCE_QUARANTINE_STAGE = "extract__evidence"
CAP_QUARANTINE_STAGE = "extract__sentence_cap"

ACTOR_SCHEMA = {"actor_id": pl.String, "name": pl.String, "country": pl.String, "sector": pl.String,
                "aliases": pl.List(pl.String)}


def merge_actors(story_actors: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """The `actors` table as a pure function of the published events (so incremental == full, in any process).

    One row per actor id an event points to; name/country/sector: the most frequent value over the stories that
    mention the actor (ties: the longest, then alphabetical); aliases: every other surface form used in the events.
    """
    surface = pl.concat([
        events.select(pl.col("source_actor_id").alias("actor_id"), pl.col("source_actor").alias("alias")),
        events.select(pl.col("target_actor_id").alias("actor_id"), pl.col("target_actor").alias("alias")),
    ]).drop_nulls("actor_id")
    ids = surface["actor_id"].unique().to_list()
    sa = story_actors.filter(pl.col("actor_id").is_in(ids))
    if not sa.height:
        return actors_frame([])

    def pick(col: str) -> pl.DataFrame:
        return (sa.drop_nulls(col).group_by("actor_id", col).len()
                .sort(["actor_id", "len", pl.col(col).str.len_chars(), col], descending=[False, True, True, False])
                .unique("actor_id", keep="first", maintain_order=True).select("actor_id", col))

    base = pl.DataFrame({"actor_id": sorted(sa["actor_id"].unique().to_list())})
    for col in ("name", "country", "sector"):
        base = base.join(pick(col), on="actor_id", how="left")
    aliases = (surface.drop_nulls("alias").join(base.select("actor_id", "name"), on="actor_id")
               .filter(pl.col("alias") != pl.col("name")).group_by("actor_id")
               .agg(pl.col("alias").unique().sort().alias("aliases")))
    out = base.join(aliases, on="actor_id", how="left").with_columns(
        pl.col("aliases").fill_null(pl.lit([], dtype=pl.List(pl.String))))
    return out.select(list(ACTOR_SCHEMA)).cast(ACTOR_SCHEMA).sort("actor_id")


def actors_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=ACTOR_SCHEMA, orient="row") if rows else pl.DataFrame(schema=ACTOR_SCHEMA)


@multi_asset(
    group_name="extract",
    ins={"stories": AssetIn(key="stories")},
    outs={
        "event_mentions": AssetOut(
            key="event_mentions",
            description="One row per PLOVER event decision in a canonical codeable story (CONTRACT `events` without "
            "event_cluster_id, plus the story's published_date): the sentence typer (rules/models/event_typer) "
            "decides the types, a trigger rule (rules/event_patterns.yaml) or the parse root anchors them, the role "
            "ranker (rules/models/role_ranker) picks source/target; factuality, date, place, quantity, calibrated "
            "confidence and the extractor id (model versions + anchor rule). A coordinated actor list gives one "
            "row per actor. Stories with codeable == False give no rows.",
        ),
        "actors": AssetOut(
            key="actors",
            description="The canonical actors the event mentions point to (actor_id, name, ISO3 country, PLOVER "
            "sector, surface-form aliases).",
        ),
    },
    check_specs=[schema_check_spec("event_mentions"), schema_check_spec("actors")],
    can_subset=False,
)
def extract(context: AssetExecutionContext, warehouse: Warehouse, stories: pl.LazyFrame):
    started = time.perf_counter()
    # `stories` is a lazy scan: texts are read one chunk of stories at a time, never the whole column at once
    columns = stories.collect_schema().names()
    canonical = stories.filter(pl.col("is_canonical")) if "is_canonical" in columns else stories
    cols = [c for c in ("story_id", "text", "title", "published_date", "published_precision", "outlet", "codeable")
            if c in columns]
    # relevance gate (clean stage): codeable == False stories yield no events (coder.extract_story_events skips
    # them); a missing column or a null means codeable
    not_codeable = (canonical.filter(pl.col("codeable") == False).select(pl.len()).collect().item()  # noqa: E712
                    if "codeable" in columns else 0)
    keys = canonical.select("story_id").collect()["story_id"].to_list()
    # Incremental: each story is extracted on its own, so a story seen before (same story_id = same bytes, same
    # code version) reuses its cached rows and the result equals a full rebuild.
    cache = RowCache(warehouse.cache_dir, "extract")
    _, todo = split_keys(keys, cache.known_keys("event_mentions", "story_id"))
    todo_stories = canonical.filter(pl.col("story_id").is_in(pl.Series(todo, dtype=pl.String).implode())).select(cols)
    new_events, new_actors = extract_in_chunks(todo_stories, len(todo), log=context.log.info,
                                               cache_dir=warehouse.cache_dir / "extract_tables")
    all_events = cache.combine("event_mentions", "story_id", keys, new_events)
    story_actors = cache.combine("story_actors", "story_id", keys, new_actors)
    cache.save({"event_mentions": all_events, "story_actors": story_actors}, "story_id", keys)
    all_events = all_events.sort("story_id", "sentence_index", "char_start", "event_id")
    # offsets must point at the evidence inside stories.text: violations are quarantined, not published
    bad = evidence_violations(all_events, canonical.select("story_id", "text"))
    warehouse.stage_quarantine(EVIDENCE_QUARANTINE_STAGE, quarantine_frame(bad))
    # stories longer than rules/extract_bounds.yaml max_sentences: only their first sentences were extracted
    capped = cap_quarantine_rows(canonical.select("story_id", "text"))
    warehouse.stage_quarantine(CAP_QUARANTINE_STAGE, quarantine_frame(capped))
    if bad:
        bad_ids = {r["record_key"] for r in bad}
        all_events = all_events.filter(~pl.col("event_id").is_in(list(bad_ids)))
        context.log.warning(f"{len(bad)} event(s) with offsets not matching their evidence quarantined")
    ev_df = all_events
    ac_df = merge_actors(story_actors, ev_df)
    seconds = round(time.perf_counter() - started, 3)
    context.log.info(f"extract: {len(keys)} canonical stories ({len(todo)} new) -> {ev_df.height} event mentions, "
                     f"{ac_df.height} actors in {seconds} s")
    by_type = dict(Counter(ev_df["event_type"].to_list()).most_common())
    by_fact = dict(Counter(ev_df["factuality"].to_list()).most_common())
    ev = validated(ev_df, EventMentions, "event_mentions", warehouse=warehouse, key_column="event_id",
                   started=started, output_name="event_mentions",
                   extra_metadata={"canonical_stories": len(keys), "stories_extracted": len(todo),
                                   "stories_reused_from_cache": len(keys) - len(todo),
                                   "stories_not_codeable": not_codeable, "by_type": MetadataValue.json(by_type),
                                   "by_factuality": MetadataValue.json(by_fact), "evidence_violations": len(bad),
                                   "stories_sentence_capped": len(capped),
                                   "stories_per_second": round(len(keys) / max(seconds, 1e-6), 1)})
    ac = validated(ac_df, Actors, "actors", warehouse=warehouse, key_column="actor_id", started=started,
                   output_name="actors")
    yield from ev.events()
    yield from ac.events()
