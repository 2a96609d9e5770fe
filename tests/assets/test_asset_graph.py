"""Snapshot of the asset graph (as dagster-open-platform does): asset keys, groups, dependencies, partitioning, asset
checks and the assets of each job. The test fails whenever the graph changes; if the change is intended, regenerate
the snapshot and commit it with the change, so the diff of tests/assets/snapshots/asset_graph.json shows the new
lineage in review:

    NEWSEVENTS_UPDATE_SNAPSHOT=1 .venv/bin/python -m pytest tests/assets/test_asset_graph.py
"""
import json
import os
from pathlib import Path

from pipelines.definitions import build_definitions

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"
JOBS = ("newsevents", "newsevents_batch", "newsevents_downstream")


def graph_snapshot(defs) -> dict:
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        checks = []
        for ck in sorted(node.check_keys, key=lambda c: c.name):
            spec = graph.get_check_spec(ck)
            checks.append({"name": ck.name, "blocking": bool(spec.blocking)})
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(p.to_user_string() for p in node.parent_keys),
            "partitioned": node.is_partitioned,
            "checks": checks,
        }
    jobs = {name: sorted(k.to_user_string() for k in defs.resolve_job_def(name).asset_layer.selected_asset_keys)
            for name in JOBS}
    return {"assets": assets, "jobs": jobs}


def test_asset_graph_matches_the_snapshot():
    current = graph_snapshot(build_definitions())
    if os.environ.get("NEWSEVENTS_UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    for key in sorted(set(expected["assets"]) | set(current["assets"])):
        assert current["assets"].get(key) == expected["assets"].get(key), (
            f"asset {key!r} changed; if intended, regenerate the snapshot (see this module's docstring)")
    assert current == expected
