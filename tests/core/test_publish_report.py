"""Report rendering (SVG charts written as text): the charts are well-formed SVG whose bars and cells carry the
counts, and the HTML page shows the linked events."""
from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import polars as pl

from pipelines.core.link import link_events
from pipelines.core.publish.report import actors_svg, render_report, timeline_svg
from tests.core.test_link import S003_EU, seed_case

NS = "{http://www.w3.org/2000/svg}"


def _svg(path_or_text) -> ET.Element:
    text = path_or_text if isinstance(path_or_text, str) else path_or_text.read_text(encoding="utf-8")
    root = ET.fromstring(text)  # raises on malformed XML
    assert root.tag == f"{NS}svg"
    return root


def _tips(root: ET.Element) -> dict[str, float]:
    """{tooltip text: rect height} of every shape that carries a tooltip."""
    return {r.find(f"{NS}title").text: float(r.get("height")) for r in root.iter(f"{NS}rect") if r.find(f"{NS}title") is not None}


def test_report_renders_svg_charts_and_html(tmp_path):
    ev, st = seed_case()
    events, clusters = link_events(ev, st)
    actors = pl.DataFrame({"actor_id": ["IGO:EU", "BLR:GOV"], "name": ["European Union", "Belarus government"]})
    out = render_report(events, clusters, tmp_path / "reports", stories=st, actors=actors)
    for key in ("timeline", "actors"):
        root = _svg(out[key])
        assert float(root.get("width")) >= 800 and float(root.get("height")) >= 400
        assert _tips(root), f"{key}: no bar or cell drawn"
    words = " ".join(t.text or "" for t in _svg(out["actors"]).iter(f"{NS}text"))
    assert "European Union" in words  # actor names label the grid
    page = out["html"].read_text(encoding="utf-8")
    assert 'src="timeline.svg"' in page and 'src="actors.svg"' in page
    assert "European Union" in page and "Belarus government" in page
    # the EU sanctions (2 stories) are the most reported event: first row of the table, with its evidence
    first_row = page.split("<tr><td>")[1]
    assert "SANCTION" in first_row and S003_EU[:60] in first_row
    assert out["dated_events"] == clusters.height - 1  # the undated, unpublished planned mention has no day


def _timeline_case() -> pl.DataFrame:
    d0 = dt.date(2024, 3, 1)
    rows = []
    for day, per_type in [(0, {"PROTEST": 3, "SANCTION": 1}), (1, {"PROTEST": 7, "SANCTION": 4}),
                          (2, {"PROTEST": 1, "SANCTION": 1, "COERCE": 2}), (5, {"SANCTION": 2, "COERCE": 1}),
                          (9, {"PROTEST": 2})]:
        for typ, n in per_type.items():
            rows += [{"day": d0 + dt.timedelta(days=day), "event_type": typ}] * n
    return pl.DataFrame(rows, schema={"day": pl.Date, "event_type": pl.Utf8})


def test_timeline_bars_are_proportional_stacked_and_only_non_empty():
    c = _timeline_case()
    svg, info = timeline_svg(c)
    tips = _tips(_svg(svg))
    counts = {f"{r['day']} {r['event_type']}": r["len"] for r in c.group_by("day", "event_type").len().iter_rows(named=True)}
    assert set(tips) == {f"{k}: {n}" for k, n in counts.items()}  # one segment per non-empty (day, type), no more
    unit = [h / int(k.rsplit(": ", 1)[1]) for k, h in tips.items()]
    assert max(unit) - min(unit) < 0.01  # every segment's height is its count times one scale (2-decimal pixels)
    assert info == {"dated_events": c.height, "undated_events": 0, "first_day": "2024-03-01",
                    "last_day": "2024-03-10", "per": "day"}
    # stacking: on the busiest day the segments sit on top of each other, the most frequent type at the bottom
    root = _svg(svg)
    day2 = sorted(((float(r.get("y")), r.find(f"{NS}title").text) for r in root.iter(f"{NS}rect")
                   if (r.find(f"{NS}title") is not None and r.find(f"{NS}title").text.startswith("2024-03-02"))), reverse=True)
    assert [t.split(" ")[1].rstrip(":") for _, t in day2] == ["PROTEST", "SANCTION"]
    legend = [t.text for t in root.iter(f"{NS}text") if t.text in {"PROTEST", "SANCTION", "COERCE"}]
    assert legend == ["PROTEST", "SANCTION", "COERCE"]  # by total: 13, 8, 3


def test_timeline_same_input_same_bytes_and_text_is_escaped():
    c = _timeline_case().with_columns(pl.lit("A<B & \"C\"").alias("event_type"))
    a, _ = timeline_svg(c)
    b, _ = timeline_svg(c)
    assert a == b
    _svg(a)  # still well-formed with markup characters in a label
    assert "A&lt;B &amp; &quot;C&quot;" in a


def test_actors_grid_counts_asserted_pairs_only():
    c = pl.DataFrame({
        "source_actor_id": ["A", "A", "A", "B", "A"], "source_country": [None] * 5,
        "target_actor_id": ["B", "B", "C", "A", "B"], "target_country": [None] * 5,
        "event_type": ["SANCTION"] * 5, "factuality": ["asserted"] * 4 + ["planned"]})
    svg, info = actors_svg(c, {"A": "Alpha", "B": "Beta", "C": "Gamma"})
    tips = _tips(_svg(svg))
    cells = {k.rsplit(": ", 1)[0]: int(k.rsplit(": ", 1)[1]) for k in tips if "→" in k}
    assert cells["Alpha → Beta"] == 2 and cells["Alpha → Gamma"] == 1 and cells["Beta → Alpha"] == 1
    assert info["pairs"] == 4 and info["top_sources"] == ["Alpha", "Beta"]
    fills = {k: r.get("fill") for r in _svg(svg).iter(f"{NS}rect") if (t := r.find(f"{NS}title")) is not None
             for k in [t.text]}
    assert fills["Alpha → Beta: 2"] == "#08306b"  # the highest count: darkest blue
    assert re.fullmatch(r"#[0-9a-f]{6}", fills["Beta → Beta: 0"])


def test_report_on_empty_frames(tmp_path):
    ev, st = seed_case()
    events, clusters = link_events(ev.head(0), st)
    out = render_report(events, clusters, tmp_path)
    assert "no dated events" in out["timeline"].read_text(encoding="utf-8")
    _svg(out["timeline"])
    assert out["n_clusters"] == 0 and "no dated events" not in out["html"].read_text()  # text is in the chart, not the page


def test_report_reuse_skips_only_identical_inputs_and_untouched_files(tmp_path, monkeypatch):
    ev, st = seed_case()
    events, clusters = link_events(ev, st)
    actors = pl.DataFrame({"actor_id": ["IGO:EU", "BLR:GOV"], "name": ["European Union", "Belarus government"]})
    out_dir = tmp_path / "reports"
    first = render_report(events, clusters, out_dir, stories=st, actors=actors, reuse=True)
    assert first["reused"] is False
    again = render_report(events, clusters, out_dir, stories=st, actors=actors, reuse=True)
    assert again["reused"] is True
    assert {k: v for k, v in again.items() if k != "reused"} == {k: v for k, v in first.items() if k != "reused"}
    # a changed input (one actor's name) renders again, and the page shows the new name
    renamed = actors.with_columns(pl.when(pl.col("actor_id") == "IGO:EU").then(pl.lit("The Union"))
                                  .otherwise(pl.col("name")).alias("name"))
    changed = render_report(events, clusters, out_dir, stories=st, actors=renamed, reuse=True)
    assert changed["reused"] is False and "The Union" in changed["html"].read_text(encoding="utf-8")
    # one event fewer renders again
    assert render_report(events.head(events.height - 1), clusters, out_dir, stories=st, actors=renamed, reuse=True)["reused"] is False
    render_report(events, clusters, out_dir, stories=st, actors=renamed, reuse=True)
    # a file changed or removed on disk renders again (and restores it)
    (out_dir / "index.html").write_text("edited", encoding="utf-8")
    fixed = render_report(events, clusters, out_dir, stories=st, actors=renamed, reuse=True)
    assert fixed["reused"] is False and "The Union" in (out_dir / "index.html").read_text(encoding="utf-8")
    (out_dir / "timeline.svg").unlink()
    assert render_report(events, clusters, out_dir, stories=st, actors=renamed, reuse=True)["reused"] is False
    _svg(out_dir / "timeline.svg")
    # a different code version renders again
    import pipelines.core.cache as cache

    assert render_report(events, clusters, out_dir, stories=st, actors=renamed, reuse=True)["reused"] is True
    monkeypatch.setattr(cache, "code_version", lambda: "another-code-version")
    assert render_report(events, clusters, out_dir, stories=st, actors=renamed, reuse=True)["reused"] is False
    # without reuse it always renders
    assert render_report(events, clusters, out_dir, stories=st, actors=renamed)["reused"] is False


def test_week_precision_event_is_drawn_as_a_week_not_a_day():
    """_cluster_days carries the date's precision; on a per-day axis a week-precision event is one span 7 days wide
    (not a bar on its first day), a day-precision event a bar one day wide."""
    from pipelines.core.publish.report import _cluster_days

    d0 = dt.date(2024, 3, 1)
    clusters = pl.DataFrame({"event_cluster_id": ["a", "b", "c"], "event_type": ["PROTEST", "PROTEST", "SANCTION"],
                             "event_date": [d0, d0 + dt.timedelta(days=3), d0 + dt.timedelta(days=9)],
                             "date_precision": ["day", "week", "day"], "n_stories": [1, 1, 1]})
    c = _cluster_days(pl.DataFrame(), clusters, None)
    assert c.filter(pl.col("event_cluster_id") == "b")["day_end"].to_list() == [d0 + dt.timedelta(days=9)]
    svg, info = timeline_svg(c)
    assert info["span_events"] == 1 and info["dated_events"] == 3
    rects = {r.find(f"{NS}title").text: float(r.get("width")) for r in _svg(svg).iter(f"{NS}rect")
             if r.find(f"{NS}title") is not None}
    week = next(w for t, w in rects.items() if "(week)" in t)
    day = rects[f"{d0} PROTEST: 1"]
    assert f"{d0 + dt.timedelta(days=3)}..{d0 + dt.timedelta(days=9)} PROTEST (week)" in rects
    assert 6 * day < week < 8.5 * day  # seven days wide (bars are 0.85 of a day)
    assert not any(t.startswith(f"{d0 + dt.timedelta(days=3)} ") for t in rects)  # not counted as a day's bar
