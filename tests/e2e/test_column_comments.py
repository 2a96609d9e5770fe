"""Every table, view and column of the published database carries a COMMENT (from the Pandera schemas and the view
docs), so `SELECT ... FROM duckdb_columns() WHERE database_name = current_database()` is a complete catalogue."""
from __future__ import annotations

import duckdb

from schemas import PUBLIC_TABLES


def _catalogue(db):
    con = duckdb.connect(str(db), read_only=True)
    try:
        cols = con.execute("SELECT table_name, column_name, comment FROM duckdb_columns() "
                           "WHERE database_name = current_database() AND schema_name = 'main'").fetchall()
        rels = con.execute("SELECT table_name, comment FROM duckdb_tables() WHERE database_name = current_database() "
                           "UNION ALL SELECT view_name, comment FROM duckdb_views() WHERE database_name = current_database() "
                           "AND schema_name = 'main'").fetchall()
    finally:
        con.close()
    return cols, rels


def test_no_public_column_lacks_a_comment(published):
    cols, rels = _catalogue(published / "newsevents.duckdb")
    names = {t for t, _ in rels}
    assert set(PUBLIC_TABLES) <= names and {"v_events", "v_gdelt_events", "v_acled_events"} <= names
    assert [t for t, c in rels if not (c or "").strip()] == []
    missing = sorted(f"{t}.{c}" for t, c, comment in cols if not (comment or "").strip())
    assert missing == [], missing
    # a view column passed through from `events` carries that column's own description
    comments = {(t, c): comment for t, c, comment in cols}
    for col in ("event_type", "factuality", "evidence"):
        assert comments[("v_events", col)] == comments[("events", col)]
