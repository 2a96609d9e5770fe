"""Report rendering (matplotlib Agg): the PNGs are valid images and the HTML page shows the linked events."""
from __future__ import annotations

import matplotlib.image as mpimg
import polars as pl

from pipelines.core.link import link_events
from pipelines.core.publish.report import render_report
from tests.core.test_link import S003_EU, seed_case

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_report_renders_valid_pngs_and_html(tmp_path):
    ev, st = seed_case()
    events, clusters = link_events(ev, st)
    actors = pl.DataFrame({"actor_id": ["IGO:EU", "BLR:GOV"], "name": ["European Union", "Belarus government"]})
    out = render_report(events, clusters, tmp_path / "reports", stories=st, actors=actors)
    for key in ("timeline", "actors"):
        data = out[key].read_bytes()
        assert data[:8] == PNG_MAGIC
        img = mpimg.imread(out[key])
        assert img.shape[0] > 200 and img.shape[1] > 400
        assert img[..., :3].std() > 0.01  # not a blank canvas
    page = out["html"].read_text(encoding="utf-8")
    assert 'src="timeline.png"' in page and 'src="actors.png"' in page
    assert "European Union" in page and "Belarus government" in page
    # the EU sanctions (2 stories) are the most reported event: first row of the table, with its evidence
    first_row = page.split("<tr><td>")[1]
    assert "SANCTION" in first_row and S003_EU[:60] in first_row
    assert out["dated_events"] == clusters.height - 1  # the undated, unpublished planned mention has no day


def test_report_on_empty_frames(tmp_path):
    ev, st = seed_case()
    events, clusters = link_events(ev.head(0), st)
    out = render_report(events, clusters, tmp_path)
    assert out["timeline"].read_bytes()[:8] == PNG_MAGIC
    assert out["n_clusters"] == 0 and "no dated events" not in out["html"].read_text()  # text is in the PNG, not the page


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
    (out_dir / "timeline.png").unlink()
    assert render_report(events, clusters, out_dir, stories=st, actors=renamed, reuse=True)["reused"] is False
    assert (out_dir / "timeline.png").read_bytes()[:8] == PNG_MAGIC
    # a different code version renders again
    import pipelines.core.cache as cache

    assert render_report(events, clusters, out_dir, stories=st, actors=renamed, reuse=True)["reused"] is True
    monkeypatch.setattr(cache, "code_version", lambda: "another-code-version")
    assert render_report(events, clusters, out_dir, stories=st, actors=renamed, reuse=True)["reused"] is False
    # without reuse it always renders
    assert render_report(events, clusters, out_dir, stories=st, actors=renamed)["reused"] is False


def _timeline_drawing_every_segment(c: pl.DataFrame, path) -> None:
    """The timeline as drawn before zero-height segments were skipped (one bar per type and day, zeros included)."""
    import datetime as dt

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    dated = c.filter(pl.col("day").is_not_null())
    fig, ax = plt.subplots(figsize=(11, 4.8), dpi=110)
    counts = dated.group_by(pl.col("day").alias("bucket"), "event_type").len().sort("bucket")
    types = counts.group_by("event_type").agg(pl.col("len").sum()).sort(["len", "event_type"], descending=[True, False])["event_type"].to_list()
    buckets = sorted(set(counts["bucket"].to_list()))
    cmap = plt.get_cmap("tab20")
    bottom = [0] * len(buckets)
    idx = {b: i for i, b in enumerate(buckets)}
    for k, t in enumerate(types):
        vals = [0] * len(buckets)
        for b, n in counts.filter(pl.col("event_type") == t).select("bucket", "len").iter_rows():
            vals[idx[b]] = n
        ax.bar(buckets, vals, bottom=bottom, width=0.85, label=t, color=cmap(k % 20))
        bottom = [x + y for x, y in zip(bottom, vals)]
    ax.set_ylabel("events (linked clusters) per day")
    ax.legend(ncol=2, fontsize=8, loc="upper left", frameon=False, bbox_to_anchor=(1.0, 1.0))
    span = (dated["day"].max() - dated["day"].min()).days
    if span <= 14:
        ax.xaxis.set_major_locator(mdates.DayLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(min(buckets) - dt.timedelta(days=1), max(buckets) + dt.timedelta(days=1))
    fig.autofmt_xdate()
    ax.set_title(f"Events timeline — {dated.height} dated real-world events")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def test_timeline_skipping_empty_segments_draws_the_same_png(tmp_path):
    """Skipping zero-height segments must not change a pixel: in particular the y range, which depends on the
    sticky edges the skipped bars would have set (here the rarest type is absent on the busiest day, so a
    skipped bar sits exactly on top of the tallest stack)."""
    import datetime as dt

    from pipelines.core.publish.report import render_timeline

    d0 = dt.date(2024, 3, 1)
    rows = []
    for day, per_type in [(0, {"PROTEST": 3, "SANCTION": 1}), (1, {"PROTEST": 7, "SANCTION": 4}),
                          (2, {"PROTEST": 1, "SANCTION": 1, "COERCE": 2}), (5, {"SANCTION": 2, "COERCE": 1}),
                          (9, {"PROTEST": 2})]:
        for typ, n in per_type.items():
            rows += [{"day": d0 + dt.timedelta(days=day), "event_type": typ}] * n
    c = pl.DataFrame(rows, schema={"day": pl.Date, "event_type": pl.Utf8})
    render_timeline(c, tmp_path / "fast.png")
    _timeline_drawing_every_segment(c, tmp_path / "reference.png")
    assert (tmp_path / "fast.png").read_bytes() == (tmp_path / "reference.png").read_bytes()
