"""Cross-document dating evidence: an undated story borrows a WEEK from other stories of the same corpus.

Pure functions (no Dagster). Called after dedup (pipelines/assets/dedup.py), where every story of the run and its
dedup cluster are known; rules in pipelines/rules/dating.yaml (`cross_document:`). Two kinds of evidence:

- dedup_twin: another member of the story's dedup cluster (the same story republished / a near-duplicate) is
  dated to a day by its own evidence;
- shared_names: the `neighbours` most similar day-dated stories (cosine of IDF-weighted proper-name sets, the
  names of clean/dating_parse._names) with similarity >= `min_similarity` (a strong shared-entity overlap: a
  report of the same event).

Used only when the evidence agrees (the borrowed dates lie within `agree_days` of each other) and never against
the story's own evidence: the window [D + window_start_days, +6] around the borrowed (median) day D starts no
earlier than the latest date the story itself reports (a lower bound), ends no later than the earliest date its
future sentences plan (an upper bound), and the story names no year after the window. The precision is always
`week` (published_date = the first day of the 7-day window), published_rule "cross_document:<kind>",
published_date_source "inferred". Only stories whose own precision is `none` are changed; only stories dated to a
day by their own evidence (not by this step) lend a date, so nothing is chained. Dates through dates_safe: extreme
values are ignored, never raised.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl
import yaml

from pipelines.core import dates_safe as ds

from .dating_parse import _YEAR_IN_TEXT, _hit_sentences, _names, _sentence_spans, find_full_dates
from .dating_rules import RULES_FILE, DatingRules, load_rules

COLUMNS = ("story_id", "text", "published_date", "published_precision", "published_rule", "published_date_source")
OUT_SCHEMA = {"story_id": pl.String, "published_date": pl.Date, "published_precision": pl.String,
              "published_rule": pl.String, "published_date_source": pl.String}
RULE_PREFIX = "cross_document:"


@dataclass(frozen=True)
class CrossRules:
    enabled: bool
    shared_names: bool
    min_similarity: float
    neighbours: int
    min_support: int
    agree_days: int
    conflict_days: int
    window_start_days: int
    min_name_df: int
    max_name_df: int
    lower_bound_slack_days: int = 0


@lru_cache(maxsize=4)
def load_cross_rules(path: str = str(RULES_FILE)) -> CrossRules:
    d = yaml.safe_load(Path(path).read_text(encoding="utf-8")).get("cross_document") or {}
    return CrossRules(enabled=bool(d.get("enabled", False)), shared_names=bool(d.get("shared_names", True)),
                      min_similarity=float(d.get("min_similarity", 1.0)),
                      neighbours=int(d.get("neighbours", 2)), min_support=int(d.get("min_support", 2)),
                      agree_days=int(d.get("agree_days", 3)),
                      conflict_days=int(d.get("conflict_days", 10**6)),
                      window_start_days=int(d.get("window_start_days", 0)), min_name_df=int(d.get("min_name_df", 2)),
                      max_name_df=int(d.get("max_name_df", 5000)),
                      lower_bound_slack_days=int(d.get("lower_bound_slack_days", 0)))


def own_bounds(text: str, rules: DatingRules | None = None) -> tuple[dt.date | None, dt.date | None, int | None]:
    """(lower, upper, latest_year) the story's own words allow: the latest full date of its past sentences (it is
    not published before what it reports), the earliest full date of its future sentences that is not before that
    (a plan is announced before it happens) and the latest year its past sentences name."""
    r = rules or load_rules()
    spans = _sentence_spans(text)
    starts = [a for a, _b in spans]
    low = text.lower()
    same = len(low) == len(text)
    excluded = _hit_sentences(r.exclude_lc if same else r.exclude, low if same else text, starts)
    future = _hit_sentences(r.future_lc if same else r.future, low if same else text, starts)
    past_dates, future_dates, years = [], [], []
    for i, (a, b) in enumerate(spans):
        if i in excluded:
            continue
        s = text[a:b]
        found = [d for _s, _e, d in find_full_dates(s)]
        if i in future:
            future_dates.extend(found)
        else:
            past_dates.extend(found)
            years.extend(int(m["y"]) for m in _YEAR_IN_TEXT.finditer(s))
    lo = max(past_dates, default=None)
    hi = min((d for d in future_dates if lo is None or d >= lo), default=None)
    years = [y for y in years if ds.MIN_YEAR <= y <= ds.MAX_YEAR]
    return lo, hi, max(years, default=None)


def borrowed_window(days: list[dt.date], own: tuple[dt.date | None, dt.date | None, int | None],
                    rules: CrossRules) -> tuple[dt.date, dt.date] | None:
    """The 7-day window [lo, lo + 6] an undated story gets from the day-dated `days` of its twins / neighbours,
    or None when they disagree (spread > agree_days) or the story's own bounds exclude it."""
    days = sorted(d for d in days if d is not None and ds.in_range(d))
    if not days or (days[-1] - days[0]).days > rules.agree_days:
        return None
    mid = days[(len(days) - 1) // 2]
    lo = ds.checked(ds.add_days(mid, rules.window_start_days))
    last = ds.checked(ds.add_days(lo, 6))
    if lo is None or last is None:
        return None
    own_lo, own_hi, own_year = own
    if own_lo is not None and rules.lower_bound_slack_days:
        own_lo = ds.add_days(own_lo, -rules.lower_bound_slack_days) or own_lo  # time zones: the text's day may be
        # one after the UTC publication day
    if own_lo is not None and own_lo > last:
        return None  # the story reports a later day than the window: the evidence disagrees
    if own_lo is not None and own_lo > lo:
        lo, last = own_lo, ds.checked(ds.add_days(own_lo, 6))
        if last is None:
            return None
    if own_hi is not None and last > own_hi:
        return None  # would reach past what the story's own plans allow
    if own_year is not None and own_year > last.year:
        return None  # the story names a later year
    return lo, last


def _vectors(names: list[set[str]], rules: CrossRules) -> tuple[list[dict[str, float]], list[float]]:
    df: dict[str, int] = defaultdict(int)
    for ns in names:
        for n in ns:
            df[n] += 1
    total = max(1, len(names))
    vecs = [{n: math.log(total / df[n]) for n in ns if rules.min_name_df <= df[n]} for ns in names]
    norms = [math.sqrt(sum(w * w for w in v.values())) for v in vecs]
    return vecs, norms


def cross_document_dates(chunks: Iterable[pl.DataFrame], clusters: pl.DataFrame | None = None,
                         rules: CrossRules | None = None, dating_rules: DatingRules | None = None) -> pl.DataFrame:
    """Dates for undated stories from the other stories of the corpus. `chunks`: frames with COLUMNS (all stories
    of the run, read chunk by chunk: only names and dates are kept); `clusters`: story_id, cluster_id (dedup).
    Returns OUT_SCHEMA rows for the stories that get a date (none when the rules are off)."""
    cr = rules or load_cross_rules()
    dr = dating_rules or load_rules()
    if not cr.enabled:
        return pl.DataFrame(schema=OUT_SCHEMA)
    ids, names, day, undated_text = [], [], [], {}
    for ch in chunks:
        for sid, text, date, prec, rule in ch.select(COLUMNS[:5]).iter_rows():
            own_day = prec == "day" and date is not None and not str(rule or "").startswith(RULE_PREFIX)
            ids.append(sid)
            names.append(_names(text or "", dr))
            day.append(date if own_day else None)
            if prec in (None, "none") and date is None:
                undated_text[len(ids) - 1] = text or ""
    if not undated_text:
        return pl.DataFrame(schema=OUT_SCHEMA)
    twins: dict[int, list[int]] = {}
    if clusters is not None and clusters.height:
        pos = {s: i for i, s in enumerate(ids)}
        members: dict[str, list[int]] = defaultdict(list)
        for sid, cid in clusters.select("story_id", "cluster_id").iter_rows():
            if sid in pos and cid is not None:
                members[cid].append(pos[sid])
        for group in members.values():
            for i in group:
                twins[i] = [j for j in group if j != i]
    vecs, norms = _vectors(names, cr)
    postings: dict[str, list[int]] = defaultdict(list)
    for j, v in enumerate(vecs):
        if day[j] is not None:
            for n in v:
                postings[n].append(j)
    rows = []
    for i, text in undated_text.items():
        twin_days = [day[j] for j in twins.get(i, ()) if day[j] is not None]
        kind, days = ("dedup_twin", twin_days) if twin_days else ("shared_names", [])
        if not twin_days and cr.shared_names and norms[i] > 0:
            score: dict[int, float] = defaultdict(float)
            for n, w in vecs[i].items():
                if len(postings.get(n, ())) <= cr.max_name_df:
                    for j in postings.get(n, ()):
                        score[j] += w * vecs[j][n]
            similar = sorted(((s / (norms[i] * norms[j]), j) for j, s in score.items() if norms[j] > 0),
                             key=lambda t: (-t[0], ids[t[1]]))
            similar = [(s, j) for s, j in similar if s >= cr.min_similarity]
            days = [day[j] for _s, j in similar[:cr.neighbours]]
            if len(days) < cr.min_support:
                continue  # too few similar dated stories to call it agreement
            if days and any(abs((day[j] - days[0]).days) > cr.conflict_days for _s, j in similar):
                continue  # another similar story is dated far away: a recurring topic, not one event
        if not days:
            continue
        win = borrowed_window(days, own_bounds(text, dr), cr)
        if win is not None:
            rows.append({"story_id": ids[i], "published_date": win[0], "published_precision": "week",
                         "published_rule": RULE_PREFIX + kind, "published_date_source": "inferred"})
    return pl.DataFrame(rows, schema=OUT_SCHEMA)


def apply_cross_dates(stories: pl.DataFrame, updates: pl.DataFrame) -> pl.DataFrame:
    """`stories` with the published_* columns of the `updates` rows replaced (columns and order kept)."""
    if updates.height == 0 or stories.height == 0:
        return stories
    cols = [c for c in OUT_SCHEMA if c != "story_id" and c in stories.columns]
    upd = updates.select("story_id", pl.lit(True).alias("__x_hit"), *[pl.col(c).alias(f"__x_{c}") for c in cols])
    out = stories.join(upd, on="story_id", how="left", maintain_order="left")
    hit = pl.col("__x_hit").fill_null(False)
    return out.with_columns([pl.when(hit).then(pl.col(f"__x_{c}")).otherwise(pl.col(c)).cast(stories.schema[c])
                             .alias(c) for c in cols]).select(stories.columns)
