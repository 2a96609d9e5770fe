"""Incremental runs by ingest batch: new files -> only their new batch runs, a changed/removed file -> its batch
again, a new code version -> every batch again (the backfill), unchanged input -> no batch runs; and the tables
always equal a full rebuild, whatever the batch layout."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl

from pipelines.core.publish.compare import compare_warehouses, ordered_rows

REPO = Path(__file__).resolve().parents[2]
SEEDS = sorted((REPO / "seeds").glob("*.txt"))


def run(inp: Path, wh: Path, *extra: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "pipelines.orchestration.cli", "run", "--quiet", "--input", str(inp), "--warehouse", str(wh), *extra],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_adding_files_equals_full_rebuild_and_keeps_old_batches(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    for p in SEEDS[:3]:
        shutil.copy(p, inp / p.name)
    wh_inc = tmp_path / "wh_inc"
    run(inp, wh_inc)
    (first,) = pl.read_parquet(wh_inc / "_batches" / "registry.parquet")["batch_key"].unique().to_list()
    first_file = wh_inc / "_stage" / "documents" / f"{first}.parquet"
    stamp = first_file.stat().st_mtime_ns
    for p in SEEDS[3:]:
        shutil.copy(p, inp / p.name)
    run(inp, wh_inc)
    assert first_file.stat().st_mtime_ns == stamp  # the old batch was not processed again
    registry = pl.read_parquet(wh_inc / "_batches" / "registry.parquet")
    assert registry.height == len(SEEDS) and registry["batch_key"].n_unique() == 2
    wh_full = tmp_path / "wh_full"
    run(inp, wh_full)
    # ingested_at ("first ingested into this warehouse") is the one column allowed to differ from a fresh rebuild
    diff = compare_warehouses(wh_inc, wh_full)
    assert diff and all(d["equal"] for d in diff.values()), {t: d for t, d in diff.items() if not d["equal"]}
    # removing a file removes its rows
    (inp / SEEDS[0].name).unlink()
    run(inp, wh_inc)
    assert len(ordered_rows(wh_inc, "documents")) == len(SEEDS) - 1


def test_batch_layout_does_not_change_the_tables(tmp_path):
    """The seeds in batches of 2 files (3 batches) and in one batch give identical tables."""
    small, big = tmp_path / "wh_2", tmp_path / "wh_1000"
    run(REPO / "seeds", small, "--batch-files", "2")
    run(REPO / "seeds", big, "--batch-files", "1000")
    assert pl.read_parquet(small / "_batches" / "registry.parquet")["batch_key"].n_unique() == 3
    assert pl.read_parquet(big / "_batches" / "registry.parquet")["batch_key"].n_unique() == 1
    diff = compare_warehouses(small, big)
    assert {"documents", "stories", "events", "quarantine"} <= set(diff)
    assert all(d["equal"] for d in diff.values()), {t: d for t, d in diff.items() if not d["equal"]}
    assert ordered_rows(small, "stories") == ordered_rows(big, "stories")


def _ran(capsys) -> tuple[list[str], str]:
    err = capsys.readouterr().err
    return re.findall(r"── batch (b\S+):", err), err


def test_only_affected_batches_run(tmp_path, monkeypatch, capsys):
    from pipelines.orchestration.cli import run as run_in_process
    from pipelines.warehouse import Warehouse

    inp, wh = tmp_path / "in", tmp_path / "wh"
    inp.mkdir()
    small = sorted(SEEDS, key=lambda p: p.stat().st_size)
    for p in small[:3]:
        shutil.copy(p, inp / p.name)

    def go() -> list[str]:
        assert run_in_process(str(inp), str(wh), batch_files=2) == 0
        ran, err = _ran(capsys)
        assert "ingest batches:" in err
        return ran

    first = go()
    assert len(first) == 2
    assert go() == []  # unchanged input: no batch runs
    # a new file -> only its new batch
    shutil.copy(small[3], inp / small[3].name)
    added = go()
    assert len(added) == 1 and added[0] not in first
    # a removed file -> its batch only, re-run without it
    registry = Warehouse(path=str(wh)).read_registry()
    victim = registry.filter(pl.col("batch_key") == first[0])["path"].sort()[0]
    (inp / victim).unlink()
    assert go() == [first[0]]
    # a changed file -> its batch only
    other = registry.filter(pl.col("batch_key") == first[1])["path"][0]
    (inp / other).write_bytes((inp / other).read_bytes() + b"\n\nA later paragraph was added to the story.\n")
    assert go() == [first[1]]
    # every file of a batch removed -> the batch is retired: no run, its staged files are gone
    for path in Warehouse(path=str(wh)).read_registry().filter(pl.col("batch_key") == first[1])["path"]:
        (inp / path).unlink()
    assert go() == []
    assert not (wh / "_stage" / "documents" / f"{first[1]}.parquet").exists()
    assert not list((wh / "_stage" / "quarantine").glob(f"*__{first[1]}.parquet"))
    live = Warehouse(path=str(wh)).live_batches()
    assert first[1] not in live and len(live) == 2
    # another code version -> every live batch again (the backfill), then nothing
    monkeypatch.setattr("pipelines.orchestration.partitions.batch_version", lambda: "test-version-2")
    monkeypatch.setattr("pipelines.assets.clean.batch_version", lambda: "test-version-2")
    assert go() == live
    assert go() == []
    assert set(Warehouse(path=str(wh)).read_registry()["code_version"]) == {"test-version-2"}
    uris = sorted(r for (r,) in __import__("duckdb").connect(str(wh / "newsevents.duckdb"), read_only=True)
                  .execute("select source_uri from documents").fetchall())
    assert uris == sorted(p.name for p in inp.iterdir())


def test_copied_or_moved_input_folder_is_not_ingested_again(tmp_path, capsys):
    """Content hashes, not paths or mtimes, decide what is new: the same folder copied elsewhere (new mtimes) or
    moved, given as --input to the same warehouse, runs no batch and publishes the same tables; paths stay recorded."""
    from pipelines.orchestration.cli import run as run_in_process
    inp, wh, ref = tmp_path / "in", tmp_path / "wh", tmp_path / "ref"
    inp.mkdir()
    small = sorted(SEEDS, key=lambda p: p.stat().st_size)[:3]
    for p in small:
        shutil.copy(p, inp / p.name)
    assert run_in_process(str(inp), str(wh), batch_files=2) == 0
    first, _ = _ran(capsys)
    assert len(first) == 2
    shutil.copy(SEEDS[0], tmp_path / "unused")  # a later mtime for every copy below
    copy = tmp_path / "elsewhere" / "copy"
    shutil.copytree(inp, copy, copy_function=shutil.copy)  # new mtimes, same bytes
    stamps = [[p.stat().st_mtime_ns for p in sorted(d.iterdir())] for d in (copy, inp)]
    assert stamps[0] != stamps[1]
    assert run_in_process(str(copy), str(wh), batch_files=2) == 0
    ran, err = _ran(capsys)
    assert ran == [] and "3 re-stamped" in err and "▶ documents" not in err
    moved = tmp_path / "moved"
    copy.rename(moved)
    (moved / small[0].name).rename(moved / f"renamed-{small[0].name}")
    assert run_in_process(str(moved), str(wh), batch_files=2) == 0
    ran, err = _ran(capsys)
    assert ran == [] and "1 moved" in err
    registry = pl.read_parquet(wh / "_batches" / "registry.parquet")
    assert sorted(registry["path"]) == sorted(p.name for p in moved.iterdir())
    assert sorted(registry["batch_key"].unique()) == sorted(first)
    assert run_in_process(str(inp), str(ref), batch_files=2) == 0
    capsys.readouterr()
    # nothing was re-ingested: every table equals a warehouse built once from the original folder
    diff = compare_warehouses(ref, wh)
    assert diff and all(d["equal"] for d in diff.values()), {t: d for t, d in diff.items() if not d["equal"]}
