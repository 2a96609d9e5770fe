"""`event_clusters`: the same real-world event reported by one or more stories (link stage)."""
from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

PLOVER_TYPES = (
    "AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST",
    "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT",
)


class EventClusters(pa.DataFrameModel):
    """One row per real-world event: event mentions from different stories linked by type family, compatible actors, a date window and location (pipelines/rules/linking.yaml). Join events on event_cluster_id for the mentions."""

    event_cluster_id: str = pa.Field(unique=True, str_startswith="ec_", description="Cluster id: stable_id('ec', representative_event_id); events.event_cluster_id points here.")
    event_type: str = pa.Field(isin=list(PLOVER_TYPES), description="PLOVER event type of the event (most frequent among its mentions, ties to the representative's).")
    type_family: str = pa.Field(description="Linking family of the type (linking.yaml type_families, e.g. sanction, coerce, consult).")
    factuality: str = pa.Field(description="Factuality shared by all mentions (asserted|planned|threatened|negated|hypothetical); planned and asserted never share a cluster.")
    source_actor_id: str = pa.Field(nullable=True, description="actors.actor_id of the acting side (first known among the mentions, representative first).")
    source_country: str = pa.Field(nullable=True, str_matches=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3 country of the acting side.")
    target_actor_id: str = pa.Field(nullable=True, description="actors.actor_id of the side acted upon.")
    target_country: str = pa.Field(nullable=True, str_matches=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3 country of the side acted upon.")
    location_country: str = pa.Field(nullable=True, description="ISO3 country where the event took place, when any mention names a place.")
    event_date: dt.date = pa.Field(nullable=True, description="Date of the event: the most precise consistent date its mentions state (finest precision present; among those, the date the most stated intervals contain, then the most frequent, then the earliest); null when no mention states a date.")
    date_precision: str = pa.Field(nullable=True, isin=["day", "week", "before", "month", "year", "none"], description="Precision of event_date (day|week|before|month|year; none when no mention states a date). week = [event_date, event_date+6], before = on or shortly before event_date.")
    first_date: dt.date = pa.Field(nullable=True, description="Earliest stated event date among the mentions.")
    last_date: dt.date = pa.Field(nullable=True, description="Latest stated event date among the mentions.")
    first_reported: dt.date = pa.Field(nullable=True, description="Earliest publication date of a story reporting the event.")
    last_reported: dt.date = pa.Field(nullable=True, description="Latest publication date of a story reporting the event.")
    n_mentions: pl.Int32 = pa.Field(ge=1, description="Distinct (story, sentence) mentions of the event in canonical stories (duplicate stories do not count).")
    n_stories: pl.Int32 = pa.Field(ge=1, description="Distinct stories reporting the event, counted by dedup cluster (a duplicate story counts once).")
    n_outlets: pl.Int32 = pa.Field(ge=1, description="Distinct outlets of the canonical stories reporting the event (the document id when the outlet is unknown).")
    representative_event_id: str = pa.Field(str_startswith="ev_", description="events.event_id of the mention that best describes the event (highest confidence, then most fields, then earliest).")
    link_rule: str = pa.Field(str_startswith="link:", description="Linking rule that formed the cluster, e.g. link:family=sanction;factuality=asserted;window=3d (link:unlinkable for mentions that are never linked).")

    class Config:
        name = "event_clusters"
        strict = False
        coerce = True

    @pa.dataframe_check(description="a cluster has at least as many mentions as stories (n_stories <= n_mentions)")
    def stories_not_more_than_mentions(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("n_stories") <= pl.col("n_mentions"))
