"""Incremental runs: adding files reprocesses only them, and the tables equal a full rebuild."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from pipelines.core.publish.compare import compare_warehouses, ordered_rows

REPO = Path(__file__).resolve().parents[2]


def run(inp: Path, wh: Path) -> str:
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--quiet", "--input", str(inp), "--warehouse", str(wh)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_adding_files_equals_full_rebuild_and_reuses_the_cache(tmp_path):
    seeds = sorted((REPO / "seeds").glob("*.txt"))
    inp = tmp_path / "in"
    inp.mkdir()
    for p in seeds[:3]:
        shutil.copy(p, inp / p.name)
    wh_inc = tmp_path / "wh_inc"
    run(inp, wh_inc)
    for p in seeds[3:]:
        shutil.copy(p, inp / p.name)
    run(inp, wh_inc)
    wh_full = tmp_path / "wh_full"
    run(inp, wh_full)
    # ingested_at ("first ingested into this warehouse") is the one column allowed to differ from a fresh rebuild
    diff = compare_warehouses(wh_inc, wh_full)
    assert diff and all(d["equal"] for d in diff.values()), {t: d for t, d in diff.items() if not d["equal"]}
    # the cache holds exactly the current documents (mirrors the input)
    import polars as pl

    clean_cache = next((wh_inc / "_cache" / "clean").iterdir())
    assert pl.read_parquet(clean_cache / "clean_stories.keys.parquet").height == len(seeds)
    # removing a file removes its rows
    (inp / seeds[0].name).unlink()
    run(inp, wh_inc)
    assert len(ordered_rows(wh_inc, "documents")) == len(seeds) - 1
