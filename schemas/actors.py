"""`actors`: the canonical actors that events point to (events.source_actor_id / target_actor_id)."""
from __future__ import annotations

from typing import Optional

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

# PLOVER / CAMEO sector codes the resolver emits (pipelines/rules/*nouns.csv, titles.csv, actors.csv)
SECTORS = (
    "GOV", "MIL", "COP", "OPP", "CVL", "MED", "IGO", "REB", "JUD", "LEG", "BUS", "EDU", "REL", "LAB", "AGR",
    "REF", "SPY", "CRM", "ELI", "NGO", "PTY", "HLH", "IMG",
)
ACTOR_ID_PATTERN = r"^(?:[A-Z]{3}(?::[A-Z0-9-]+)?|UNK:[A-Z]{3}|person:[a-z0-9-]+|ac_[0-9a-f]{16})$"


class Actors(pa.DataFrameModel):
    """One row per canonical actor resolved by the extract stage."""

    actor_id: str = pa.Field(unique=True, str_matches=ACTOR_ID_PATTERN, description="Readable stable id: ISO3 (country), ISO3:SECTOR (a country's government/police/opposition...), UNK:SECTOR (group of unknown country), IGO:EU, NGO:AMNESTY, PSE:PLO (named organisation), person:<name-slug>.")
    name: str = pa.Field(str_length={"min_value": 1}, description="Canonical name (dictionary name, or the fullest form seen for a person).")
    country: Optional[str] = pa.Field(nullable=True, str_matches=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3 country of the actor; null for IGOs and unknown.")
    sector: Optional[str] = pa.Field(nullable=True, isin=list(SECTORS), description="PLOVER sector (GOV, MIL, COP, OPP, CVL, MED, IGO, ...); null for a bare country.")
    aliases: pl.List(pl.Utf8) = pa.Field(description="Surface forms seen in the text for this actor (sorted, distinct).")

    class Config:
        strict = False
        coerce = True

    @pa.dataframe_check(description="an ISO3:SECTOR id agrees with its country and sector columns")
    def id_matches_columns(cls, data: PolarsData) -> pl.LazyFrame:
        aid = pl.col("actor_id")
        is_cs = aid.str.contains(r"^[A-Z]{3}:[A-Z]{3}$") & aid.str.slice(4, 3).is_in(list(SECTORS)) \
            & ~aid.str.slice(0, 3).is_in(["UNK", "IGO", "NGO", "REB"])
        ok = (~is_cs) | (
            (aid.str.slice(0, 3) == pl.col("country").fill_null("")) & (aid.str.slice(4, 3) == pl.col("sector").fill_null(""))
        )
        return data.lazyframe.select(ok)
