"""An analyst's read-write DuckDB session on the published database cannot break the warehouse (issue 18, point 2).

A separate process opens newsevents.duckdb read-write (as `duckdb warehouse/newsevents.duckdb` would), creates a
table and keeps the session open while the pipeline publishes a new database; then the session dies without a
checkpoint, leaving its WAL behind. Readers and later publishes must keep working, and the analyst's table must not
leak into the published database.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

from pipelines.warehouse import Warehouse

HOLDER = r"""
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])           # read-write, like the duckdb CLI without -readonly
con.execute("SET wal_autocheckpoint = '1TB'")  # keep the changes in the WAL, as a long session does
con.execute("CREATE TABLE my_notes AS SELECT 42 AS x")
con.execute("INSERT INTO my_notes VALUES (43)")
print("ready", flush=True)
time.sleep(600)
"""


def _publish(wh: Warehouse, n: int) -> None:
    wh.publish({"documents": pl.DataFrame({"doc_id": [f"d{i}" for i in range(n)]})})


def _start_holder(db: Path) -> subprocess.Popen:
    os.chmod(db, 0o644)  # the publisher leaves it 0444; an analyst (or root) may still open it read-write
    p = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    return p


def test_readwrite_session_then_crash_leaves_a_readable_warehouse(tmp_path):
    wh = Warehouse(path=str(tmp_path / "wh"))
    _publish(wh, 3)
    assert oct(wh.db_path.stat().st_mode & 0o777) == "0o444"
    holder = _start_holder(wh.db_path)
    try:
        assert Path(f"{wh.db_path}.wal").exists()
        _publish(wh, 5)  # publishes while the analyst's session is open
        with wh.connect_readonly() as con:
            assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 5
            tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
            assert "my_notes" not in tables
    finally:
        holder.send_signal(signal.SIGKILL)  # the session dies without a checkpoint
        holder.wait()
    time.sleep(0.1)
    # a WAL may remain at the path: it belongs to the superseded file, and no reader or run may trip over it
    with wh.connect_readonly() as con:
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 5
    with wh.publish_lock():  # what a run does first, under the same lock as publishing
        wh.recover()
    _publish(wh, 7)
    with wh.connect_readonly() as con:
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 7
    assert not Path(f"{wh.db_path}.wal").exists()
    assert oct(wh.db_path.stat().st_mode & 0o777) == "0o444"
