"""Wiring of the extract multi_asset (event_mentions, actors) with dagster.materialize on a real seed story."""
from __future__ import annotations

import datetime as dt

import polars as pl
from dagster import AssetKey, SourceAsset, materialize

import pipelines.core.extract.batch as extract_module
from pipelines.assets.extract import extract
from pipelines.core.clean import segment_document
from pipelines.core.ids import stable_id
from pipelines.io_manager import StageIOManager
from pipelines.warehouse import Warehouse
from tests.conftest import SEEDS


def _stories() -> pl.DataFrame:
    rows = []
    for path in sorted(SEEDS.glob("00[03]_*.txt")):
        stories, _ = segment_document(path.read_text(encoding="utf-8"))
        for s in stories:
            doc_id = stable_id("doc", path.name)
            rows.append({"story_id": stable_id("st", doc_id, s["story_index"]), "doc_id": doc_id,
                         "story_index": s["story_index"], "title": s["title"], "outlet": s["outlet"],
                         "published_date": s["published_date"] or dt.date(2020, 10, 3), "text": s["text"],
                         "is_canonical": True})
    # a non-canonical copy must be ignored
    dup = dict(rows[0], story_id="st_copy", is_canonical=False)
    return pl.DataFrame(rows + [dup]).with_columns(pl.col("published_date").cast(pl.Date))


def _run(wh: Warehouse, df: pl.DataFrame):
    wh.write_stage("stories", df)
    return materialize([SourceAsset("stories"), extract],
                       resources={"warehouse": wh, "io_manager": StageIOManager(warehouse=wh)})


def test_extract_materializes_events_and_actors(warehouse_dir):
    wh = Warehouse(path=str(warehouse_dir))
    stories = _stories()
    result = _run(wh, stories)
    assert result.success
    checks = {(c.asset_key.to_user_string(), c.check_name): c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {("event_mentions", "schema"): True, ("actors", "schema"): True}
    ev, ac = wh.read_stage("event_mentions"), wh.read_stage("actors")
    assert ev.height > 10 and "st_copy" not in ev["story_id"].to_list()
    texts = dict(zip(stories["story_id"], stories["text"]))
    for r in ev.iter_rows(named=True):
        assert texts[r["story_id"]][r["char_start"]:r["char_end"]] == r["evidence"]
    ids = set(ev["source_actor_id"].drop_nulls()) | set(ev["target_actor_id"].drop_nulls())
    assert ids == set(ac["actor_id"])
    mats = {e.event_specific_data.materialization.asset_key: e.event_specific_data.materialization.metadata
            for e in result.get_asset_materialization_events()}
    assert mats[AssetKey("event_mentions")]["dagster/row_count"].value == ev.height
    assert "| event_id |" in mats[AssetKey("event_mentions")]["preview"].value


def test_bad_rows_are_quarantined(warehouse_dir, monkeypatch):
    """Rows breaking the contract (offsets not on the evidence, asserted event after publication) never pass."""
    real = extract_module.coder.extract_story_events
    done = []  # rows broken so far, across stories (the coder is called once per story)

    def broken(story, models=None, **kw):
        events, actors = real(story, models, **kw)
        for i, e in enumerate(events):
            if len(done) == 0:
                events[i] = dict(e, char_end=e["char_end"] + 1)                 # offsets off the evidence
            elif len(done) == 1:
                events[i] = dict(e, factuality="asserted",                      # asserted, after publication
                                 event_date=(e["published_date"] or dt.date(2020, 10, 3)) + dt.timedelta(days=30))
            else:
                break
            done.append(e["event_id"])
        return events, actors

    monkeypatch.setattr(extract_module.coder, "extract_story_events", broken)
    wh = Warehouse(path=str(warehouse_dir))
    result = _run(wh, _stories())
    assert result.success
    checks = {(c.asset_key.to_user_string(), c.check_name): c.passed for c in result.get_asset_check_evaluations()}
    assert checks[("event_mentions", "schema")] is False  # WARN: rows quarantined
    q = wh.collect_quarantine()
    rules = set(q["rule"].to_list())
    assert "events.evidence_offsets" in rules
    assert any("date_not_after_publication" in r for r in rules), rules


def _story(story_id: str, text: str) -> dict:
    return {"story_id": story_id, "text": text, "title": None, "outlet": None, "published_date": dt.date(2020, 10, 3)}


def test_story_rows_do_not_depend_on_what_the_process_saw_before():
    """A story's events and actor rows are the same whether it is extracted alone or after other stories, in
    a fresh worker process or not: the basis of incremental == full rebuild and of the parallel NLP stage.
    (The same actor id can be named differently by different stories: "the Kremlin" / "the Russian government".)"""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from pipelines.core.extract.batch import extract_chunk, extract_in_chunks

    a = _story("a", "The Kremlin condemned the sanctions imposed by the European Union on Monday.")
    b = _story("b", "The Russian government condemned the sanctions imposed by the European Union on Monday.")
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), max_tasks_per_child=1) as pool:
        ev_alone, ac_alone = pool.submit(extract_chunk, [b]).result()
        ev_after, ac_after = pool.submit(extract_chunk, [a, b]).result()
    key = ["story_id", "event_id"]
    assert ev_alone.height and ac_alone.height
    assert ev_after.filter(pl.col("story_id") == "b").sort(key).equals(ev_alone.sort(key))
    assert ac_after.filter(pl.col("story_id") == "b").sort("actor_id").equals(ac_alone.sort("actor_id"))
    # the chunked, 2-process driver gives the serial result on real stories
    import os

    stories = _stories().filter(pl.col("is_canonical")).drop("is_canonical")
    ev_ser, ac_ser = extract_chunk(stories.to_dicts())
    os.environ["NEWSEVENTS_EXTRACT_WORKERS"] = "2"
    try:
        ev_par, ac_par = extract_in_chunks(stories.lazy(), stories.height)
    finally:
        del os.environ["NEWSEVENTS_EXTRACT_WORKERS"]
    assert ev_par.sort(key).equals(ev_ser.sort(key))
    assert ac_par.sort("story_id", "actor_id").equals(ac_ser.sort("story_id", "actor_id"))
