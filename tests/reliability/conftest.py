"""Slow tests (200 MB file, 10,000 tiny stories end to end, every kill point) run only when asked for:
`pytest -m slow tests/reliability` or NEWSEVENTS_SLOW=1."""
from __future__ import annotations

import os

import pytest

from tests.reliability._run import SEED_FILES, copy_warehouse, make_input, run_ok, snapshot


def _slow_requested(config) -> bool:
    return os.environ.get("NEWSEVENTS_SLOW") == "1" or "slow" in (config.getoption("-m", default="") or "").replace("not slow", "")


@pytest.fixture(autouse=True)
def _skip_slow_unless_requested(request):
    if request.node.get_closest_marker("slow") and not _slow_requested(request.config):
        pytest.skip("slow test: run with `pytest -m slow` or NEWSEVENTS_SLOW=1")


@pytest.fixture(scope="session")
def refs(tmp_path_factory):
    """Run A (2 seeds + an empty file) into a fresh warehouse, then run B (3 seeds + other bad files) on a copy of it.
    `before` = the warehouse after A; `after` = after A then B. Both snapshots exclude the run-time ingested_at."""
    if len(SEED_FILES) < 3:
        pytest.skip("needs the seed documents")
    tmp = tmp_path_factory.mktemp("fault")
    input_a = make_input(tmp / "input_a", SEED_FILES[:2], {"empty.txt": b""})
    input_b = make_input(tmp / "input_b", SEED_FILES[:3], {"broken.json": b'{"maintext": "cut', "blank.txt": b"  \n"})
    wh_a = tmp / "wh_a"
    run_ok(input_a, wh_a)
    wh_ab = copy_warehouse(wh_a, tmp / "wh_ab")
    run_ok(input_b, wh_ab)
    before, after = snapshot(wh_a), snapshot(wh_ab)
    assert before["duckdb"] != after["duckdb"] and before["parquet"] != after["parquet"]
    for part in ("duckdb", "parquet", "reports"):
        assert {t for t in before[part] if before[part][t] == after[part][t]} != set(before[part]), part
    # unpartitioned stages: _stage/<asset>.parquet; partitioned by ingest batch: _stage/<asset>/<batch>.parquet
    stages = sorted({p.stem for p in (wh_ab / "_stage").glob("*.parquet")}
                    | {d.name for d in (wh_ab / "_stage").iterdir() if d.is_dir() and d.name != "quarantine"})
    return {"tmp": tmp, "input_a": input_a, "input_b": input_b, "wh_a": wh_a, "before": before, "after": after, "stages": stages}
