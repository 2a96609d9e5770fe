"""Pandera (polars) models for the `events` table: `EventMentions` (extract stage) and `Events` (link stage)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

PLOVER_TYPES = (
    "AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST",
    "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT",
)
FACTUALITY = ("asserted", "planned", "threatened", "negated", "hypothetical")
DATE_PRECISION = ("day", "week", "month", "year", "before", "none")  # before: event_date is an upper bound
QUANTITY_KINDS = ("participants", "arrested", "killed", "injured", "targets", "other")
# factuality values for which an event date after publication is legitimate
FUTURE_OK = ("planned", "threatened", "hypothetical")


class EventMentions(pa.DataFrameModel):
    """One row per event mention in a canonical story (CONTRACT `events` minus event_cluster_id)."""

    event_id: str = pa.Field(unique=True, description="stable_id('ev', story_id, sentence_index, char_start, char_end, event_type, source_actor_id, target_actor_id)")
    story_id: str = pa.Field(description="story the mention comes from (stories.story_id)")
    sentence_index: int = pa.Field(ge=0, description="0-based index of the sentence within stories.text")
    char_start: int = pa.Field(ge=0, description="start offset of the sentence in stories.text (Python str index)")
    char_end: int = pa.Field(ge=1, description="end offset (exclusive) of the sentence in stories.text")
    evidence: str = pa.Field(str_length={"min_value": 1}, description="the sentence: stories.text[char_start:char_end]")
    trigger: Optional[str] = pa.Field(nullable=True, description="trigger words matched by the rule")
    event_type: str = pa.Field(isin=list(PLOVER_TYPES), description="PLOVER event type (16 types, manual 2024)")
    event_mode: Optional[str] = pa.Field(nullable=True, description="PLOVER mode (e.g. arrest, demo, restrict)")
    cameo_root: Optional[str] = pa.Field(nullable=True, str_matches=r"^\d{2}$", description="two-digit CAMEO root via rules/cameo_plover.csv")
    factuality: str = pa.Field(isin=list(FACTUALITY), description="asserted|planned|threatened|negated|hypothetical")
    source_actor: Optional[str] = pa.Field(nullable=True, description="source actor as written")
    source_actor_id: Optional[str] = pa.Field(nullable=True, description="actors.actor_id of the source")
    source_country: Optional[str] = pa.Field(nullable=True, str_matches=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3 of the source")
    source_sector: Optional[str] = pa.Field(nullable=True, description="PLOVER sector of the source (GOV, MIL, COP, OPP, CVL, IGO ...)")
    target_actor: Optional[str] = pa.Field(nullable=True, description="target actor as written")
    target_actor_id: Optional[str] = pa.Field(nullable=True, description="actors.actor_id of the target")
    target_country: Optional[str] = pa.Field(nullable=True, str_matches=r"^[A-Z]{3}$", description="ISO3 of the target")
    target_sector: Optional[str] = pa.Field(nullable=True, description="PLOVER sector of the target")
    event_date: Optional[dt.date] = pa.Field(nullable=True, description="resolved event date (publication date when none is written)")
    date_precision: str = pa.Field(isin=list(DATE_PRECISION), description="day|week ([event_date, event_date+6])|month|year|before (happened on or before event_date = publication)|none")
    date_text: Optional[str] = pa.Field(nullable=True, description="the date expression the date was resolved from")
    location_name: Optional[str] = pa.Field(nullable=True, description="place name (offline gazetteer)")
    location_country: Optional[str] = pa.Field(nullable=True, description="ISO3 of the place")
    latitude: Optional[float] = pa.Field(nullable=True, ge=-90, le=90, description="latitude of the place")
    longitude: Optional[float] = pa.Field(nullable=True, ge=-180, le=180, description="longitude of the place")
    quantity: Optional[int] = pa.Field(nullable=True, ge=0, description="conservative count (ACLED rule: lowest figure)")
    quantity_kind: Optional[str] = pa.Field(nullable=True, isin=list(QUANTITY_KINDS), description="participants|arrested|killed|injured|targets|other")
    quantity_text: Optional[str] = pa.Field(nullable=True, description="the quantity as written")
    confidence: float = pa.Field(ge=0.0, le=1.0, description=(
        "probability that the sentence reports this event type (type decider over the sentence typer and the "
        "trigger rules; 5-fold ECE in bench/results/eval_events.md)"))
    extractor: str = pa.Field(str_length={"min_value": 1}, description=(
        "model versions and the anchoring rule, e.g. event_typer@<sha>+type_decider@<sha>+role_ranker@<sha>"
        "+anchor:rule:sanction.travel_ban@1+date:<rule>"))
    published_date: Optional[dt.date] = pa.Field(nullable=True, description="publication date of the story (extra column, used by the date check)")

    class Config:
        strict = False
        coerce = True

    @pa.dataframe_check(description="evidence length equals char_end - char_start")
    def offsets_match_evidence(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("char_end") - pl.col("char_start") == pl.col("evidence").str.len_chars())
            & (pl.col("char_end") > pl.col("char_start"))
        )

    @pa.dataframe_check(description="event_date not after publication unless planned/threatened/hypothetical")
    def date_not_after_publication(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("event_date").is_null()
            | pl.col("published_date").is_null()
            | (pl.col("event_date") <= pl.col("published_date"))
            | pl.col("factuality").is_in(list(FUTURE_OK))
        )


class Events(EventMentions):
    """Events after linking: adds the event cluster."""

    event_cluster_id: str = pa.Field(description="stable_id('ec', representative_event_id)")
