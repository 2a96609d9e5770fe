"""Wiring: documents asset + quarantine + warehouse through dagster.materialize with real resources on temp paths."""
from __future__ import annotations

import duckdb
import polars as pl
from dagster import AssetCheckSeverity, DagsterInstance, materialize

from pipelines.assets.ingest import documents
from pipelines.assets.publish import build_publish_assets
from pipelines.io_manager import StageIOManager
from pipelines.orchestration.partitions import plan_and_apply
from pipelines.warehouse import InputFolder, Warehouse


def _resources(input_dir, warehouse_dir):
    wh = Warehouse(path=str(warehouse_dir))
    return {"input_folder": InputFolder(path=str(input_dir)), "warehouse": wh, "io_manager": StageIOManager(warehouse=wh)}


def test_documents_asset_validates_stages_and_publishes(tmp_path, warehouse_dir):
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "a.txt").write_text("Protesters marched in the capital on Sunday.")
    (inp / "b.jsonl").write_text('{"maintext": "Troops were put on alert."}\n{oops\n')
    (inp / "c.txt").write_text("Not in the batch: it arrives after the plan.")
    res = _resources(inp, warehouse_dir)
    instance = DagsterInstance.ephemeral()
    (inp / "c.txt").rename(tmp_path / "c.txt")
    prepared = plan_and_apply(res["warehouse"], res["input_folder"], instance)
    (tmp_path / "c.txt").rename(inp / "c.txt")
    (batch,) = prepared.plan.new
    result = materialize([documents, *build_publish_assets(["documents"], ["documents"])], resources=res,
                         partition_key=batch, instance=instance)
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert [(c.asset_check_key.name, c.passed) for c in checks] == [("schema", True)]
    md = result.asset_materializations_for_node("documents")[0].metadata
    assert md["dagster/row_count"].value == 2 and md["inputs_quarantined"].value == 1
    assert "preview" in md
    con = duckdb.connect(str(warehouse_dir / "newsevents.duckdb"), read_only=True)
    assert con.execute("select count(*) from documents").fetchone()[0] == 2
    assert con.execute("select rule, source_uri from quarantine").fetchall() == [("broken_json_line", "b.jsonl#2")]
    con.close()
    assert pl.read_parquet(warehouse_dir / "parquet" / "documents" / "data.parquet").height == 2


def test_invalid_rows_go_to_quarantine_and_check_warns(warehouse_dir):
    from pipelines.assets._common import validated
    from schemas.documents import Documents

    wh = Warehouse(path=str(warehouse_dir))
    from pipelines.core.ingest.frame import DOCUMENT_SCHEMA
    from datetime import datetime

    good = {"doc_id": "doc_a", "source_uri": "a.txt", "format": "txt", "sha256": "0" * 64, "n_bytes": 3, "raw_text": "abc",
            "title": None, "url": None, "published_at": None, "encoding": "utf-8", "ingested_at": datetime(2026, 1, 1)}
    bad = {**good, "doc_id": "doc_b", "source_uri": "b.pdf", "format": "pdf"}
    df = pl.DataFrame([good, bad], schema=DOCUMENT_SCHEMA, orient="row")
    v = validated(df, Documents, "documents", warehouse=wh, key_column="doc_id")
    assert v.frame["doc_id"].to_list() == ["doc_a"]
    check = v.check_result()
    assert not check.passed and check.severity == AssetCheckSeverity.WARN
    q = wh.collect_quarantine()
    assert q.select("table_name", "record_key", "source_uri").rows() == [("documents", "doc_b", "b.pdf")]
    assert q["rule"][0].startswith("schema:format:isin")


def test_structural_failure_is_a_blocking_error(warehouse_dir):
    from pipelines.assets._common import validated
    from schemas.documents import Documents

    v = validated(pl.DataFrame({"doc_id": ["doc_x"]}), Documents, "documents", warehouse=Warehouse(path=str(warehouse_dir)))
    check = v.check_result()
    assert not check.passed and check.severity == AssetCheckSeverity.ERROR
    assert "structural_errors" in check.metadata


def test_definitions_load_and_job_covers_every_asset():
    from pipelines.definitions import BATCH_JOB_NAME, DOWNSTREAM_JOB_NAME, JOB_NAME, defs

    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"documents", "quarantine", "warehouse"} <= keys
    defs.resolve_job_def(JOB_NAME)  # the whole update: it runs the two jobs below
    covered = {k.to_user_string() for name in (BATCH_JOB_NAME, DOWNSTREAM_JOB_NAME)
               for k in defs.resolve_job_def(name).asset_layer.selected_asset_keys}
    assert covered == keys
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.group_name in {"ingest", "clean", "dedup", "extract", "link", "publish"}, key
        assert node.description, f"{key} has no description"
