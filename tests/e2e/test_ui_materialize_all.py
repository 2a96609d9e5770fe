""""Materialize all" in the UI's asset graph works on a fresh and on an existing warehouse, driven through the
GraphQL API exactly as the UI does it (dagster-webserver 1.13, ui-core LaunchAssetExecutionButton.tsx and
LaunchAssetChoosePartitionsDialog.tsx): every asset node is selected, the job is the one job all of them share,
the partitioned assets need partition keys (the `ingest_batch` keys), so the UI opens its partition dialog with
every key selected and launches ONE run with a `dagster/partition` tag when there is one key, else an asset
backfill over the keys (`launchPartitionBackfill`, run by the daemon `dagster dev` starts).

A fresh warehouse has no partition until something plans the batches: `make ui` does (`python -m
pipelines.orchestration.instance --plan`), which is the first step here.

Slow (~5 min here: dagster dev, one run, then a backfill of three runs, each a fresh process): `make test-slow`;
the default suite's tests/e2e/test_ui_runs.py covers the CLI's runs in the UI and the `newsevents` job launch."""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.e2e.test_ui import _free_port
from tests.e2e.test_ui_runs import _gql

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
SEEDS = sorted((REPO / "seeds").glob("*.txt"), key=lambda p: p.stat().st_size)  # the smallest first

NODES = """{ assetNodes { assetKey { path } jobNames isPartitioned partitionKeys
  partitionStats { numMaterialized numPartitions numFailed }
  assetChecksOrError { ... on AssetChecks { checks { name } } } } }"""
LAUNCH = """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) { __typename
  ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
  ... on RunConfigValidationInvalid { errors { message } } ... on InvalidSubsetError { message } } }"""
BACKFILL = """mutation($b: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $b) { __typename
  ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }"""
RUN = """query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"""
BACKFILL_STATUS = """query($id: String!) { partitionBackfillOrError(backfillId: $id) {
  ... on PartitionBackfill { status error { message } } } }"""


def _nodes(port: int) -> list[dict]:
    return _gql(port, NODES)["assetNodes"]


def _wait(port: int, query: str, ident: str, key: str, done: set[str], timeout: float = 900) -> str:
    deadline, status = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        status = (_gql(port, query, {"id": ident})[key] or {}).get("status")
        if status in done:
            return status
        time.sleep(3)
    return f"timeout ({status})"


def materialize_all(port: int) -> str:
    """Click "Materialize all", keep the dialog's default (every partition), launch; the final status."""
    nodes = _nodes(port)
    jobs = [j for j in nodes[0]["jobNames"] if all(j in n["jobNames"] for n in nodes)]
    assert jobs, "no job shared by every asset: the UI would refuse 'Materialize all'"
    keys = sorted({k for n in nodes if n["isPartitioned"] for k in n["partitionKeys"]})
    assert keys, "no ingest_batch partition: the UI's partition dialog would have nothing to launch"
    selection = [{"path": n["assetKey"]["path"]} for n in nodes]
    if len(keys) == 1:
        checks = [{"assetKey": {"path": n["assetKey"]["path"]}, "name": c["name"]}
                  for n in nodes for c in (n["assetChecksOrError"].get("checks") or [])]
        params = {"selector": {"repositoryLocationName": "newsevents", "repositoryName": "__repository__",
                               "jobName": jobs[0], "assetSelection": selection, "assetCheckSelection": checks},
                  "executionMetadata": {"tags": [{"key": "dagster/partition", "value": keys[0]}]}, "runConfigData": {}}
        launched = _gql(port, LAUNCH, {"p": params})["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        return _wait(port, RUN, launched["run"]["runId"], "runOrError", {"SUCCESS", "FAILURE", "CANCELED"})
    params = {"assetSelection": selection, "partitionNames": keys, "fromFailure": False, "tags": []}
    launched = _gql(port, BACKFILL, {"b": params})["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    status = _wait(port, BACKFILL_STATUS, launched["backfillId"], "partitionBackfillOrError",
                   {"COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED", "COMPLETED"})
    return "SUCCESS" if status in ("COMPLETED_SUCCESS", "COMPLETED") else status


def _plan(env: dict) -> tuple[str, str]:
    """What `make ui` runs before `dagster dev`: (DAGSTER_HOME, the plan line)."""
    out = subprocess.run([sys.executable, "-m", "pipelines.orchestration.instance", "--plan"], cwd=REPO, env=env,
                         capture_output=True, text=True, check=True, timeout=300)
    return out.stdout.strip(), out.stderr


def _documents(wh: Path) -> int:
    con = duckdb.connect(str(wh / "newsevents.duckdb"), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM documents").fetchone()[0]
    finally:
        con.close()


def test_materialize_all_on_a_fresh_then_an_existing_warehouse(tmp_path):
    inp, wh = tmp_path / "in", tmp_path / "wh"
    inp.mkdir()
    for p in SEEDS[:2]:
        shutil.copy(p, inp / p.name)
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env.update(NEWSEVENTS_INPUT=str(inp), NEWSEVENTS_WAREHOUSE=str(wh))
    home, line = _plan(env)
    assert "1 new batch(es)" in line and not (wh / "newsevents.duckdb").exists()
    port = _free_port()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "dagster"), "dev", "-w", "workspace.yaml",
                             "-h", "127.0.0.1", "-p", str(port)], cwd=REPO, env={**env, "DAGSTER_HOME": home},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline, nodes = time.monotonic() + 240, None
        while time.monotonic() < deadline and not nodes:
            try:
                nodes = {"/".join(n["assetKey"]["path"]): n for n in _nodes(port)}
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"dagster dev exited with {proc.returncode}")
                time.sleep(2)
        assert nodes, "no answer from dagster dev"
        assert nodes["documents"]["partitionStats"] == {"numMaterialized": 0, "numPartitions": 1, "numFailed": 0}
        # fresh warehouse: one batch -> the UI launches one run of every asset for that partition
        assert materialize_all(port) == "SUCCESS"
        assert _documents(wh) == 2
        # existing warehouse, a new file planned as a second batch (make ui / the sensor / newsevents run plan it):
        # two partitions -> the UI launches an asset backfill; the unpartitioned assets run once after both
        shutil.copy(SEEDS[2], inp / SEEDS[2].name)
        assert "1 new batch(es)" in _plan(env)[1]
        assert materialize_all(port) == "SUCCESS"
        stats = {"/".join(n["assetKey"]["path"]): n["partitionStats"] for n in _nodes(port)}
        for key in ("documents", "clean_stories", "removed_spans"):
            assert stats[key] == {"numMaterialized": 2, "numPartitions": 2, "numFailed": 0}, (key, stats[key])
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError):  # the webserver / daemon / code server children too
            os.killpg(proc.pid, signal.SIGKILL)
    assert _documents(wh) == 3
