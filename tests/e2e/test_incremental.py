"""Incremental runs: adding files reprocesses only them, and the tables equal a full rebuild."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[2]
# ingested_at is "first ingested into this warehouse": the one column allowed to differ from a fresh rebuild
VOLATILE = {"documents": ["ingested_at"]}


def run(inp: Path, wh: Path) -> str:
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--quiet", "--input", str(inp), "--warehouse", str(wh)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def tables(wh: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(wh / "newsevents.duckdb"), read_only=True)
    try:
        names = [r[0] for r in con.execute("select table_name from information_schema.tables where table_type='BASE TABLE' order by 1").fetchall()]
        out = {}
        for t in names:
            cols = [r[0] for r in con.execute(f"select column_name from information_schema.columns where table_name='{t}' order by ordinal_position").fetchall()
                    if r[0] not in VOLATILE.get(t, [])]
            out[t] = con.execute(f'select {", ".join(chr(34) + c + chr(34) for c in cols)} from "{t}" order by all').fetchall()
        return out
    finally:
        con.close()


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
    inc, full = tables(wh_inc), tables(wh_full)
    assert set(inc) == set(full)
    for t in full:
        assert inc[t] == full[t], f"table {t} differs between incremental and full rebuild"
    # the cache holds exactly the current documents (mirrors the input)
    import polars as pl

    clean_cache = next((wh_inc / "_cache" / "clean").iterdir())
    assert pl.read_parquet(clean_cache / "clean_stories.keys.parquet").height == len(seeds)
    # removing a file removes its rows
    (inp / seeds[0].name).unlink()
    run(inp, wh_inc)
    assert len(tables(wh_inc)["documents"]) == len(seeds) - 1
