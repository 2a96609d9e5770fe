"""Plain-pytest tests of the domain logic moved out of the asset modules (issue 19): actors table, offset-violation
filter, first-ingest carry-over, the index's frame-wide check, the dtypes read from the schemas."""
from datetime import datetime

import polars as pl

from pipelines.core.clean.stage import drop_offset_violations
from pipelines.core.dedup.stage import orphan_errors
from pipelines.core.dtypes import polars_schema
from pipelines.core.extract.actor_table import merge_actors
from pipelines.core.ingest.stage import previous_ingested
from schemas.actors import Actors


def _events(rows):
    return pl.DataFrame(rows, schema={"source_actor_id": pl.String, "source_actor": pl.String,
                                      "target_actor_id": pl.String, "target_actor": pl.String}, orient="row")


def test_merge_actors_majority_name_aliases_and_only_actors_events_point_to():
    story_actors = pl.DataFrame({
        "story_id": ["s1", "s2", "s3", "s1"], "actor_id": ["IGO:EU", "IGO:EU", "IGO:EU", "XXX:unused"],
        "name": ["European Union", "European Union", "EU", "Nobody"], "country": [None, None, None, "XXX"],
        "sector": ["IGO", "IGO", "IGO", None]})
    events = _events([("IGO:EU", "the EU", None, None), ("IGO:EU", "European Union", "IGO:EU", "Brussels")])
    out = merge_actors(story_actors, events)
    assert out.schema == pl.Schema(polars_schema(Actors))
    assert out["actor_id"].to_list() == ["IGO:EU"]  # XXX:unused: no event points to it
    row = out.row(0, named=True)
    assert row["name"] == "European Union" and row["sector"] == "IGO"
    assert row["aliases"] == ["Brussels", "the EU"]
    assert merge_actors(story_actors, _events([])).height == 0


def test_drop_offset_violations_removes_the_named_story_and_span_only():
    stories = pl.DataFrame({"story_id": ["a", "b"], "doc_id": ["d", "d"]})
    spans = pl.DataFrame({"doc_id": ["d", "d"], "char_start": [0, 10], "char_end": [5, 12]})
    bad = [{"table_name": "stories", "record_key": "b"}, {"table_name": "removed_spans", "record_key": "d:10"}]
    st, sp = drop_offset_violations(stories, spans, bad)
    assert st["story_id"].to_list() == ["a"] and sp["char_start"].to_list() == [0]
    assert drop_offset_violations(stories, spans, [])[0].equals(stories)


def test_previous_ingested_reads_the_first_existing_file(tmp_path):
    legacy = tmp_path / "first_ingested.parquet"
    pl.DataFrame({"doc_id": ["x"], "ingested_at": [datetime(2020, 1, 1)], "other": [1]}).write_parquet(legacy)
    assert previous_ingested([tmp_path / "missing.parquet"]) is None
    got = previous_ingested([tmp_path / "missing.parquet", legacy])
    assert got.columns == ["doc_id", "ingested_at"] and got["doc_id"].to_list() == ["x"]


def test_orphan_errors_names_rows_whose_cluster_has_no_canonical_story():
    ok = pl.DataFrame({"story_id": ["a", "b"], "cluster_id": ["a", "a"], "is_canonical": [True, False]})
    assert orphan_errors(ok) == []
    bad = pl.DataFrame({"story_id": ["a", "b"], "cluster_id": ["a", "z"], "is_canonical": [True, False]})
    (msg,) = orphan_errors(bad)
    assert msg.startswith("cluster_has_canonical: 1 row(s)") and "'b'" in msg
