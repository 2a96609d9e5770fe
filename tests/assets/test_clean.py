"""Wiring of the clean multi_asset (partitioned by ingest batch) with dagster.materialize on the seeds (documents
staged for one batch from the real ingest core)."""
from __future__ import annotations

from datetime import datetime

import polars as pl
from dagster import AssetKey, AssetSpec, DagsterInstance, materialize

from pipelines.assets.clean import clean
from pipelines.core.clean import rebuild_text
from pipelines.core.cache import batch_version
from pipelines.core.ingest.batches import list_inputs, plan_batches
from pipelines.io_manager import StageIOManager
from pipelines.orchestration.partitions import ingest_batch
from pipelines.warehouse import Warehouse


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
    plan = plan_batches(list_inputs(seeds_dir), None, code_version=batch_version(), now=datetime(2026, 1, 1))
    (batch,) = plan.new
    wh.write_registry(plan.registry)
    wh.write_stage("documents", docs, batch=batch)
    wh.write_stage("documents", docs.head(1), batch="b-other")  # another batch's file: clean[batch] must not read it
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(ingest_batch.name, [batch])
    result = materialize([AssetSpec("documents", partitions_def=ingest_batch), clean], partition_key=batch,
                         instance=instance, resources={"warehouse": wh, "io_manager": StageIOManager(warehouse=wh)})
    assert result.success
    stories = wh.read_stage("clean_stories", batch=batch)
    spans = wh.read_stage("removed_spans", batch=batch)
    assert stories.equals(wh.read_stage("clean_stories"))  # the union of the live batches (only this one)
    # the batch is recorded as materialized by this code version (the next plan has nothing to do)
    assert set(wh.read_registry()["code_version"]) == {batch_version()}
    assert plan_batches(list_inputs(seeds_dir), wh.read_registry(), code_version=batch_version(),
                        now=datetime(2026, 1, 2)).to_run == []
    counts = stories.join(docs.select("doc_id", "source_uri"), on="doc_id").group_by("source_uri").len().sort("source_uri")
    assert counts["len"].to_list() == [1, 10, 12, 1, 1]
    checks = {(c.asset_key.to_user_string(), c.check_name): c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {("clean_stories", "schema"): True, ("removed_spans", "schema"): True}
    mats = {e.asset_key: e.materialization.metadata for e in result.get_asset_materialization_events()}
    assert mats[AssetKey("clean_stories")]["dagster/row_count"].value == 25
    assert mats[AssetKey("removed_spans")]["dagster/row_count"].value == spans.height > 0
    assert "| story_id |" in mats[AssetKey("clean_stories")]["preview"].value
    # the relevance gate ran in the clean step: the seeds are political news, so every story is codeable
    assert stories["codeable"].all() and stories["codeable_score"].is_between(0.0, 1.0).all()
    assert mats[AssetKey("clean_stories")]["not_codeable_stories"].value == int((~stories["codeable"]).sum()) == 0
    assert mats[AssetKey("clean_stories")]["relevance_gate"].value.startswith("relevance_gate@")
    # the audit is exact: every story text is its raw slice minus the logged removals
    raw = dict(docs.select("doc_id", "raw_text").iter_rows())
    for st in stories.iter_rows(named=True):
        sp = spans.filter(pl.col("doc_id") == st["doc_id"])
        assert rebuild_text(raw[st["doc_id"]], st["raw_start"], st["raw_end"],
                            zip(sp["char_start"].to_list(), sp["char_end"].to_list())) == st["text"]


def test_clean_stops_at_start_when_the_gate_model_is_corrupt(warehouse_dir, seeds_dir, tmp_path, monkeypatch):
    """A corrupt relevance-gate file fails the clean step before any story is written, naming the file."""
    import shutil

    import pytest

    import pipelines.assets.clean as clean_mod
    from pipelines.core.clean.relevance import MODEL_DIR, load_gate
    from pipelines.core.models import ModelLoadError

    bad = tmp_path / "gate"
    shutil.copytree(MODEL_DIR, bad)
    (bad / "weights.npz").write_bytes(b"not a model")
    monkeypatch.setattr(clean_mod, "default_gate", lambda: load_gate(bad))
    wh = Warehouse(path=str(warehouse_dir))
    docs = _seed_documents(seeds_dir)
    plan = plan_batches(list_inputs(seeds_dir), None, code_version=batch_version(), now=datetime(2026, 1, 1))
    (batch,) = plan.new
    wh.write_registry(plan.registry)
    wh.write_stage("documents", docs, batch=batch)
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(ingest_batch.name, [batch])
    with pytest.raises(ModelLoadError, match=r"corrupt.*weights\.npz"):
        materialize([AssetSpec("documents", partitions_def=ingest_batch), clean], partition_key=batch,
                    instance=instance, resources={"warehouse": wh, "io_manager": StageIOManager(warehouse=wh)})
    assert wh.read_stage("clean_stories", batch=batch) is None and wh.read_stage("removed_spans", batch=batch) is None
    assert not wh.batch_is_staged(batch)
