"""Static report: an events timeline SVG, a who-acts-on-whom SVG and an HTML page (no dagster, no plotting library:
the charts are written as SVG text by pipelines/core/publish/svg.py, a few ms each, byte-identical for equal inputs).

`render_report(events, event_clusters, out_dir, stories=None, actors=None)` writes
  timeline.svg   real-world events (clusters) per day (per week, month or year as the span grows), stacked by type
  actors.svg     who acts on whom: clusters per (source, target) pair for the most active actors
  index.html     both images, headline numbers and the most-reported events with their evidence
and returns {"timeline": path, "actors": path, "html": path, ...summary numbers}.

With `reuse=True` the three files are not rendered again when they were written for the same inputs: a stamp
(`.report_stamp.json` in out_dir) holds the sha256 of the inputs (the columns the report reads, in row order),
the code version (pipelines/core, rules, schemas), the polars version, the sha256 of the three files
written and the summary numbers. Any change to one of these, or to a file on disk, renders again. A reused page
keeps its "generated" time (the time it was rendered for these inputs).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import json
import math
from pathlib import Path
from typing import Any

import polars as pl

from pipelines.core.dates_safe import MAX_YEAR, MIN_YEAR
from pipelines.core.publish.svg import TAB20, Canvas, blues, integer_ticks

STAMP = ".report_stamp.json"

MAX_DAYS_DAILY = 120
# the timeline's bar per day up to MAX_DAYS_DAILY of span, then per week, month or year (bars stay visible)
BUCKETS = [("day", MAX_DAYS_DAILY), ("week", 3 * 366), ("month", 30 * 366), ("year", 10**9)]
BUCKET_EVERY = {"week": "1w", "month": "1mo", "year": "1y"}
BUCKET_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}
TOP_ACTORS = 12
TOP_EVENTS = 25


def _cluster_days(events: pl.DataFrame, clusters: pl.DataFrame, stories: pl.DataFrame | None) -> pl.DataFrame:
    """clusters + `day` = event_date, else the earliest publication date of its stories."""
    c = clusters
    if "first_reported" not in c.columns:
        if stories is not None and "published_date" in stories.columns and events.height:
            pub = (events.select("event_cluster_id", "story_id")
                   .join(stories.select("story_id", "published_date"), on="story_id", how="left")
                   .group_by("event_cluster_id").agg(pl.col("published_date").min().alias("first_reported")))
            c = c.join(pub, on="event_cluster_id", how="left")
        else:
            c = c.with_columns(pl.lit(None, dtype=pl.Date).alias("first_reported"))
    day = pl.coalesce("event_date", "first_reported")
    # a day outside dates_safe's window (1900..2100: metadata or parser errors) is not plotted (undated): the
    # timeline's date arithmetic (bucket edges, ticks) would overflow at year 1 or 9999
    lo, hi = dt.date(MIN_YEAR, 1, 1), dt.date(MAX_YEAR, 12, 31)
    c = c.with_columns(pl.when(day.is_between(lo, hi)).then(day).otherwise(None).alias("day"))
    # the date's precision: a week-precision event covers day..day+6 (drawn as a week, not as a day)
    prec = pl.col("date_precision") if "date_precision" in c.columns else pl.lit("day")
    prec = pl.when(pl.col("event_date").is_null()).then(pl.lit("publication")).otherwise(prec.fill_null("day"))
    c = c.with_columns(prec.alias("day_precision"))
    end = (pl.when(pl.col("day_precision") == "week").then(pl.col("day") + pl.duration(days=6))
           .when(pl.col("day_precision") == "month").then(pl.col("day").dt.month_end())
           .when(pl.col("day_precision") == "year").then(pl.date(pl.col("day").dt.year(), 12, 31))
           .otherwise(pl.col("day")))
    return c.with_columns(end.alias("day_end"))


def _label_for(actor_ids: list[str | None], countries: list[str | None], names: dict[str, str]) -> list[str]:
    out = []
    for a, c in zip(actor_ids, countries):
        if a is not None:
            out.append(names.get(a, a))
        elif c is not None:
            out.append(c)
        else:
            out.append("(unknown)")
    return out


def _timeline_window(dated: pl.DataFrame) -> tuple[pl.DataFrame, int | None]:
    """Background references ("in 2016") stretch the axis: when most events fall in a short period, keep that
    period (day by day) and count the events outside it."""
    days = dated["day"].sort()
    mid = days[len(days) // 2]
    half = dt.timedelta(days=MAX_DAYS_DAILY // 2)
    lo, hi = mid - half, mid + half
    near = dated.filter(pl.col("day").is_between(lo, hi)).height
    if (days[-1] - days[0]).days > MAX_DAYS_DAILY and near >= 0.75 * dated.height:
        outside = dated.filter((pl.col("day") < lo) | (pl.col("day") > hi)).height
        return dated.filter(pl.col("day").is_between(lo, hi)), outside
    return dated, None


def _span_lanes(spans: pl.DataFrame) -> list[int]:
    """Greedy lanes for the spans (sorted by day): each goes into the first lane free before its day."""
    ends: list[dt.date] = []
    out = []
    for a, b in spans.select("day", "day_end").iter_rows():
        k = next((i for i, e in enumerate(ends) if e < a), len(ends))
        if k == len(ends):
            ends.append(b)
        else:
            ends[k] = b
        out.append(k)
    return out


def _date_ticks(first: dt.date, last: dt.date, unit: int, max_ticks: int = 12) -> list[dt.date]:
    span = (last - first).days
    step = unit * max(1, math.ceil(span / unit / max_ticks))
    return [first + dt.timedelta(days=k) for k in range(0, span + 1, step)]


def timeline_svg(c: pl.DataFrame) -> tuple[str, dict[str, Any]]:
    """Stacked bars: real-world events (clusters with a `day`) per day - per week, month or year as the span grows
    (BUCKETS) - by event type, the most frequent type at the bottom. Returns (SVG text, info)."""
    W, H, left, right, top, bottom = 1100, 480, 64, 250, 44, 86
    dated = c.filter(pl.col("day").is_not_null())
    info: dict[str, Any] = {"dated_events": dated.height, "undated_events": c.height - dated.height}
    cv = Canvas(W, H)
    pw, ph = W - left - right, H - top - bottom
    if dated.height:
        dated, outside = _timeline_window(dated)
        if outside is not None:
            info["outside_window"] = outside
        span = (dated["day"].max() - dated["day"].min()).days
        per = next(p for p, most in BUCKETS if span <= most)
        unit = BUCKET_DAYS[per]
        bucket = (pl.col("day").dt.truncate(BUCKET_EVERY[per]) if per != "day" else pl.col("day")).alias("bucket")
        # events whose date is wider than a bar (a week-precision event on a per-day axis) are drawn as spans
        # over their window above the bars, not counted on one day
        if "day_end" not in dated.columns:
            dated = dated.with_columns(pl.col("day").alias("day_end"), pl.lit("day").alias("day_precision"))
        wide = (pl.col("day_end") - pl.col("day")).dt.total_days() + 1 > unit
        spans = dated.filter(wide).sort("day", "day_end", "event_type")
        point = dated.filter(~wide)
        if spans.height:
            info["span_events"] = spans.height
        counts = point.group_by(bucket, "event_type").len().sort("bucket")
        if counts.height == 0:  # only spans: an empty bar grid around them
            counts = spans.group_by(bucket, "event_type").len().with_columns(pl.lit(0, pl.UInt32).alias("len"))
        types = counts.group_by("event_type").agg(pl.col("len").sum()).sort(
            ["len", "event_type"], descending=[True, False])["event_type"].to_list()
        types = list(dict.fromkeys(types + spans["event_type"].unique().sort().to_list()))
        buckets = sorted(set(counts["bucket"].to_list()))
        totals = dict(counts.group_by("bucket").agg(pl.col("len").sum()).iter_rows())
        x0, x1 = buckets[0] - dt.timedelta(days=unit), buckets[-1] + dt.timedelta(days=unit)
        if spans.height:
            x0 = min(x0, spans["day"].min() - dt.timedelta(days=unit))
            x1 = max(x1, spans["day_end"].max() + dt.timedelta(days=unit))
        px_day = pw / max(1, (x1 - x0).days)
        lanes = _span_lanes(spans)
        band = min(ph * 0.4, 8 * (max(lanes, default=-1) + 1))  # the spans' band at the top of the plot
        ticks = integer_ticks(max(1, max(totals.values())))
        px_n = (ph - band) / ticks[-1]

        def x_of(d: dt.date) -> float:
            return left + (d - x0).days * px_day

        for t in ticks:  # grid and y labels
            y = top + ph - t * px_n
            cv.line(left, y, left + pw, y, stroke="#b0b0b0", opacity=0.5)
            cv.text(left - 6, y + 4, str(t), anchor="end", size=10)
        bar_w = max(1.5, px_day * unit * 0.85)  # never thinner than a visible line
        color = {t: TAB20[k % len(TAB20)] for k, t in enumerate(types)}
        n_of = {(b, t): n for b, t, n in counts.select("bucket", "event_type", "len").iter_rows()}
        for b in buckets:
            stacked = 0
            for t in types:  # only the non-empty segments are drawn
                n = n_of.get((b, t), 0)
                if not n:
                    continue
                y = top + ph - (stacked + n) * px_n
                cv.rect(x_of(b) - bar_w / 2, y, bar_w, n * px_n, color[t], tip=f"{b} {t}: {n}")
                stacked += n
        lane_h = band / (max(lanes, default=-1) + 1) if lanes else 0
        for lane, r in zip(lanes, spans.iter_rows(named=True)):
            xa, xb = x_of(r["day"]) - bar_w / 2, x_of(r["day_end"]) + bar_w / 2
            cv.rect(xa, top + lane * lane_h + 1, max(1.5, xb - xa), max(1.0, lane_h - 2), color[r["event_type"]],
                    tip=f"{r['day']}..{r['day_end']} {r['event_type']} ({r['day_precision']})")
        for d in _date_ticks(buckets[0], buckets[-1], unit):
            x = x_of(d)
            cv.line(x, top + ph, x, top + ph + 4)
            label = d.isoformat()[: {"month": 7, "year": 4}.get(per, 10)]
            cv.text(x, top + ph + 16, label, anchor="end", size=10, rotate=-35)
        cv.line(left, top + ph, left + pw, top + ph)
        cv.line(left, top, left, top + ph)
        cv.text(16, top + ph / 2, f"events (linked clusters) per {per}", anchor="middle", size=11, rotate=-90)
        for k, t in enumerate(types):  # legend, two columns right of the plot
            lx, ly = left + pw + 16 + (k % 2) * 115, top + 6 + (k // 2) * 16
            cv.rect(lx, ly, 10, 10, color[t])
            cv.text(lx + 14, ly + 9, t, size=9)
        info.update(first_day=str(buckets[0]), last_day=str(buckets[-1]), per=per)
    else:
        cv.text(left + pw / 2, top + ph / 2, "no dated events", anchor="middle", size=13)
    title = f"Events timeline — {dated.height} dated real-world events"
    if info.get("span_events"):
        title += f"; {info['span_events']} known only to a week or coarser, drawn over their window at the top"
    if info.get("outside_window"):
        title += f" ({info['outside_window']} earlier/later ones not shown)"
    cv.title = title
    cv.text(left + pw / 2, 24, title, anchor="middle", size=14)
    return cv.render(), info


def render_timeline(c: pl.DataFrame, path: Path) -> dict[str, Any]:
    svg, info = timeline_svg(c)
    path.write_text(svg, encoding="utf-8")
    return info


def actors_svg(c: pl.DataFrame, names: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """Grid of asserted real-world events per (source, target) pair for the TOP_ACTORS most active sources and
    targets, shaded by count. Returns (SVG text, info)."""
    if "factuality" in c.columns:  # what actors did, not what they planned, threatened or did not do
        c = c.filter(pl.col("factuality") == "asserted")
    src = _label_for(c["source_actor_id"].to_list() if "source_actor_id" in c.columns else [None] * c.height,
                     c["source_country"].to_list(), names)
    tgt = _label_for(c["target_actor_id"].to_list() if "target_actor_id" in c.columns else [None] * c.height,
                     c["target_country"].to_list(), names)
    pairs = pl.DataFrame({"source": src, "target": tgt, "event_type": c["event_type"].to_list()},
                         schema={"source": pl.Utf8, "target": pl.Utf8, "event_type": pl.Utf8})
    pairs = pairs.filter((pl.col("source") != "(unknown)") & (pl.col("target") != "(unknown)"))
    top_s = pairs.group_by("source").len().sort(["len", "source"], descending=[True, False]).head(TOP_ACTORS)["source"].to_list()
    top_t = pairs.group_by("target").len().sort(["len", "target"], descending=[True, False]).head(TOP_ACTORS)["target"].to_list()
    W, H, left, top, bottom, right = 1100, 720, 210, 48, 190, 120
    cv = Canvas(W, H, title="Who acts on whom — asserted real-world events per source/target pair")
    cv.text(W / 2, 26, cv.title, anchor="middle", size=14)
    if top_s and top_t:
        grid = [[0] * len(top_t) for _ in top_s]
        sub = pairs.filter(pl.col("source").is_in(top_s) & pl.col("target").is_in(top_t)).group_by("source", "target").len()
        for s, t, n in sub.iter_rows():
            grid[top_s.index(s)][top_t.index(t)] = n
        hi = max(max(r) for r in grid) or 1
        cw, ch = (W - left - right) / len(top_t), (H - top - bottom) / len(top_s)
        for i, row in enumerate(grid):
            for j, n in enumerate(row):
                x, y = left + j * cw, top + i * ch
                cv.rect(x, y, cw, ch, blues(n / hi), tip=f"{top_s[i]} → {top_t[j]}: {n}")
                if n:
                    cv.text(x + cw / 2, y + ch / 2 + 4, str(n), anchor="middle", size=10,
                            fill="#fff" if n > hi / 2 else "#000")
        for i, s in enumerate(top_s):
            cv.text(left - 6, top + i * ch + ch / 2 + 4, s[:28], anchor="end", size=10)
        for j, t in enumerate(top_t):
            x = left + j * cw + cw / 2
            cv.text(x, top + len(top_s) * ch + 14, t[:28], anchor="end", size=10, rotate=-40)
        cv.text(left + (W - left - right) / 2, H - 12, "target (acted upon)", anchor="middle", size=11)
        cv.text(18, top + (H - top - bottom) / 2, "source (acting)", anchor="middle", size=11, rotate=-90)
        bx, bh = W - right + 30, H - top - bottom  # colour bar: 0 .. hi
        steps = 32
        for k in range(steps):
            cv.rect(bx, top + bh - (k + 1) * bh / steps, 16, bh / steps + 0.5, blues((k + 0.5) / steps))
        for t in integer_ticks(hi, 5):
            if t <= hi:
                y = top + bh - t / hi * bh
                cv.line(bx + 16, y, bx + 20, y)
                cv.text(bx + 23, y + 4, str(t), size=10)
        cv.text(bx + 60, top + bh / 2, "events", anchor="middle", size=11, rotate=-90)
    else:
        cv.text(W / 2, H / 2, "no events with known actors", anchor="middle", size=13)
    return cv.render(), {"pairs": pairs.height, "top_sources": top_s[:5]}


def render_actors(c: pl.DataFrame, path: Path, names: dict[str, str]) -> dict[str, Any]:
    svg, info = actors_svg(c, names)
    path.write_text(svg, encoding="utf-8")
    return info


def render_html(c: pl.DataFrame, events: pl.DataFrame, path: Path, names: dict[str, str], summary: dict[str, Any],
                images: dict[str, str]) -> None:
    rep = events.select("event_id", "evidence") if events.height else pl.DataFrame(schema={"event_id": pl.Utf8, "evidence": pl.Utf8})
    top = (c.join(rep, left_on="representative_event_id", right_on="event_id", how="left")
           .sort(["n_stories", "n_mentions", "event_cluster_id"], descending=[True, True, False]).head(TOP_EVENTS))
    e = html.escape
    rows = []
    for r in top.iter_rows(named=True):
        s = _label_for([r.get("source_actor_id")], [r.get("source_country")], names)[0]
        t = _label_for([r.get("target_actor_id")], [r.get("target_country")], names)[0]
        rows.append(f"<tr><td>{e(str(r['day'] or ''))}</td><td>{e(r['event_type'])}</td><td>{e(s)}</td><td>{e(t)}</td>"
                    f"<td>{r['n_mentions']}</td><td>{r['n_stories']}</td><td>{r['n_outlets']}</td>"
                    f"<td>{e(r.get('evidence') or '')}</td></tr>")
    stats = "".join(f"<li>{e(k)}: <b>{e(str(v))}</b></li>" for k, v in summary.items())
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>newsevents report</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}}img{{max-width:100%;border:1px solid #ddd}}
table{{border-collapse:collapse;font-size:.9em}}td,th{{border:1px solid #ccc;padding:4px 6px;vertical-align:top}}th{{background:#f3f3f3}}</style>
</head><body>
<h1>newsevents — events report</h1>
<ul>{stats}</ul>
<h2>Timeline</h2><img src="{e(images['timeline'])}" alt="events timeline">
<h2>Who acts on whom</h2><img src="{e(images['actors'])}" alt="who acts on whom">
<h2>Most reported events</h2>
<table><tr><th>day</th><th>type</th><th>source</th><th>target</th><th>mentions</th><th>stories</th><th>outlets</th><th>representative sentence</th></tr>
{''.join(rows)}
</table>
<p>Generated by pipelines/core/publish/report.py. Query the same data in DuckDB: <code>SELECT * FROM v_events</code>, <code>v_event_timeline</code>, <code>v_sanctions</code>.</p>
</body></html>
"""
    path.write_text(page, encoding="utf-8")


def _frame_digest(h: "hashlib._Hash", name: str, df: pl.DataFrame | None, columns: list[str] | None = None) -> None:
    """Feed a frame (the given columns that exist, in row order) into the hash: schema + Arrow IPC bytes."""
    h.update(f"\0{name}\0".encode())
    if df is None:
        h.update(b"<none>")
        return
    if columns is not None:
        df = df.select([c for c in columns if c in df.columns])
    h.update(repr(list(df.schema.items())).encode())
    buf = io.BytesIO()
    df.write_ipc(buf, compression="uncompressed")
    h.update(buf.getvalue())


def inputs_key(events: pl.DataFrame, event_clusters: pl.DataFrame, stories: pl.DataFrame | None = None,
               actors: pl.DataFrame | None = None) -> str:
    """Content hash of everything the report depends on (see the module docstring)."""
    from pipelines.core.cache import code_version

    h = hashlib.sha256()
    h.update(f"code={code_version()} polars={pl.__version__}".encode())
    _frame_digest(h, "events", events)
    _frame_digest(h, "event_clusters", event_clusters)
    _frame_digest(h, "stories", stories, ["story_id", "published_date"])  # the only columns the report reads
    _frame_digest(h, "actors", actors, ["actor_id", "name"])
    return h.hexdigest()


def _file_sha(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _reusable(out: Path, key: str) -> dict[str, Any] | None:
    """The stored result when out_dir holds the report rendered for `key`, untouched since; else None."""
    try:
        stamp = json.loads((out / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("key") != key or not isinstance(stamp.get("files"), dict):
        return None
    for name, sha in stamp["files"].items():
        if _file_sha(out / name) != sha:
            return None
    return stamp.get("result")


def render_report(events: pl.DataFrame, event_clusters: pl.DataFrame, out_dir: str | Path,
                  stories: pl.DataFrame | None = None, actors: pl.DataFrame | None = None,
                  reuse: bool = False) -> dict[str, Any]:
    """Write timeline.svg, actors.svg and index.html into out_dir; return their paths and summary numbers
    (plus "reused": True when `reuse` found the files already rendered for these very inputs)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    timeline, actors_svg_path, page = out / "timeline.svg", out / "actors.svg", out / "index.html"
    paths = {"timeline": timeline, "actors": actors_svg_path, "html": page}
    for stale in ("timeline.png", "actors.png"):  # written by versions before the SVG charts
        (out / stale).unlink(missing_ok=True)
    key = inputs_key(events, event_clusters, stories, actors) if reuse else None
    if key is not None:
        stored = _reusable(out, key)
        if stored is not None:
            return {**paths, **stored, "reused": True}
    names: dict[str, str] = {}
    if actors is not None and actors.height and {"actor_id", "name"} <= set(actors.columns):
        names = dict(actors.select("actor_id", "name").iter_rows())
    c = _cluster_days(events, event_clusters, stories)
    t_info = render_timeline(c, timeline)
    a_info = render_actors(c, actors_svg_path, names)
    summary: dict[str, Any] = {
        "event mentions": events.height,
        "real-world events (clusters)": c.height,
        "events reported by 2+ stories": c.filter(pl.col("n_stories") > 1).height,
        "generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    if "first_day" in t_info:
        summary["period"] = f"{t_info['first_day']} – {t_info['last_day']}"
    render_html(c, events, page, names, summary, {"timeline": timeline.name, "actors": actors_svg_path.name})
    result = {**t_info, **a_info, "n_clusters": c.height, "n_mentions": events.height}
    if key is not None:
        stamp = {"key": key, "files": {p.name: _file_sha(p) for p in paths.values()}, "result": result}
        tmp = out / (STAMP + ".tmp")
        tmp.write_text(json.dumps(stamp, default=str), encoding="utf-8")
        tmp.replace(out / STAMP)
    else:
        (out / STAMP).unlink(missing_ok=True)  # files rendered without a stamp: never reused
    return {**paths, **result, "reused": False}
