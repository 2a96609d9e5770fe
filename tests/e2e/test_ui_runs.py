"""The UI sees what the CLI did, and can run the whole job: `newsevents run`, then `dagster dev` on the same instance
(as `make ui` starts it); its GraphQL API reports the documents / clean partitions materialized and every check's
last result, and launching the `newsevents` job (no partition key) from it succeeds on that existing warehouse."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.test_ui import _free_port

REPO = Path(__file__).resolve().parents[2]
SEEDS = sorted((REPO / "seeds").glob("*.txt"))

ASSETS = """{ assetNodes { assetKey { path } isPartitioned partitionStats { numMaterialized numPartitions numFailed }
  assetChecksOrError { ... on AssetChecks { checks { name executionForLatestMaterialization { status } } } } } }"""
LAUNCH = """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) { __typename
  ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
  ... on RunConfigValidationInvalid { errors { message } } ... on InvalidSubsetError { message } } }"""
RUN = """query($id: ID!) { runOrError(runId: $id) { __typename ... on Run { status } } }"""
RUNS = """{ runsOrError { ... on Runs { results { jobName status } } } }"""


def _gql(port: int, query: str, variables: dict | None = None) -> dict:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql",
                                 data=json.dumps({"query": query, "variables": variables or {}}).encode(),
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        out = json.load(resp)
    assert not out.get("errors"), out["errors"]
    return out["data"]


def _assets(port: int) -> dict[str, dict]:
    return {"/".join(n["assetKey"]["path"]): n for n in _gql(port, ASSETS)["assetNodes"]}


def test_ui_shows_cli_runs_and_launches_the_full_job(tmp_path):
    inp, wh = tmp_path / "in", tmp_path / "wh"
    inp.mkdir()
    for p in SEEDS[:2]:
        shutil.copy(p, inp / p.name)
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env.update(NEWSEVENTS_INPUT=str(inp), NEWSEVENTS_WAREHOUSE=str(wh))
    cli = subprocess.run([sys.executable, "-m", "pipelines.orchestration.cli", "run", "--quiet"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=900)
    assert cli.returncode == 0, cli.stderr[-3000:]
    home = subprocess.run([sys.executable, "-m", "pipelines.orchestration.instance"], cwd=REPO, env=env, capture_output=True,
                          text=True, check=True).stdout.strip()  # what `make ui` does
    port = _free_port()
    dagster = Path(sys.executable).parent / "dagster"
    proc = subprocess.Popen([str(dagster), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
                            cwd=REPO, env={**env, "DAGSTER_HOME": home}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline, nodes = time.monotonic() + 240, None
        while time.monotonic() < deadline and not nodes:
            try:
                nodes = _assets(port)
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"dagster dev exited with {proc.returncode}")
                time.sleep(2)
        assert nodes, "no answer from dagster dev"
        assert _gql(port, "{ shouldShowNux }")["shouldShowNux"] is False  # no sign-up dialog
        # the CLI's work is visible: 1 batch (2 files), materialized; every check has a last result that passed
        for key in ("documents", "clean_stories", "removed_spans"):
            stats = nodes[key]["partitionStats"]
            assert stats["numPartitions"] >= 1 and stats["numMaterialized"] == stats["numPartitions"], (key, stats)
        checks = [(k, c) for k, n in nodes.items() for c in (n["assetChecksOrError"].get("checks") or [])]
        assert checks
        assert all(c["executionForLatestMaterialization"] and c["executionForLatestMaterialization"]["status"] == "SUCCEEDED"
                   for _, c in checks), [(k, c) for k, c in checks]

        # a new file, then the whole job from the UI, no partition key
        shutil.copy(SEEDS[2], inp / SEEDS[2].name)
        params = {"selector": {"repositoryLocationName": "newsevents", "repositoryName": "__repository__",
                               "jobName": "newsevents"}, "runConfigData": {}}
        launched = _gql(port, LAUNCH, {"p": params})["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_id, status = launched["run"]["runId"], None
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            status = _gql(port, RUN, {"id": run_id})["runOrError"].get("status")
            if status in ("SUCCESS", "FAILURE", "CANCELED"):
                break
            time.sleep(3)
        assert status == "SUCCESS", status
        jobs = [(r["jobName"], r["status"]) for r in _gql(port, RUNS)["runsOrError"]["results"]]
        assert ("newsevents", "SUCCESS") in jobs and all(s == "SUCCESS" for _, s in jobs), jobs
        assert sum(1 for j, _ in jobs if j == "newsevents_batch") == 2  # the CLI's batch + the new file's batch
        assert sum(1 for j, _ in jobs if j == "newsevents_downstream") == 2
        before, after = nodes["documents"]["partitionStats"], _assets(port)["documents"]["partitionStats"]
        assert after["numPartitions"] == before["numPartitions"] + 1 == after["numMaterialized"], (before, after)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    import duckdb

    con = duckdb.connect(str(wh / "newsevents.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 3
    finally:
        con.close()
