"""Concurrent readers are never blocked and always see a consistent snapshot; two runs started together on one
warehouse do not corrupt it (the second waits for the publish lock or fails with a clear message)."""
from __future__ import annotations

import time

import duckdb
import polars as pl
import pytest

from tests.reliability._run import (
    VOLATILE_COLUMNS, _digest, copy_warehouse, duckdb_snapshot, leftover_temp_files, parquet_snapshot, snapshot,
    start_cli,
)


def _parquet_table_digests(wh) -> dict[str, tuple[int, str]]:
    out = {}
    for f in sorted((wh / "parquet").glob("*/data.parquet")):
        df = pl.read_parquet(f)  # opened once: the old inode stays readable even if replaced meanwhile
        out[f.parent.name] = _digest(df.drop([c for c in df.columns if c in VOLATILE_COLUMNS]).rows())
    return out


def test_readers_during_a_run_are_not_blocked_and_see_a_snapshot(refs, tmp_path):
    wh = copy_warehouse(refs["wh_a"], tmp_path / "wh")
    before, after = refs["before"], refs["after"]
    analyst = duckdb.connect(str(wh / "newsevents.duckdb"), read_only=True)  # held open for the whole run
    n_docs_before = analyst.execute("SELECT count(*) FROM documents").fetchone()[0]
    proc = start_cli(refs["input_b"], wh, tmp_path / "run.log")
    seen = {"duckdb": set(), "parquet_tables": 0, "held": 0}
    try:
        while proc.poll() is None:
            # the held session: still the old snapshot, and queries never block
            assert analyst.execute("SELECT count(*) FROM documents").fetchone()[0] == n_docs_before
            seen["held"] += 1
            # a new read-only session: a whole previous or a whole new database
            snap = duckdb_snapshot(wh)
            assert snap in (before["duckdb"], after["duckdb"]), "a new reader saw a mixed database"
            seen["duckdb"].add("new" if snap == after["duckdb"] else "previous")
            # each Parquet table read is the previous or the new version of that table
            for t, d in _parquet_table_digests(wh).items():
                assert d in (before["parquet"].get(t), after["parquet"].get(t)), f"parquet/{t} is half-written"
                seen["parquet_tables"] += 1
            time.sleep(0.05)
        assert proc.returncode == 0, (tmp_path / "run.log").read_text()[-3000:]
        assert analyst.execute("SELECT count(*) FROM documents").fetchone()[0] == n_docs_before
    finally:
        analyst.close()
        if proc.poll() is None:
            proc.kill()
    assert seen["held"] > 3 and "previous" in seen["duckdb"]
    assert snapshot(wh) == after
    assert duckdb_snapshot(wh) == after["duckdb"] and parquet_snapshot(wh) == after["parquet"]


def _log(path) -> str:
    return path.read_text(errors="replace")


def test_two_runs_started_together_leave_a_consistent_warehouse(refs, tmp_path):
    """Same input, started at the same moment: both succeed (one waits at the publish lock) or one fails naming the
    lock; the warehouse afterwards is exactly the one a single run gives."""
    wh = copy_warehouse(refs["wh_a"], tmp_path / "wh")
    p1 = start_cli(refs["input_b"], wh, tmp_path / "r1.log")
    p2 = start_cli(refs["input_b"], wh, tmp_path / "r2.log")
    codes = [p1.wait(timeout=1200), p2.wait(timeout=1200)]
    logs = [_log(tmp_path / "r1.log"), _log(tmp_path / "r2.log")]
    assert 0 in codes, logs
    for code, log in zip(codes, logs):
        assert code == 0 or ("another newsevents run" in log and "failed" in log), log[-3000:]
    assert snapshot(wh) == refs["after"]
    assert leftover_temp_files(wh) == [] and not (wh / ".publish-journal.json").exists()


@pytest.mark.slow
def test_two_runs_on_different_inputs_leave_one_consistent_result(refs, tmp_path):
    """Input A and input B started together on the same warehouse: afterwards DuckDB and Parquet agree and every
    table is the result of one input (no documents of one with the quarantine of the other)."""
    wh = copy_warehouse(refs["wh_a"], tmp_path / "wh")
    p1 = start_cli(refs["input_a"], wh, tmp_path / "r1.log")
    p2 = start_cli(refs["input_b"], wh, tmp_path / "r2.log")
    codes = [p1.wait(timeout=1200), p2.wait(timeout=1200)]
    logs = [_log(tmp_path / "r1.log"), _log(tmp_path / "r2.log")]
    assert 0 in codes, logs
    for code, log in zip(codes, logs):
        assert code == 0 or "another newsevents run" in log, log[-3000:]
    snap = snapshot(wh)
    assert snap in (refs["before"], refs["after"]), {
        part: {t: ("A" if v == refs["before"][part].get(t) else "B" if v == refs["after"][part].get(t) else "neither")
               for t, v in (snap[part] or {}).items()}
        for part in ("duckdb", "parquet")
    }


def test_run_lock_times_out_with_a_clear_message(tmp_path, capsys):
    """A run that cannot get the warehouse within lock_timeout_s fails naming the warehouse and the other run."""
    import subprocess
    import sys

    from pipelines.warehouse import Warehouse

    wh = tmp_path / "wh"
    wh.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, sys, time; fh = open(sys.argv[1], 'a+'); "
                               "fcntl.flock(fh, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)",
                               str(wh / ".run.lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        w = Warehouse(path=str(wh), lock_timeout_s=0.5)
        try:
            w.acquire_run_lock()
        except TimeoutError as e:
            assert "another newsevents run is using the warehouse" in str(e) and str(wh) in str(e)
        else:
            w.release_run_lock()
            raise AssertionError("the run lock was granted while another process held it")
        assert "waiting for another newsevents run" in capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
    # once the other run is gone the lock is free, and it is re-entrant within one process (resource + IO manager)
    w = Warehouse(path=str(wh), lock_timeout_s=0.5)
    w.acquire_run_lock()
    w.acquire_run_lock()
    w.release_run_lock()
    w.release_run_lock()
