"""The partitioned pipeline on the dagster-dask executor (one LocalCluster, 2 worker processes; one run per ingest
batch, then the downstream run) gives the same tables as the single-process `newsevents run` on the same input (the
seeds, split into 3 batches of at most 2 files).

Needs the optional `scale` extra (dagster-dask, distributed); skipped without it. Marked slow (a single-process
run + 4 Dask runs, ~30 s on the 2-core machine; see deploy/README.md if each step is followed by a 60 s pause):
    .venv/bin/python -m pytest -m slow tests/scale/test_distributed.py
(Both runs import the code under test at different moments: run it on a checkout nobody is editing.)
"""
from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

pytest.importorskip("dagster_dask")
pytest.importorskip("distributed")

from pipelines.core.publish.compare import compare_warehouses, ordered_rows  # noqa: E402

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture
def persistent_instance(tmp_path):
    from dagster import DagsterInstance

    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    instance = DagsterInstance.from_config(str(home))
    yield instance
    instance.dispose()


@pytest.mark.slow
def test_partitioned_dask_run_equals_single_process_run(tmp_path, persistent_instance):
    from dagster import DagsterEventType

    from pipelines.orchestration.cli import run
    from pipelines.orchestration.executors import DISTRIBUTED_BATCH_JOB_NAME, DISTRIBUTED_JOB_NAME, run_distributed

    corpus = tmp_path / "input"
    shutil.copytree(SEEDS, corpus)
    single, dist = tmp_path / "wh_single", tmp_path / "wh_dask"
    assert run(str(corpus), str(single), quiet=True, batch_files=2) == 0

    update = run_distributed(str(corpus), str(dist), persistent_instance, n_workers=2, batch_max_files=2)
    # the LocalCluster's nannies are closed at interpreter exit, after pytest closed its log streams
    logging.getLogger("distributed").setLevel(logging.ERROR)
    assert update.success, [(label, [e.message for e in r.all_events if e.is_failure]) for label, r in update.runs]
    labels = [label for label, _ in update.runs]
    assert len(labels) == 4 and labels[-1] == "downstream" and all(x.startswith("batch b") for x in labels[:-1])
    assert [r.dagster_run.job_name for _, r in update.runs] == [DISTRIBUTED_BATCH_JOB_NAME] * 3 + [DISTRIBUTED_JOB_NAME]
    assert [r.dagster_run.tags.get("dagster/partition") for _, r in update.runs[:-1]] == update.prepared.plan.new
    # the steps really ran in other processes than this one (the Dask workers)
    import os

    pids = {e.pid for _, r in update.runs for e in r.all_events if e.event_type == DagsterEventType.STEP_START}
    assert pids and os.getpid() not in pids

    cmp = compare_warehouses(single, dist)
    assert {"documents", "stories", "events"} <= set(cmp)
    assert all(c["equal"] for c in cmp.values()), cmp
    for table in ("documents", "stories", "events", "actors"):
        if table in cmp:
            rows = ordered_rows(single, table)
            assert rows and rows == ordered_rows(dist, table)


def test_executor_config_local_and_existing():
    from pipelines.orchestration.executors import dask_executor_config

    local = dask_executor_config(3)["cluster"]["local"]
    assert local["n_workers"] == 3 and local["threads_per_worker"] == 1 and local["processes"] is True
    assert dask_executor_config(address="tcp://10.0.0.5:8786") == {"cluster": {"existing": {"address": "tcp://10.0.0.5:8786"}}}
