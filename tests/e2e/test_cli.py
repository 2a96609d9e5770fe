"""End to end: the `newsevents run` console script on the seeds, as a user runs it."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "pipelines.orchestration.cli"]


def run_cli(*args, cwd=REPO, check=True):
    proc = subprocess.run([*CLI, "run", *args], cwd=cwd, capture_output=True, text=True, env=os.environ.copy(), timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-4000:]}")
    return proc


def snapshot(db: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables where table_type='BASE TABLE' order by 1").fetchall()]
        return {t: con.execute(f'select * from "{t}" order by all').fetchall() for t in tables}
    finally:
        con.close()


@pytest.fixture(scope="module")
def seeded_warehouse(tmp_path_factory):
    wh = tmp_path_factory.mktemp("wh")
    proc = run_cli("--input", str(REPO / "seeds"), "--warehouse", str(wh))
    return wh, proc


def test_run_on_seeds_publishes_documents_and_summary(seeded_warehouse):
    wh, proc = seeded_warehouse
    assert "documents=5" in proc.stdout and "quarantine=0" in proc.stdout
    assert "▶ documents" in proc.stderr and "✓ documents" in proc.stderr
    snap = snapshot(wh / "newsevents.duckdb")
    assert len(snap["documents"]) == 5 and snap["quarantine"] == []
    assert (wh / "parquet" / "documents" / "data.parquet").exists()
    assert not list(wh.glob(".*.tmp-*"))  # no temp files left behind


def test_rerun_is_idempotent_while_a_reader_holds_the_old_database(seeded_warehouse, tmp_path):
    wh, _ = seeded_warehouse
    before = snapshot(wh / "newsevents.duckdb")
    reader = duckdb.connect(str(wh / "newsevents.duckdb"), read_only=True)
    try:
        n_before = reader.execute("select count(*) from documents").fetchone()[0]
        run_cli("--input", str(REPO / "seeds"), "--warehouse", str(wh))
        # the reader still sees its consistent snapshot, and was never blocked
        assert reader.execute("select count(*) from documents").fetchone()[0] == n_before
    finally:
        reader.close()
    assert snapshot(wh / "newsevents.duckdb") == before  # same ids, same rows, no duplicates


def test_database_opens_from_any_working_directory(seeded_warehouse, tmp_path):
    wh, _ = seeded_warehouse
    code = f"import duckdb; c=duckdb.connect({str(wh / 'newsevents.duckdb')!r}, read_only=True); print(c.execute('select count(*) from documents').fetchone()[0])"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "5"


def test_environment_variables_select_input_and_warehouse(tmp_path):
    inp, wh = tmp_path / "in", tmp_path / "wh"
    inp.mkdir()
    shutil.copy(REPO / "seeds" / "000_8d64354295afe699.txt", inp / "one.txt")
    (inp / "empty.txt").write_bytes(b"")
    env = {**os.environ, "NEWSEVENTS_INPUT": str(inp), "NEWSEVENTS_WAREHOUSE": str(wh)}
    proc = subprocess.run([*CLI, "run", "--quiet"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr
    assert "documents=1" in proc.stdout and "quarantine=1" in proc.stdout and "empty_file=1" in proc.stdout
    assert proc.stderr.count("▶") == 0  # --quiet


def test_missing_input_folder_exits_nonzero_with_a_clear_message(tmp_path):
    proc = run_cli("--input", str(tmp_path / "nope"), "--warehouse", str(tmp_path / "wh"), check=False)
    assert proc.returncode == 2
    assert "does not exist" in proc.stderr and "nope" in proc.stderr


def test_a_single_file_as_input(tmp_path):
    """`--input FILE`: that one file is the input, recorded under its name; re-running it changes nothing."""
    seed = sorted((REPO / "seeds").glob("*.txt"))[0]
    wh = tmp_path / "wh"
    proc = run_cli("--input", str(seed), "--warehouse", str(wh))
    assert "documents=1" in proc.stdout and "1 new batch(es)" in proc.stderr, proc.stderr[-2000:]
    con = duckdb.connect(str(wh / "newsevents.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT source_uri FROM documents").fetchall() == [(seed.name,)]
        assert con.execute("SELECT count(*) FROM stories").fetchone()[0] >= 1
    finally:
        con.close()
    again = run_cli("--input", str(seed), "--warehouse", str(wh))
    assert "0 new batch(es), 0 to re-run" in again.stderr and "▶ documents" not in again.stderr


def test_empty_folder_then_an_all_quarantined_batch_then_retired(tmp_path):
    """No live batch -> empty tables with their schema; a batch whose only file is quarantined; the batch retired."""
    inp, wh = tmp_path / "in", tmp_path / "wh"
    inp.mkdir()
    proc = run_cli("--quiet", "--input", str(inp), "--warehouse", str(wh))
    assert "documents=0" in proc.stdout and "quarantine=0" in proc.stdout
    (inp / "empty.txt").write_bytes(b"")
    proc = run_cli("--quiet", "--input", str(inp), "--warehouse", str(wh))
    assert "documents=0" in proc.stdout and "quarantine=1" in proc.stdout and "empty_file=1" in proc.stdout
    (inp / "empty.txt").unlink()
    proc = run_cli("--input", str(inp), "--warehouse", str(wh))
    assert "quarantine=0" in proc.stdout and "1 retired" in proc.stderr and "▶ documents" not in proc.stderr
    assert not list((wh / "_stage" / "documents").glob("b*.parquet"))


def test_bad_batch_option_is_a_usage_error(tmp_path):
    proc = run_cli("--input", str(REPO / "seeds"), "--warehouse", str(tmp_path / "wh"), "--batch-files", "0", check=False)
    assert proc.returncode == 2 and "--batch-files" in proc.stderr


def test_warehouse_from_before_the_batches_is_taken_over(tmp_path):
    """A warehouse staged by the unpartitioned pipeline: its stage files are removed (not read twice), its
    first-ingest times kept."""
    from datetime import datetime

    import polars as pl

    from pipelines.core.ingest import scan_folder
    from pipelines.core.ingest.frame import ingest_frames
    from pipelines.core.validate import quarantine_frame

    inp, wh = tmp_path / "in", tmp_path / "wh"
    inp.mkdir()
    shutil.copy(REPO / "seeds" / "000_8d64354295afe699.txt", inp / "one.txt")
    old_docs, _ = ingest_frames(scan_folder(inp), now=datetime(2020, 1, 2))
    (wh / "_stage" / "quarantine").mkdir(parents=True)
    old_docs.write_parquet(wh / "_stage" / "documents.parquet")
    quarantine_frame([{"table_name": "documents", "source_uri": "gone.txt", "record_key": None, "rule": "empty_file",
                       "detail": "gone.txt: 0 bytes", "payload": None}]).write_parquet(wh / "_stage" / "quarantine" / "documents__inputs.parquet")
    proc = run_cli("--quiet", "--input", str(inp), "--warehouse", str(wh))
    assert "documents=1" in proc.stdout and "quarantine=0" in proc.stdout
    assert not (wh / "_stage" / "documents.parquet").exists()
    con = duckdb.connect(str(wh / "newsevents.duckdb"), read_only=True)
    try:
        assert con.execute("select ingested_at from documents").fetchall() == [(datetime(2020, 1, 2),)]
    finally:
        con.close()
