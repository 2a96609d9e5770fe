"""StageIOManager / Warehouse with stages partitioned by ingest batch: a partitioned consumer reads its own batch, an
unpartitioned one every live batch (lazy scan, or the union sorted by key: independent of the layout), no live
batch -> an empty frame with the schema, a live batch never materialized -> a clear error."""
from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest
from dagster import AssetIn, AssetSpec, DagsterInstance, asset, materialize

from pipelines.core.ingest.batches import InputFile, plan_batches
from pipelines.io_manager import StageIOManager
from pipelines.orchestration.partitions import ingest_batch
from pipelines.warehouse import Warehouse


def _docs(uris: list[str]) -> pl.DataFrame:
    from pipelines.core.ingest.frame import DOCUMENT_SCHEMA

    rows = [{"doc_id": f"doc_{u}", "source_uri": u, "format": "txt", "sha256": "0" * 64, "n_bytes": 1, "raw_text": u,
             "title": None, "url": None, "published_at": None, "encoding": "utf-8", "ingested_at": datetime(2026, 1, 1)}
            for u in uris]
    return pl.DataFrame(rows, schema=DOCUMENT_SCHEMA, orient="row")


@pytest.fixture
def staged(warehouse_dir):
    wh = Warehouse(path=str(warehouse_dir))
    plan = plan_batches([InputFile(u, 1, 1) for u in "abcde"], None, code_version="v", now=datetime(2026, 1, 1), max_files=2)
    wh.write_registry(plan.registry)
    for b in plan.new:  # each batch file in reverse order: the union must still come out sorted
        wh.write_stage("documents", _docs(plan.members(b)[::-1]), batch=b)
    wh.write_stage("documents", _docs(["zz-retired"]), batch="b-retired")  # not in the registry: never read
    return wh, plan


def test_unpartitioned_consumers_read_every_live_batch(staged):
    wh, plan = staged
    seen = {}

    @asset(ins={"documents": AssetIn(key="documents")})
    def eager(documents: pl.DataFrame):
        seen["eager"] = documents

    @asset(ins={"documents": AssetIn(key="documents")})
    def lazy(documents: pl.LazyFrame):
        seen["lazy"] = documents

    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(ingest_batch.name, plan.new)
    res = materialize([AssetSpec("documents", partitions_def=ingest_batch), eager, lazy], instance=instance,
                      resources={"io_manager": StageIOManager(warehouse=wh)}, selection=["eager", "lazy"])
    assert res.success
    assert seen["eager"]["source_uri"].to_list() == list("abcde")
    assert isinstance(seen["lazy"], pl.LazyFrame)
    assert sorted(seen["lazy"].collect()["source_uri"].to_list()) == list("abcde")


def test_partitioned_consumer_reads_its_own_batch(staged):
    wh, plan = staged
    seen = {}

    @asset(partitions_def=ingest_batch, ins={"documents": AssetIn(key="documents")})
    def per_batch(documents: pl.DataFrame):
        seen["df"] = documents
        return documents.head(1)

    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(ingest_batch.name, plan.new)
    res = materialize([AssetSpec("documents", partitions_def=ingest_batch), per_batch], instance=instance,
                      partition_key=plan.new[1], resources={"io_manager": StageIOManager(warehouse=wh)},
                      selection=["per_batch"])
    assert res.success
    assert sorted(seen["df"]["source_uri"].to_list()) == plan.members(plan.new[1]) == ["c", "d"]
    assert wh.partition_path("per_batch", plan.new[1]).exists()


def test_no_live_batch_gives_the_schema_and_a_missing_batch_is_named(staged):
    wh, plan = staged
    wh.write_registry(plan.registry.head(0))
    empty = wh.read_stage("documents")
    assert empty.height == 0 and empty.schema == _docs([]).schema
    assert wh.scan_stage("documents").collect().schema == _docs([]).schema
    wh.write_registry(plan.registry)
    wh.partition_path("documents", plan.new[2]).unlink()
    with pytest.raises(FileNotFoundError, match=plan.new[2]):
        wh.read_stage("documents")
    # a retired batch's files (and quarantine rows) are removed
    from pipelines.core.validate import quarantine_frame

    wh.stage_quarantine(f"documents__inputs__{plan.new[0]}", quarantine_frame())
    wh.drop_batch(plan.new[0])
    assert not wh.partition_path("documents", plan.new[0]).exists()
    assert not list((wh.stage_dir / "quarantine").glob(f"*{plan.new[0]}*"))
