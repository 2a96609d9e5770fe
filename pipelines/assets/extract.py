"""[extract] event_mentions, actors: sentences of canonical stories -> PLOVER event mentions (core: pipelines.core.extract)."""

import time
from collections import Counter

import polars as pl
from dagster import AssetExecutionContext, AssetIn, AssetOut, MetadataValue, multi_asset

from pipelines.assets._common import schema_check_spec, validated
from pipelines.core.cache import RowCache, code_version, split_keys
from pipelines.core.extract import extract_events
from pipelines.core.extract.events import check_evidence
from pipelines.core.validate import quarantine_frame
from pipelines.resources import Warehouse
from schemas.actors import Actors
from schemas.events import EventMentions

EVIDENCE_QUARANTINE_STAGE = "extract__evidence"

EVENT_SCHEMA = {
    "event_id": pl.String, "story_id": pl.String, "sentence_index": pl.Int32, "char_start": pl.Int64,
    "char_end": pl.Int64, "evidence": pl.String, "trigger": pl.String, "event_type": pl.String,
    "event_mode": pl.String, "cameo_root": pl.String, "factuality": pl.String,
    "source_actor": pl.String, "source_actor_id": pl.String, "source_country": pl.String, "source_sector": pl.String,
    "target_actor": pl.String, "target_actor_id": pl.String, "target_country": pl.String, "target_sector": pl.String,
    "event_date": pl.Date, "date_precision": pl.String, "date_text": pl.String,
    "location_name": pl.String, "location_country": pl.String, "latitude": pl.Float64, "longitude": pl.Float64,
    "quantity": pl.Int64, "quantity_kind": pl.String, "quantity_text": pl.String,
    "confidence": pl.Float64, "extractor": pl.String, "published_date": pl.Date,
}
ACTOR_SCHEMA = {"actor_id": pl.String, "name": pl.String, "country": pl.String, "sector": pl.String,
                "aliases": pl.List(pl.String)}


STORY_ACTOR_SCHEMA = {"story_id": pl.String, "actor_id": pl.String, "name": pl.String, "country": pl.String,
                      "sector": pl.String}


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


def events_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=EVENT_SCHEMA, orient="row") if rows else pl.DataFrame(schema=EVENT_SCHEMA)


def actors_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=ACTOR_SCHEMA, orient="row") if rows else pl.DataFrame(schema=ACTOR_SCHEMA)


@multi_asset(
    group_name="extract",
    ins={"stories": AssetIn(key="stories")},
    outs={
        "event_mentions": AssetOut(
            key="event_mentions",
            description="One row per PLOVER event mention in a canonical story (CONTRACT `events` without "
            "event_cluster_id, plus the story's published_date): trigger rules (pipelines/rules/event_patterns.yaml) "
            "-> CAMEO code -> PLOVER type/mode (rules/cameo_plover.csv), source/target actors, factuality, date, "
            "place, quantity, confidence and the extractor id. A coordinated actor list gives one row per actor.",
        ),
        "actors": AssetOut(
            key="actors",
            description="The canonical actors the event mentions point to (actor_id, name, ISO3 country, PLOVER "
            "sector, surface-form aliases).",
        ),
    },
    check_specs=[schema_check_spec("event_mentions"), schema_check_spec("actors")],
    can_subset=False,
    code_version=code_version(),
)
def extract(context: AssetExecutionContext, warehouse: Warehouse, stories: pl.DataFrame):
    started = time.perf_counter()
    canonical = stories.filter(pl.col("is_canonical")) if "is_canonical" in stories.columns else stories
    cols = [c for c in ("story_id", "text", "title", "published_date", "outlet") if c in canonical.columns]
    story_rows = canonical.select(cols).to_dicts()
    # Incremental: each story is extracted on its own, so a story seen before (same story_id = same bytes, same
    # code version) reuses its cached rows and the result equals a full rebuild.
    cache = RowCache(warehouse.cache_dir, "extract")
    keys = [r["story_id"] for r in story_rows]
    _, todo = split_keys(keys, cache.known_keys("event_mentions", "story_id"))
    todo_set = set(todo)
    new_events, new_actors = [], []
    for story in story_rows:
        if story["story_id"] in todo_set:
            ev_rows, ac_rows = extract_events([story])
            new_events += ev_rows
            new_actors += [{"story_id": story["story_id"], **{k: a[k] for k in ("actor_id", "name", "country", "sector")}} for a in ac_rows]
    all_events = cache.combine("event_mentions", "story_id", keys, events_frame(new_events))
    story_actors = cache.combine("story_actors", "story_id", keys, pl.DataFrame(new_actors, schema=STORY_ACTOR_SCHEMA, orient="row")
                                 if new_actors else pl.DataFrame(schema=STORY_ACTOR_SCHEMA))
    cache.save({"event_mentions": all_events, "story_actors": story_actors}, "story_id", keys)
    all_events = all_events.sort("story_id", "sentence_index", "char_start", "event_id")
    events = all_events.to_dicts()
    # offsets must point at the evidence inside stories.text: violations are quarantined, not published
    bad = check_evidence(events, {r["story_id"]: r["text"] for r in story_rows})
    warehouse.stage_quarantine(EVIDENCE_QUARANTINE_STAGE, quarantine_frame(bad))
    if bad:
        bad_ids = {r["record_key"] for r in bad}
        all_events = all_events.filter(~pl.col("event_id").is_in(list(bad_ids)))
        context.log.warning(f"{len(bad)} event(s) with offsets not matching their evidence quarantined")
    ev_df = all_events
    ac_df = merge_actors(story_actors, ev_df)
    seconds = round(time.perf_counter() - started, 3)
    context.log.info(f"extract: {len(story_rows)} canonical stories -> {ev_df.height} event mentions, "
                     f"{ac_df.height} actors in {seconds} s")
    by_type = dict(Counter(ev_df["event_type"].to_list()).most_common())
    by_fact = dict(Counter(ev_df["factuality"].to_list()).most_common())
    ev = validated(ev_df, EventMentions, "event_mentions", warehouse=warehouse, key_column="event_id",
                   started=started, output_name="event_mentions",
                   extra_metadata={"canonical_stories": len(story_rows), "stories_extracted": len(todo),
                                   "stories_reused_from_cache": len(keys) - len(todo), "by_type": MetadataValue.json(by_type),
                                   "by_factuality": MetadataValue.json(by_fact), "evidence_violations": len(bad),
                                   "stories_per_second": round(len(story_rows) / max(seconds, 1e-6), 1)})
    ac = validated(ac_df, Actors, "actors", warehouse=warehouse, key_column="actor_id", started=started,
                   output_name="actors")
    yield from ev.events()
    yield from ac.events()
