"""The whole `newsevents` job launched without a partition key (as the UI's Launchpad does) plans the ingest batches
itself and runs every pending one: on a fresh warehouse and on an existing one, with the same published warehouse
as `newsevents run`."""
from __future__ import annotations

import shutil
from pathlib import Path

from dagster import AssetKey, DagsterInstance

from pipelines.core.publish.compare import compare_warehouses
from pipelines.definitions import JOB_NAME, build_definitions
from pipelines.warehouse import Warehouse

REPO = Path(__file__).resolve().parents[2]
SEEDS = sorted((REPO / "seeds").glob("*.txt"))


def _job_run(inp: Path, wh: Path, instance):
    defs = build_definitions(str(inp), str(wh), batch_max_files=1)
    return defs.resolve_job_def(JOB_NAME).execute_in_process(instance=instance, raise_on_error=False)


def test_full_job_without_partition_on_fresh_and_existing_warehouse(tmp_path):
    from pipelines.orchestration.cli import main

    inp, wh, ref = tmp_path / "in", tmp_path / "wh", tmp_path / "ref"
    inp.mkdir()
    for p in SEEDS[:2]:
        shutil.copy(p, inp / p.name)
    with DagsterInstance.from_config(str(_home(tmp_path))) as instance:
        fresh = _job_run(inp, wh, instance)
        assert fresh.success, [e.message for e in fresh.all_events if e.is_failure]
        live = Warehouse(path=str(wh)).live_batches()
        assert len(live) == 2  # batch_max_files=1: one batch per file
        assert sorted(instance.get_dynamic_partitions("ingest_batch")) == live
        for key in ("documents", "clean_stories", "removed_spans"):
            recs = instance.fetch_materializations(AssetKey(key), limit=50).records
            assert {m.partition_key for m in recs} >= set(live), key

        assert _jobs(instance) == {"newsevents": 1, "newsevents_batch": 2, "newsevents_downstream": 1}

        shutil.copy(SEEDS[2], inp / SEEDS[2].name)  # an existing warehouse, one new file: only its batch runs
        again = _job_run(inp, wh, instance)
        assert again.success, [e.message for e in again.all_events if e.is_failure]
        assert len(Warehouse(path=str(wh)).live_batches()) == 3
        assert _jobs(instance) == {"newsevents": 2, "newsevents_batch": 3, "newsevents_downstream": 2}

    assert main(["run", "--quiet", "--input", str(inp), "--warehouse", str(ref), "--batch-files", "1",
                 "--dagster-home", str(tmp_path / "ref_home")]) == 0
    diff = compare_warehouses(wh, ref)
    assert {"documents", "stories", "events"} <= set(diff)
    assert all(d["equal"] for d in diff.values()), {t: d for t, d in diff.items() if not d["equal"]}


def _jobs(instance) -> dict[str, int]:
    from collections import Counter

    from dagster import DagsterRunStatus

    records = instance.get_run_records()
    assert all(r.dagster_run.status == DagsterRunStatus.SUCCESS for r in records)
    return dict(Counter(r.dagster_run.job_name for r in records))


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return home
