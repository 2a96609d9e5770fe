"""`newsevents sql`: read-only SQL over the published database with the installed duckdb package (no DuckDB shell)."""
from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[2]


def _sql(wh: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines.orchestration.cli", "sql", "--warehouse", str(wh), *args],
                          capture_output=True, text=True, timeout=120)


def test_one_shot_csv_matches_duckdb(published):
    proc = _sql(published, "--csv", "-c", "SELECT doc_id, format FROM documents ORDER BY doc_id")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(io.StringIO(proc.stdout)))
    con = duckdb.connect(str(published / "newsevents.duckdb"), read_only=True)
    try:
        expected = con.execute("SELECT doc_id, format FROM documents ORDER BY doc_id").fetchall()
    finally:
        con.close()
    assert rows[0] == ["doc_id", "format"] and [tuple(r) for r in rows[1:]] == expected and len(expected) == 2


def test_one_shot_table_view_and_errors(published):
    proc = _sql(published, "-c", "SELECT count(*) AS n_mentions FROM v_events")
    assert proc.returncode == 0, proc.stderr
    assert "n_mentions" in proc.stdout and "┌" in proc.stdout
    # read-only: a write is refused with DuckDB's message, exit 1, and the database is unchanged
    bad = _sql(published, "-c", "DELETE FROM documents")
    assert bad.returncode == 1 and "read-only" in bad.stderr.lower()
    assert _sql(published, "--csv", "-c", "SELECT count(*) FROM documents").stdout.splitlines()[1] == "2"
    assert _sql(published.parent / "nowhere", "-c", "SELECT 1").returncode == 2


def test_repl_reads_statements_until_semicolon(published):
    proc = subprocess.run([sys.executable, "-m", "pipelines.orchestration.cli", "sql", "--warehouse", str(published), "--csv"],
                          input=".tables\nSELECT count(*)\n  AS n FROM documents;\nSELECT nope;\n.quit\n",
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "v_events,VIEW" in proc.stdout and "documents,BASE TABLE" in proc.stdout
    assert "n\n2\n" in proc.stdout
    assert "Error:" in proc.stderr  # a bad statement is reported, the session goes on to .quit
