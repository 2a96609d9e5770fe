"""One Dagster instance for the CLI and the UI (pipelines/orchestration/instance.py): after `newsevents run` the instance in
WAREHOUSE/_dagster (what `make ui` opens) holds the runs, the materializations per ingest batch and the check results."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def test_cli_run_is_recorded_in_the_instance_the_ui_opens(tmp_path):
    from dagster import AssetKey, DagsterEventType, DagsterInstance, DagsterRunStatus, EventRecordsFilter

    inp, wh = tmp_path / "in", tmp_path / "wh"
    inp.mkdir()
    for p in sorted((REPO / "seeds").glob("*.txt"))[:2]:
        shutil.copy(p, inp / p.name)
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}  # the default location, as a user has it
    proc = subprocess.run([sys.executable, "-m", "pipelines.orchestration.cli", "run", "--quiet", "--input", str(inp), "--warehouse", str(wh)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # `make ui` resolves the same folder
    ui_home = subprocess.run([sys.executable, "-m", "pipelines.orchestration.instance", "--warehouse", str(wh)], cwd=tmp_path, env=env,
                             capture_output=True, text=True, check=True).stdout.strip()
    home = wh / "_dagster"
    assert Path(ui_home) == home.resolve()
    cfg = yaml.safe_load((home / "dagster.yaml").read_text())
    assert cfg["telemetry"]["enabled"] is False and cfg["nux"]["enabled"] is False

    with DagsterInstance.from_config(str(home)) as instance:
        assert instance.nux_enabled is False  # the UI's "join the community" dialog
        runs = instance.get_run_records()
        assert {r.dagster_run.job_name for r in runs} == {"newsevents_batch", "newsevents_downstream"}
        assert all(r.dagster_run.status == DagsterRunStatus.SUCCESS for r in runs)
        batches = instance.get_dynamic_partitions("ingest_batch")
        assert batches
        docs = instance.fetch_materializations(AssetKey("documents"), limit=100).records
        assert {m.partition_key for m in docs} == set(batches)
        assert instance.fetch_materializations(AssetKey("warehouse"), limit=10).records
        checks = instance.get_event_records(EventRecordsFilter(DagsterEventType.ASSET_CHECK_EVALUATION), limit=1000)
        checked = {r.event_log_entry.dagster_event.event_specific_data.asset_key.to_user_string() for r in checks}
        assert {"documents", "clean_stories"} <= checked


def test_dagster_home_order_flag_then_env_then_warehouse(tmp_path, monkeypatch):
    from pipelines.orchestration.instance import dagster_home

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert dagster_home(tmp_path / "wh") == (tmp_path / "wh" / "_dagster").resolve()
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "env"))
    assert dagster_home(tmp_path / "wh") == (tmp_path / "env").resolve()
    assert dagster_home(tmp_path / "wh", str(tmp_path / "flag")) == (tmp_path / "flag").resolve()
    own = tmp_path / "flag" / "dagster.yaml"
    own.write_text("telemetry:\n  enabled: true\n")  # a user's own file is left alone
    dagster_home(tmp_path / "wh", str(tmp_path / "flag"))
    assert own.read_text() == "telemetry:\n  enabled: true\n"
