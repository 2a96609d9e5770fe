"""Pandera (polars) models, one per table: the executable form of CONTRACT.md.

Every column carries a `description`; those feed DuckDB `COMMENT ON` statements and docs/data_dictionary.md.
`PUBLIC_TABLES` lists the published tables in publication order with the model that validates each.
"""
from __future__ import annotations

import importlib

# table name -> "module:Model"
PUBLIC_TABLES: dict[str, str] = {
    "documents": "schemas.documents:Documents",
    "quarantine": "schemas.quarantine:Quarantine",
    "removed_spans": "schemas.removed_spans:RemovedSpans",
    "stories": "schemas.stories:Stories",
    "story_duplicates": "schemas.story_duplicates:StoryDuplicates",
    "events": "schemas.events:Events",
    "event_clusters": "schemas.event_clusters:EventClusters",
    "actors": "schemas.actors:Actors",
}


def model_for(table: str):
    module, _, name = PUBLIC_TABLES[table].partition(":")
    return getattr(importlib.import_module(module), name)


def all_models() -> dict[str, type]:
    """{table: Model} for every public table whose schema module exists (stages land one by one)."""
    out = {}
    for table, spec in PUBLIC_TABLES.items():
        module = spec.partition(":")[0]
        try:
            out[table] = model_for(table)
        except ModuleNotFoundError as e:
            if e.name != module:  # a real import error inside an existing schema module must surface
                raise
    return out
