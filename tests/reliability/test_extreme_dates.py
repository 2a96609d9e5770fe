"""Extreme dates (year 1, year 9999, impossible strings) pass through every stage without raising: ingest turns
out-of-range metadata dates into null + a `date_out_of_range` quarantine row, and link and report treat any
out-of-range date that reaches them as no date (the unguarded timedelta arithmetic raised OverflowError)."""
from __future__ import annotations

import datetime as dt
import json
from datetime import datetime

import polars as pl
from hypothesis import HealthCheck, given, settings, strategies as st

from pipelines.core.dates_safe import in_range
from pipelines.core.ingest.frame import ingest_frames
from pipelines.core.ingest.readers import parse_timestamp, scan_folder
from pipelines.core.link import link_events
from pipelines.core.publish.report import render_report
from tests.core.test_link import seed_case

EXTREMES = [dt.date(1, 1, 1), dt.date(1, 1, 2), dt.date(1899, 12, 31), dt.date(2101, 1, 1), dt.date(9999, 12, 30),
            dt.date(9999, 12, 31)]
any_date = st.one_of(st.sampled_from(EXTREMES), st.dates(), st.none())


def test_out_of_range_metadata_dates_become_null_with_a_quarantine_row(tmp_path):
    text = "Protesters marched in Minsk on Sunday, and police detained 40 people, a rights group said."
    recs = {"far.json": {"maintext": text, "date_publish": "9999-12-31 23:59:59"},
            "early.json": {"maintext": text + " Again.", "date_publish": "0001-01-01 00:00:00"},
            "shifted.json": {"maintext": text + " Later.", "date_publish": "0001-01-01T00:00:00+05:00"},
            "fine.json": {"maintext": text + " Fine.", "date_publish": "2020-10-04 10:00:00"}}
    for name, rec in recs.items():
        (tmp_path / name).write_text(json.dumps(rec))
    (tmp_path / "lines.jsonl").write_text(json.dumps({"text": text + " Line.", "published": "9999-12-31"}) + "\n")
    docs, q = ingest_frames(scan_folder(tmp_path), now=datetime(2026, 1, 1))
    assert docs.height == 5  # every record is kept
    pub = dict(zip(docs["source_uri"], docs["published_at"]))
    assert pub["fine.json"] == datetime(2020, 10, 4, 10)
    assert all(pub[u] is None for u in ("far.json", "early.json", "shifted.json", "lines.jsonl#1"))
    flagged = q.filter(pl.col("rule") == "date_out_of_range")
    assert sorted(flagged["source_uri"]) == ["early.json", "far.json", "lines.jsonl#1", "shifted.json"]
    assert q.height == flagged.height  # nothing else quarantined
    assert all("9999" in d or "0001" in d for d in flagged["detail"])


@given(st.text(max_size=40))
def test_parse_timestamp_never_raises_and_stays_in_range(s):
    ts = parse_timestamp(s)
    assert ts is None or in_range(ts.date())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ev_dates=st.lists(any_date, min_size=6, max_size=6), pub_dates=st.lists(any_date, min_size=2, max_size=2))
def test_link_and_report_survive_any_dates(tmp_path, ev_dates, pub_dates):
    ev, stories = seed_case()
    ev = ev.with_columns(pl.Series("event_date", ev_dates[:ev.height], dtype=pl.Date))
    stories = stories.with_columns(pl.Series("published_date", pub_dates[:stories.height], dtype=pl.Date))
    events, clusters = link_events(ev, stories)
    assert events.height == ev.height
    out = render_report(events, clusters, tmp_path / "r", stories=stories)
    assert out["n_mentions"] == ev.height and out["html"].exists()
