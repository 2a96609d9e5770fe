"""Static report: an events timeline PNG, a who-acts-on-whom PNG and an HTML page (matplotlib Agg, no dagster).

`render_report(events, event_clusters, out_dir, stories=None, actors=None)` writes
  timeline.png   real-world events (clusters) per day (per ISO week when the span is long), stacked by PLOVER type
  actors.png     who acts on whom: clusters per (source, target) pair for the most active actors
  index.html     both images, headline numbers and the most-reported events with their evidence
and returns {"timeline": path, "actors": path, "html": path, ...summary numbers}.

With `reuse=True` the three files are not rendered again when they were written for the same inputs: a stamp
(`.report_stamp.json` in out_dir) holds the sha256 of the inputs (the columns the report reads, in row order),
the code version (pipelines/core, rules, schemas), the matplotlib and polars versions, the sha256 of the three files
written and the summary numbers. Any change to one of these, or to a file on disk, renders again. A reused page
keeps its "generated" time (the time it was rendered for these inputs).

matplotlib is imported on first render (not at import time: the Dagster Definitions import this module).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import json
from pathlib import Path
from typing import Any

import polars as pl

STAMP = ".report_stamp.json"

MAX_DAYS_DAILY = 120
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
    return c.with_columns(pl.coalesce("event_date", "first_reported").alias("day"))


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


def _mpl():
    """(pyplot, matplotlib.dates, MaxNLocator) with the Agg backend, imported on first use."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    return plt, mdates, MaxNLocator


def render_timeline(c: pl.DataFrame, path: Path) -> dict[str, Any]:
    plt, mdates, MaxNLocator = _mpl()
    dated = c.filter(pl.col("day").is_not_null())
    fig, ax = plt.subplots(figsize=(11, 4.8), dpi=110)
    info: dict[str, Any] = {"dated_events": dated.height, "undated_events": c.height - dated.height}
    if dated.height:
        # background references ("in 2016") stretch the axis: when most events fall in a short period, show that
        # period day by day and count the events outside it
        days = dated["day"].sort()
        mid = days[len(days) // 2]
        half = dt.timedelta(days=MAX_DAYS_DAILY // 2)
        lo, hi = mid - half, mid + half
        near = dated.filter(pl.col("day").is_between(lo, hi)).height
        if (days[-1] - days[0]).days > MAX_DAYS_DAILY and near >= 0.75 * dated.height:
            outside = dated.filter((pl.col("day") < lo) | (pl.col("day") > hi)).height
            dated = dated.filter(pl.col("day").is_between(lo, hi))
            info["outside_window"] = outside
        span = (dated["day"].max() - dated["day"].min()).days
        weekly = span > MAX_DAYS_DAILY
        bucket = (pl.col("day").dt.truncate("1w") if weekly else pl.col("day")).alias("bucket")
        counts = dated.group_by(bucket, "event_type").len().sort("bucket")
        types = counts.group_by("event_type").agg(pl.col("len").sum()).sort(["len", "event_type"], descending=[True, False])["event_type"].to_list()
        buckets = sorted(set(counts["bucket"].to_list()))
        cmap = plt.get_cmap("tab20")
        bottom = [0] * len(buckets)
        idx = {b: i for i, b in enumerate(buckets)}
        width = 5.5 if weekly else 0.85
        for k, t in enumerate(types):
            vals = [0] * len(buckets)
            for b, n in counts.filter(pl.col("event_type") == t).select("bucket", "len").iter_rows():
                vals[idx[b]] = n
            # only the non-empty segments are drawn (a zero-height bar paints no pixel but costs a patch: most of
            # the render time); the bottoms of the skipped ones stay sticky y-edges, as their bars would make
            # them, so the autoscaled y range - and the image - is the same as drawing every segment
            keep = [i for i, v in enumerate(vals) if v]
            bars = ax.bar([buckets[i] for i in keep], [vals[i] for i in keep], bottom=[bottom[i] for i in keep],
                          width=width, label=t, color=cmap(k % 20))
            skipped = [bottom[i] for i, v in enumerate(vals) if not v]
            if skipped:
                bars.patches[0].sticky_edges.y.extend(skipped)
            bottom = [x + y for x, y in zip(bottom, vals)]
        ax.set_ylabel("events (linked clusters) per " + ("week" if weekly else "day"))
        ax.legend(ncol=2, fontsize=8, loc="upper left", frameon=False, bbox_to_anchor=(1.0, 1.0))
        if span <= 14:
            ax.xaxis.set_major_locator(mdates.DayLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        pad = dt.timedelta(days=7 if weekly else 1)
        ax.set_xlim(min(buckets) - pad, max(buckets) + pad)
        fig.autofmt_xdate()
        info.update(first_day=str(min(buckets)), last_day=str(max(buckets)), per="week" if weekly else "day")
    else:
        ax.text(0.5, 0.5, "no dated events", ha="center", va="center", transform=ax.transAxes)
    title = f"Events timeline — {dated.height} dated real-world events"
    if info.get("outside_window"):
        title += f" ({info['outside_window']} earlier/later ones not shown)"
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return info


def render_actors(c: pl.DataFrame, path: Path, names: dict[str, str]) -> dict[str, Any]:
    plt, _, _ = _mpl()
    if "factuality" in c.columns:  # what actors did, not what they planned, threatened or did not do
        c = c.filter(pl.col("factuality") == "asserted")
    src = _label_for(c["source_actor_id"].to_list() if "source_actor_id" in c.columns else [None] * c.height,
                     c["source_country"].to_list(), names)
    tgt = _label_for(c["target_actor_id"].to_list() if "target_actor_id" in c.columns else [None] * c.height,
                     c["target_country"].to_list(), names)
    pairs = pl.DataFrame({"source": src, "target": tgt, "event_type": c["event_type"].to_list()}, schema={"source": pl.Utf8, "target": pl.Utf8, "event_type": pl.Utf8})
    pairs = pairs.filter((pl.col("source") != "(unknown)") & (pl.col("target") != "(unknown)"))
    top_s = pairs.group_by("source").len().sort(["len", "source"], descending=[True, False]).head(TOP_ACTORS)["source"].to_list()
    top_t = pairs.group_by("target").len().sort(["len", "target"], descending=[True, False]).head(TOP_ACTORS)["target"].to_list()
    fig, ax = plt.subplots(figsize=(11, 7), dpi=110)
    if top_s and top_t:
        grid = [[0] * len(top_t) for _ in top_s]
        sub = pairs.filter(pl.col("source").is_in(top_s) & pl.col("target").is_in(top_t)).group_by("source", "target").len()
        for s, t, n in sub.iter_rows():
            grid[top_s.index(s)][top_t.index(t)] = n
        im = ax.imshow(grid, cmap="Blues", aspect="auto")
        ax.set_xticks(range(len(top_t)), labels=[t[:28] for t in top_t], rotation=40, ha="right", fontsize=8)
        ax.set_yticks(range(len(top_s)), labels=[s[:28] for s in top_s], fontsize=8)
        hi = max(max(r) for r in grid) or 1
        for i, row in enumerate(grid):
            for j, n in enumerate(row):
                if n:
                    ax.text(j, i, str(n), ha="center", va="center", fontsize=8, color="white" if n > hi / 2 else "black")
        ax.set_xlabel("target (acted upon)")
        ax.set_ylabel("source (acting)")
        fig.colorbar(im, ax=ax, label="events")
    else:
        ax.text(0.5, 0.5, "no events with known actors", ha="center", va="center", transform=ax.transAxes)
    ax.set_title("Who acts on whom — asserted real-world events per source/target pair")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return {"pairs": pairs.height, "top_sources": top_s[:5]}


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
    from importlib.metadata import version

    from pipelines.core.cache import code_version

    h = hashlib.sha256()
    h.update(f"code={code_version()} matplotlib={version('matplotlib')} polars={pl.__version__}".encode())
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
    """Write timeline.png, actors.png and index.html into out_dir; return their paths and summary numbers
    (plus "reused": True when `reuse` found the files already rendered for these very inputs)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    timeline, actors_png, page = out / "timeline.png", out / "actors.png", out / "index.html"
    paths = {"timeline": timeline, "actors": actors_png, "html": page}
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
    a_info = render_actors(c, actors_png, names)
    summary: dict[str, Any] = {
        "event mentions": events.height,
        "real-world events (clusters)": c.height,
        "events reported by 2+ stories": c.filter(pl.col("n_stories") > 1).height,
        "generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    if "first_day" in t_info:
        summary["period"] = f"{t_info['first_day']} – {t_info['last_day']}"
    render_html(c, events, page, names, summary, {"timeline": timeline.name, "actors": actors_png.name})
    result = {**t_info, **a_info, "n_clusters": c.height, "n_mentions": events.height}
    if key is not None:
        stamp = {"key": key, "files": {p.name: _file_sha(p) for p in paths.values()}, "result": result}
        tmp = out / (STAMP + ".tmp")
        tmp.write_text(json.dumps(stamp, default=str), encoding="utf-8")
        tmp.replace(out / STAMP)
    else:
        (out / STAMP).unlink(missing_ok=True)  # files rendered without a stamp: never reused
    return {**paths, **result, "reused": False}
