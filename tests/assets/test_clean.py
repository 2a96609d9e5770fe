"""Wiring of the clean multi_asset with dagster.materialize on the seeds (documents staged from the real ingest core)."""
from __future__ import annotations

from datetime import datetime

import polars as pl
from dagster import AssetKey, AssetSpec, materialize

from pipelines.assets.clean import clean
from pipelines.core.clean import rebuild_text
from pipelines.io_manager import StageIOManager
from pipelines.resources import Warehouse


def _seed_documents(seeds_dir) -> pl.DataFrame:
    """The seeds through the real ingest core (the same frame the `documents` asset produces)."""
    from pipelines.core.ingest import DEFAULT_MAX_BYTES, scan_folder
    from pipelines.core.ingest.frame import ingest_frames

    docs, rejected = ingest_frames(list(scan_folder(seeds_dir, max_bytes=DEFAULT_MAX_BYTES)),
                                   now=datetime(2026, 1, 1), previous=None)
    assert rejected.height == 0
    return docs


def test_clean_materializes_seeds(warehouse_dir, seeds_dir):
    wh = Warehouse(path=str(warehouse_dir))
    docs = _seed_documents(seeds_dir)
    wh.write_stage("documents", docs)
    result = materialize([AssetSpec("documents"), clean],
                         resources={"warehouse": wh, "io_manager": StageIOManager(warehouse=wh)})
    assert result.success
    stories = wh.read_stage("clean_stories")
    spans = wh.read_stage("removed_spans")
    counts = stories.join(docs.select("doc_id", "source_uri"), on="doc_id").group_by("source_uri").len().sort("source_uri")
    assert counts["len"].to_list() == [1, 10, 12, 1, 1]
    checks = {(c.asset_key.to_user_string(), c.check_name): c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {("clean_stories", "schema"): True, ("removed_spans", "schema"): True}
    mats = {e.asset_key: e.materialization.metadata for e in result.get_asset_materialization_events()}
    assert mats[AssetKey("clean_stories")]["dagster/row_count"].value == 25
    assert mats[AssetKey("removed_spans")]["dagster/row_count"].value == spans.height > 0
    assert "| story_id |" in mats[AssetKey("clean_stories")]["preview"].value
    # the audit is exact: every story text is its raw slice minus the logged removals
    raw = dict(docs.select("doc_id", "raw_text").iter_rows())
    for st in stories.iter_rows(named=True):
        sp = spans.filter(pl.col("doc_id") == st["doc_id"])
        assert rebuild_text(raw[st["doc_id"]], st["raw_start"], st["raw_end"],
                            zip(sp["char_start"].to_list(), sp["char_end"].to_list())) == st["text"]
