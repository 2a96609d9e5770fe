"""Analyst views and COMMENT ON statements on a small DuckDB holding the CONTRACT tables (built here)."""
from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest

from pipelines.core.link import link_events
from pipelines.core.publish.views import VIEW_DOCS, comment_statements, view_statements
from tests.core.test_link import S000_EU, S003_EU, S003_UKR, seed_case

CONTRACT_TABLES = {
    "documents": "doc_id VARCHAR, source_uri VARCHAR, format VARCHAR, sha256 VARCHAR, n_bytes BIGINT, raw_text VARCHAR, "
                 "title VARCHAR, url VARCHAR, published_at TIMESTAMP, ingested_at TIMESTAMP",
    "quarantine": "table_name VARCHAR, source_uri VARCHAR, record_key VARCHAR, rule VARCHAR, detail VARCHAR, payload VARCHAR",
    "removed_spans": "doc_id VARCHAR, char_start BIGINT, char_end BIGINT, rule VARCHAR, text VARCHAR",
    "stories": "story_id VARCHAR, doc_id VARCHAR, story_index INTEGER, title VARCHAR, outlet VARCHAR, dateline VARCHAR, "
               "published_date DATE, published_date_source VARCHAR, raw_start BIGINT, raw_end BIGINT, text VARCHAR, "
               "n_words INTEGER, cluster_id VARCHAR, is_canonical BOOLEAN",
    "story_duplicates": "story_id VARCHAR, duplicate_of VARCHAR, relation VARCHAR, similarity DOUBLE",
    "actors": "actor_id VARCHAR, name VARCHAR, country VARCHAR, sector VARCHAR, aliases VARCHAR[]",
}
EVENT_COLS = ("event_id, story_id, sentence_index, char_start, char_end, evidence, trigger, event_type, event_mode, "
              "cameo_root, factuality, source_actor, source_actor_id, source_country, source_sector, target_actor, "
              "target_actor_id, target_country, target_sector, event_date, date_precision, date_text, location_name, "
              "location_country, latitude, longitude, quantity, quantity_kind, quantity_text, confidence, extractor, "
              "event_cluster_id")
CLUSTER_COLS = ("event_cluster_id, event_type, source_country, target_country, event_date, n_mentions, n_stories, "
                "n_outlets, representative_event_id")


def build_db(con):
    ev, st = seed_case()
    events, clusters = link_events(ev, st)
    for t, cols in CONTRACT_TABLES.items():
        con.execute(f"CREATE TABLE {t} ({cols})")
    now = dt.datetime(2026, 11, 23, 12, 0, 0)
    for sid, doc, uri, outlet, pub in [("st_000", "doc_st_000", "000_8d64354295afe699.txt", "The Straits Times", dt.date(2020, 10, 3)),
                                       ("st_003", "doc_st_003", "003_7a3ba53eed8ab323.txt", "Kyiv Post", None)]:
        con.execute("INSERT INTO documents VALUES (?, ?, 'txt', 'x', 1, 'raw', NULL, NULL, NULL, ?)", [doc, uri, now])
        con.execute("INSERT INTO stories VALUES (?, ?, 1, ?, ?, NULL, ?, 'explicit', 0, 1, 'text', 10, ?, true)",
                    [sid, doc, f"title of {sid}", outlet, pub, sid])
    con.execute("INSERT INTO actors VALUES ('IGO:EU', 'European Union', NULL, 'IGO', ['EU']), "
                "('BLR:GOV', 'Belarus government', 'BLR', 'GOV', []), ('UKR:GOV', 'Ukraine government', 'UKR', 'GOV', [])")
    events = events.with_columns(pl.when(pl.col("quantity").is_not_null()).then(pl.lit("40")).alias("quantity_text"))
    con.register("ev_src", events.to_arrow())
    con.execute(f"CREATE TABLE events AS SELECT {EVENT_COLS} FROM ev_src")
    con.register("cl_src", clusters.to_arrow())
    con.execute(f"CREATE TABLE event_clusters AS SELECT {CLUSTER_COLS} FROM cl_src")  # CONTRACT columns only
    con.unregister("ev_src")
    con.unregister("cl_src")
    for sql in view_statements():
        con.execute(sql)
    return events, clusters


@pytest.fixture()
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "t.duckdb"))
    yield c
    c.close()


def test_views_exist_and_are_commented(con):
    build_db(con)
    views = dict(con.execute("SELECT view_name, comment FROM duckdb_views() WHERE NOT internal").fetchall())
    assert set(VIEW_DOCS) <= set(views)
    for name, doc in VIEW_DOCS.items():
        assert views[name] == doc
    cols = con.execute("SELECT table_name, column_name, comment FROM duckdb_columns() WHERE table_name LIKE 'v\\_%' ESCAPE '\\'").fetchall()
    missing = [(t, c) for t, c, doc in cols if doc is None and t != "v_events"]
    assert cols and missing == []  # every column of the derived views is explained
    ev = {c: doc for t, c, doc in cols if t == "v_events"}
    assert ev["event_day"].startswith("Event date") and ev["cluster_outlets"]


def test_v_events_joins_story_and_actor_names(con):
    events, _ = build_db(con)
    rows = con.execute("SELECT evidence, story_title, outlet, source_name, target_name, cluster_stories, source_uri "
                       "FROM v_events WHERE evidence = ?", [S003_EU]).fetchall()
    assert rows == [(S003_EU, "title of st_003", "Kyiv Post", "European Union", "Belarus government", 2,
                     "003_7a3ba53eed8ab323.txt")]
    assert con.execute("SELECT count(*) FROM v_events").fetchone()[0] == events.height


def test_v_sanctions_eu_row(con):
    build_db(con)
    rows = con.execute("SELECT sanctioning, sanctioned, target_country, measure, n_targets, status, n_stories, "
                       "n_outlets, event_day FROM v_sanctions WHERE source_actor_id = 'IGO:EU'").fetchall()
    assert rows == [("European Union", "Belarus government", "BLR", "travel ban, asset freeze", 40, "imposed", 2, 2,
                     dt.date(2020, 10, 2))]
    planned = con.execute("SELECT sanctioning, status FROM v_sanctions WHERE representative_evidence = ?",
                          [S003_UKR]).fetchall()
    assert planned == [("Ukraine government", "planned")]


def test_v_event_timeline_counts_clusters_not_mentions(con):
    _, clusters = build_db(con)
    rows = con.execute("SELECT day, event_type, n_events, n_mentions, n_stories FROM v_event_timeline "
                       "WHERE event_type = 'SANCTION' AND day = DATE '2020-10-02'").fetchall()
    # EU sanctions (2 mentions, 2 stories) + Belarus counter-sanctions (1)
    assert rows == [(dt.date(2020, 10, 2), "SANCTION", 2, 3, 3)]
    total = con.execute("SELECT sum(n_events) FROM v_event_timeline").fetchone()[0]
    # every cluster with a day (event date, else publication date) is counted once; the undated planned one is not
    dated = clusters.filter(pl.col("event_date").is_not_null() | pl.col("first_reported").is_not_null())
    assert total == dated.height == clusters.height - 1


def test_gdelt_and_acled_shapes(con):
    build_db(con)
    g = con.execute("SELECT GLOBALEVENTID, SQLDATE, Actor1Code, Actor1Name, Actor2CountryCode, EventRootCode, QuadClass, "
                    "NumMentions, NumArticles, NumSources, SOURCEURL FROM v_gdelt_events WHERE Actor1Code = 'IGO:EU' "
                    "AND PloverType = 'SANCTION'").fetchall()
    assert len(g) == 1
    assert g[0][1:] == (20201002, "IGO:EU", "European Union", "BLR", "16", 4, 2, 2, 2, "003_7a3ba53eed8ab323.txt")
    n_clusters = con.execute("SELECT count(*) FROM event_clusters").fetchone()[0]
    assert con.execute("SELECT count(*) FROM v_gdelt_events").fetchone()[0] == n_clusters
    a = con.execute("SELECT event_type, sub_event_type, actor1, country, fatalities, time_precision FROM v_acled_events "
                    "WHERE actor1 = 'European Union'").fetchall()
    assert a == [("Strategic developments", "Other", "European Union", "BLR", 0, 1)]
    # planned sanctions are not ACLED events
    assert con.execute("SELECT count(*) FROM v_acled_events WHERE actor1 = 'Ukraine government'").fetchone()[0] == 0


def test_comment_statements_from_models(con):
    import pandera.polars as pa

    class Demo(pa.DataFrameModel):
        """Demo table: it's a test."""
        doc_id: str = pa.Field(description="The document's id.")
        n_bytes: int = pa.Field(description="Size in bytes.")
        missing: str = pa.Field(nullable=True, description="Not in the table.")
        nodesc: str = pa.Field(nullable=True)

    con.execute("CREATE TABLE demo (doc_id VARCHAR, n_bytes BIGINT, nodesc VARCHAR)")
    stmts = comment_statements({"demo": Demo}, columns={"demo": ["doc_id", "n_bytes", "nodesc"]})
    assert len(stmts) == 3
    for s in stmts:
        con.execute(s)
    assert con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'demo'").fetchone()[0] == "Demo table: it's a test."
    cols = dict(con.execute("SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'demo'").fetchall())
    assert cols == {"doc_id": "The document's id.", "n_bytes": "Size in bytes.", "nodesc": None}
    # without the column filter the statement for the absent column is produced (and would fail)
    assert any('"missing"' in s for s in comment_statements({"demo": Demo}))


def test_comment_statements_on_real_schemas(con):
    """Every available project schema produces comments that apply to a table with its columns."""
    import schemas

    build_db(con)
    models = schemas.all_models()
    assert "event_clusters" in models
    cols = {t: [r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [t]).fetchall()]
            for t in models}
    for s in comment_statements(models, columns=cols):
        con.execute(s)
    c = con.execute("SELECT comment FROM duckdb_columns() WHERE table_name = 'event_clusters' AND column_name = 'n_outlets'").fetchone()[0]
    assert "outlet" in c


def test_v_event_timeline_shows_precision_and_window(con):
    """A week-precision event is a week in the view (day..day_end), a month a month; a day stays a day."""
    build_db(con)
    con.execute("UPDATE events SET date_precision = 'week' WHERE event_cluster_id = "
                "(SELECT event_cluster_id FROM event_clusters WHERE event_date IS NOT NULL ORDER BY event_cluster_id "
                "LIMIT 1)")
    rows = con.execute("SELECT day, day_end, date_precision FROM v_event_timeline").fetchall()
    precs = {p for _d, _e, p in rows}
    assert "week" in precs and precs <= {"day", "week", "before", "month", "year", "publication"}
    for day, end, p in rows:
        width = (end - day).days
        assert {"week": width == 6, "month": 27 <= width <= 30, "year": width >= 364}.get(p, width == 0)
    # splitting by precision counts every cluster with a day exactly once
    total = con.execute("SELECT sum(n_events) FROM v_event_timeline").fetchone()[0]
    assert total == con.execute("SELECT count(*) FROM event_clusters c WHERE c.event_date IS NOT NULL OR EXISTS ("
                                "SELECT 1 FROM events e JOIN stories s USING (story_id) WHERE e.event_cluster_id = "
                                "c.event_cluster_id AND s.published_date IS NOT NULL)").fetchone()[0]
