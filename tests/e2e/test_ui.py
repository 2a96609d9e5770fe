"""`dagster dev -w workspace.yaml` starts and its GraphQL API lists every asset, group and blocking check."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
QUERY = "{ assetNodes { assetKey { path } groupName description assetChecksOrError { ... on AssetChecks { checks { name blocking } } } } }"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(port: int) -> dict:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": QUERY}).encode(),
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def test_dagster_dev_lists_every_asset_and_check(tmp_path):
    from pipelines.definitions import defs

    port = _free_port()
    env = {**os.environ, "NEWSEVENTS_WAREHOUSE": str(tmp_path / "wh"), "DAGSTER_HOME": str(tmp_path)}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    dagster = Path(sys.executable).parent / "dagster"
    proc = subprocess.Popen([str(dagster), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline, data = time.monotonic() + 240, None
        while time.monotonic() < deadline:
            try:
                data = _graphql(port)
                if data.get("data", {}).get("assetNodes"):
                    break
            except OSError:
                pass
            if proc.poll() is not None:
                pytest.fail(f"dagster dev exited with {proc.returncode}")
            time.sleep(2)
        assert data and data["data"]["assetNodes"], f"no answer from dagster dev: {data}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    nodes = {"/".join(n["assetKey"]["path"]): n for n in data["data"]["assetNodes"]}
    graph = defs.resolve_asset_graph()
    expected = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert set(nodes) == expected
    for key in graph.get_all_asset_keys():
        node = nodes[key.to_user_string()]
        assert node["groupName"] == graph.get(key).group_name and node["description"]
        expected_checks = {c.name for c in graph.get_check_keys_for_assets([key])} if hasattr(graph, "get_check_keys_for_assets") else None
        got_checks = {c["name"] for c in node["assetChecksOrError"].get("checks", [])}
        if expected_checks is not None:
            assert got_checks == expected_checks, key
    checked = [n for n in nodes.values() if n["assetChecksOrError"].get("checks")]
    assert all(c["blocking"] for n in checked for c in n["assetChecksOrError"]["checks"])
    assert {"documents", "warehouse", "quarantine"} <= set(nodes)
