"""The `actors` table as a pure function of the published events and the per-story actor rows (so an incremental run
equals a full one, in any process). Dtypes from the Actors model (schemas/actors.py)."""
from __future__ import annotations

import polars as pl

from pipelines.core.dtypes import polars_schema


def actor_schema() -> dict[str, pl.DataType]:
    from schemas.actors import Actors

    return polars_schema(Actors)


def merge_actors(story_actors: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """One row per actor id an event points to; name/country/sector: the most frequent value over the stories that
    mention the actor (ties: the longest, then alphabetical); aliases: every other surface form used in the events.
    """
    schema = actor_schema()
    surface = pl.concat([
        events.select(pl.col("source_actor_id").alias("actor_id"), pl.col("source_actor").alias("alias")),
        events.select(pl.col("target_actor_id").alias("actor_id"), pl.col("target_actor").alias("alias")),
    ]).drop_nulls("actor_id")
    ids = surface["actor_id"].unique().to_list()
    sa = story_actors.filter(pl.col("actor_id").is_in(ids))
    if not sa.height:
        return pl.DataFrame(schema=schema)

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
    return out.select(list(schema)).cast(schema).sort("actor_id")
