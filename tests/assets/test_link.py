"""Wiring of the link multi_asset and the report asset with dagster.materialize (upstream frames staged by hand)."""
from __future__ import annotations

import polars as pl
from dagster import AssetKey, AssetSpec, materialize

from pipelines.assets.link import link
from pipelines.assets.report import report
from pipelines.io_manager import StageIOManager
from pipelines.warehouse import Warehouse
from tests.core.test_link import S000_EU, seed_case


def test_link_and_report_materialize(warehouse_dir):
    wh = Warehouse(path=str(warehouse_dir))
    ev, st = seed_case()
    wh.write_stage("event_mentions", ev)
    wh.write_stage("stories", st)
    wh.write_stage("actors", pl.DataFrame({"actor_id": ["IGO:EU"], "name": ["European Union"]}))
    result = materialize(
        [AssetSpec("event_mentions"), AssetSpec("stories"), AssetSpec("actors"), link, report],
        resources={"warehouse": wh, "io_manager": StageIOManager(warehouse=wh)},
    )
    assert result.success
    events = wh.read_stage("events")
    clusters = wh.read_stage("event_clusters")
    assert events.height == ev.height and events["event_cluster_id"].null_count() == 0
    eu = events.filter(pl.col("evidence") == S000_EU)["event_cluster_id"][0]
    assert clusters.filter(pl.col("event_cluster_id") == eu)["n_stories"].to_list() == [2]

    checks = {(c.asset_key.to_user_string(), c.check_name): c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {("events", "schema"): True, ("event_clusters", "schema"): True}

    mats = {e.asset_key: e.materialization.metadata for e in result.get_asset_materialization_events()}
    assert mats[AssetKey("events")]["dagster/row_count"].value == ev.height
    assert mats[AssetKey("event_clusters")]["multi_story_clusters"].value == 1
    assert "| event_type |" in mats[AssetKey("event_clusters")]["preview"].value
    rep = mats[AssetKey("report")]
    # the report renders into the stage; `warehouse` publishes it to reports/ with the tables (not run here)
    svg = warehouse_dir / "_stage" / "report" / "timeline.svg"
    assert rep["timeline_svg"].value == str(svg.resolve())
    assert svg.read_text(encoding="utf-8").startswith("<svg ")
    assert rep["timeline"].value.startswith("![timeline](data:image/svg+xml;base64,")
    assert (warehouse_dir / "_stage" / "report" / "index.html").exists()
    assert not (warehouse_dir / "reports").exists()
