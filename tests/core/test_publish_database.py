"""build_duckdb: DuckDB's memory is capped while loading (NEWSEVENTS_DUCKDB_MEMORY_LIMIT), tables unchanged."""
from __future__ import annotations

import duckdb
import polars as pl
import pytest

from pipelines.core.publish.database import DEFAULT_MEMORY_LIMIT, build_duckdb, memory_limit


def _tables(tmp_path):
    df = pl.DataFrame({"k": list(range(5000)), "s": [f"row {i}" * 3 for i in range(5000)]})
    path = tmp_path / "t.parquet"
    df.write_parquet(path, row_group_size=500)
    return df, {"from_parquet": path, "from_frame": df}


def test_memory_limit_setting(monkeypatch):
    monkeypatch.delenv("NEWSEVENTS_DUCKDB_MEMORY_LIMIT", raising=False)
    assert memory_limit() == DEFAULT_MEMORY_LIMIT
    monkeypatch.setenv("NEWSEVENTS_DUCKDB_MEMORY_LIMIT", " 1GB ")
    assert memory_limit() == "1GB"
    monkeypatch.setenv("NEWSEVENTS_DUCKDB_MEMORY_LIMIT", "")
    assert memory_limit() is None  # DuckDB's own default


@pytest.mark.parametrize("limit", [None, "", "64MB"])
def test_tables_are_the_same_under_any_limit(tmp_path, monkeypatch, limit):
    if limit is None:
        monkeypatch.delenv("NEWSEVENTS_DUCKDB_MEMORY_LIMIT", raising=False)
    else:
        monkeypatch.setenv("NEWSEVENTS_DUCKDB_MEMORY_LIMIT", limit)
    df, tables = _tables(tmp_path)
    db = tmp_path / "x.duckdb"
    build_duckdb(db, tables, comments=[], views=[])
    con = duckdb.connect(str(db), read_only=True)
    try:
        for name in tables:
            assert con.execute(f'SELECT * FROM "{name}"').fetchall() == df.rows()  # same rows, same order
    finally:
        con.close()


def test_the_limit_is_applied(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSEVENTS_DUCKDB_MEMORY_LIMIT", "not-a-size")
    _, tables = _tables(tmp_path)
    with pytest.raises(duckdb.Error):
        build_duckdb(tmp_path / "x.duckdb", tables, comments=[], views=[])
