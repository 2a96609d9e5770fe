"""Document dating: when was a story published, how precisely do we know it, and which evidence said so.

Pure functions (no Dagster, no model). Every piece of evidence is a named rule in pipelines/rules/dating.yaml
(`document:` section); the story gets

    published_date       the day (precision day), the first day of the window (week: [date, date+6]), the 1st of
                         the month (month) or 1 January (year); null for none
    published_precision  day | week | month | year | none
    published_rule       the rule that decided ("metadata", "dated_header", "latest_date+weekday", ...); for none
                         "none:<reason>" (no_date_evidence, only_future_dates, conflict, ...)
    published_date_source metadata | explicit | inferred | none (the older, coarser column, kept)

Evidence is an interval [lo, hi] for the publication day. Point evidence (metadata, a dated header, a URL date,
a dateline "MINSK, Oct 3 (Reuters)") gives lo == hi. Text evidence gives bounds: an explicit full date in the body
in a past-tense sentence is a lower bound (a story is not published before what it reports); a weekday cue
("on Monday") that names the weekday of that latest date pins the news day; "N days after <dated event>" adds a
dated mention; a feed of glued stories, ordered newest first, bounds an undated story by its neighbours.
Intervals are intersected; when they conflict the hull is taken (the precision drops) instead of guessing.
Other documents (dedup twins, reports of the same event) are used after dedup: clean/dating_cross.py.
The precision is the narrowest calendar unit that contains the final interval; a day is never invented.

All date construction goes through pipelines.core.dates_safe: years 1 / 9999 or "February 30" are ignored
evidence (logged), never an exception.
"""
from __future__ import annotations

from pipelines.core import dates_safe as ds

from .dating_evidence import text_evidence
from .dating_parse import _sentences, _window, find_dates, find_full_dates
from .dating_rules import PRECISIONS, RULES_FILE, SOURCES, Dating, DatingRules, Evidence, load_rules

__all__ = ["PRECISIONS", "RULES_FILE", "SOURCES", "Dating", "DatingRules", "Evidence", "combine", "date_feed",
           "date_story", "find_dates", "find_full_dates", "load_rules", "text_evidence", "_sentences", "_window"]


def combine(ev: list[Evidence], rules: DatingRules | None = None) -> Dating:
    """Intersect the evidence intervals, strongest first; a conflicting interval widens the result to the hull of
    both (lower precision) unless the stronger one is point evidence from metadata or a header."""
    r = rules or load_rules()
    if not ev:
        return Dating(None, "none", "none:no_date_evidence", "none")
    ev = sorted(ev, key=lambda e: -e.strength)
    top = ev[0]
    lo, hi, used = top.lo, top.hi, [top]
    conflict = False
    for e in ev[1:]:
        if e.rule == "latest_date" or e.rule == "caption_date":
            # lower bounds: a publication date may not precede what the story reports
            if e.lo > hi:
                if top.strength >= r.strength["dated_header"]:
                    continue  # the header wins; the body date is probably a typo or a planned date
                lo, hi, conflict = min(lo, e.lo), max(hi, e.lo), True
                used.append(e)
            continue
        nlo, nhi = max(lo, e.lo), min(hi, e.hi)
        if nlo <= nhi:
            if (nlo, nhi) != (lo, hi):
                used.append(e)
            lo, hi = nlo, nhi
        elif e.strength >= top.strength - 10:
            lo, hi, conflict = min(lo, e.lo), max(hi, e.hi), True
            used.append(e)
    date, precision = _window(lo, hi)
    rule = "+".join(dict.fromkeys(u.rule for u in used))
    if conflict:
        rule = "conflict:" + rule
    if date is None:
        return Dating(None, "none", "none:conflict", "none", lo, hi, ev)
    source = r.source[top.rule]
    return Dating(date, precision, rule, source, lo, hi, ev)


def date_story(text: str, spans: list[tuple[str, str]] = (), meta_date=None, url: str | None = None,
               rules: DatingRules | None = None) -> Dating:
    """Dating of one story. `meta_date`: the record's own publication date (wins when usable)."""
    r = rules or load_rules()
    md = ds.checked(ds.coerce_date(meta_date)) if meta_date is not None else None
    if md is not None:
        return Dating(md, "day", "metadata", "metadata", md, md,
                      [Evidence("metadata", md, md, r.strength["metadata"])])
    ev, reason = text_evidence(text, spans, url, r)
    if not ev:
        return Dating(None, "none", f"none:{reason}", "none")
    return combine(ev, r)


# ------------------------------------------------------------------------------------------------ feeds
def date_feed(datings: list[Dating], rules: DatingRules | None = None) -> list[Dating]:
    """Stories glued in one file are usually a feed, newest first (or oldest first). When the dated stories
    confirm one order (at least `feed.min_dated` of them, monotonic), an undated story between two dated ones is
    bounded by them ([older, newer]; precision from the width, at most `feed.max_gap_days`). Never used when the
    explicit dates disagree with every order."""
    r = rules or load_rules()
    dated = [(i, d.date) for i, d in enumerate(datings) if d.precision == "day" and d.date is not None]
    if len(dated) < r.feed_min_dated or len(dated) == len(datings):
        return datings
    seq = [d for _i, d in dated]
    if all(a >= b for a, b in zip(seq, seq[1:])):
        order = "newest_first"
    elif all(a <= b for a, b in zip(seq, seq[1:])):
        order = "oldest_first"
    else:
        return datings
    out = list(datings)
    for i, d in enumerate(datings):
        if d.precision not in ("none", "year", "month"):
            continue
        before = [x for j, x in dated if j < i]
        after = [x for j, x in dated if j > i]
        if not before or not after:
            continue
        a, b = before[-1], after[0]
        lo, hi = (b, a) if order == "newest_first" else (a, b)
        if (hi - lo).days > r.max_gap_days:
            continue
        if d.lo is not None and d.hi is not None and (d.hi < lo or d.lo > hi):
            continue  # the story's own evidence disagrees
        if d.lo is not None:
            lo = max(lo, d.lo)
        if d.hi is not None:
            hi = min(hi, d.hi)
        date, prec = _window(lo, hi)
        if date is not None:
            out[i] = Dating(date, prec, f"feed_order:{order}", "inferred", lo, hi, d.evidence)
    return out
