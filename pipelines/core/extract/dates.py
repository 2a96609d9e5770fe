"""Clause-level event dates (issue 15): the temporal expression that governs an event trigger, resolved against
the story's publication date, or a documented fallback (background "before", the publication week, none).

Date mentions and their resolution live in extract/date_mentions.py (re-exported here: resolve_date,
find_date_mentions, offset_mentions); rules in pipelines/rules/dating.yaml (`event:`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

from pipelines.core import dates_safe as ds

from .date_mentions import (
    _ADVERBIAL_BEFORE,
    _ATTRIBUTIVE_BEFORE,
    _iter_mentions,
    _resolve_one,
    find_date_mentions,
    offset_mentions,
    resolve_date,
)

__all__ = ["PRECISIONS", "EventDate", "find_date_mentions", "offset_mentions", "resolve_date", "resolve_event_date"]

PRECISIONS = ("day", "week", "month", "year", "before", "none")
_RANK = {p: i for i, p in enumerate(PRECISIONS)}
FUTURE_FACTUALITY = ("planned", "threatened", "hypothetical")
RULES_FILE = Path(__file__).resolve().parents[2] / "rules" / "dating.yaml"
# expressions whose value is computed from the publication date (their precision cannot beat the anchor's)
_RELATIVE = {"month_day", "day_month", "in_month", "yesterday", "today", "tomorrow", "weekday", "next_weekday",
             "later_weekday", "last_weekday", "rel_week", "ago", "weekend"}
_CLAUSE_BREAK = re.compile(r"[;:()]|\s[-–—]\s|,\s+(?:and|but|which|who|when|where|while|after|before|as)\b|"
                           r"\b(?:but|while|although|whereas|after|before|since|because|when)\b", re.I)


@dataclass(frozen=True)
class EventDate:
    """date: the day / first day of the week / month / year, or the publication date for "before" (upper bound);
    precision: day | week ([date, date+6]) | month | year | before (date is an upper bound) | none (date None);
    text: the date expression as written (None for fallbacks); rule: which rule decided (goes into extractor)."""
    date: date | None
    precision: str
    text: str | None
    rule: str


@lru_cache(maxsize=4)
def _event_rules(path: str = str(RULES_FILE)) -> dict:
    d = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["event"]
    return {"background": re.compile("|".join(f"(?:{c})" for c in d["background_cues"]), re.I),
            "news_window_days": int(d.get("news_window_days", 7))}


def _coarser(a: str, b: str) -> str:
    return a if _RANK[a] >= _RANK[b] else b


def _norm_precision(d: date | None, precision: str) -> date | None:
    """The canonical date of a (date, precision) window: week -> as given, month -> 1st, year -> 1 January."""
    if d is None:
        return None
    if precision == "month":
        return d.replace(day=1)
    if precision == "year":
        return d.replace(month=1, day=1)
    return d


_WEEKDAY_PAST = ("weekday", "last_weekday")


def _weekday_in_week(name: str, m, lo: date) -> tuple[date | None, str]:
    """A past weekday cue under a week anchor [lo, lo+6]: the cue's day resolved from the first and from the last
    possible publication day. Equal -> that day (the caller coarsens it to the week); else the two candidates are
    a week apart and the later one is after the stored published_date (lo), which the events contract forbids:
    the cue is not used (None)."""
    first = _resolve_one(name, m, lo, False)
    last = _resolve_one(name, m, ds.add_days(lo, 6) or lo, False)
    if first is None or last is None or first[0] is None or last[0] is None or first[0] != last[0]:
        return None, "none"
    return first[0], "day"


def _span_tokens(doc, start: int, end: int):
    base = getattr(doc, "start_char", 0)
    return [t for t in doc if (t.idx - base) < end and (t.idx - base + len(t.text)) > start]


def _head_of(tokens):
    ids = {t.i for t in tokens}
    for t in tokens:
        if t.head.i not in ids or t.head.i == t.i:
            return t
    return tokens[0] if tokens else None


def _clause_head(tok):
    seen = 0
    while tok.pos_ not in ("VERB", "AUX") and tok.dep_ != "ROOT" and tok.head.i != tok.i and seen < 30:
        tok = tok.head
        seen += 1
    return tok


def _governor(m_tok):
    """The token a date expression attaches to: the head of its preposition for "on Monday", the verb for an
    npadvmod ("Monday", "yesterday"), the noun for an attributive date ("the Aug 9 election")."""
    g = m_tok
    if g.dep_ == "pobj" and g.head.i != g.i:
        g = g.head
    return g.head if g.head.i != g.i else g


def _is_ancestor(a, b) -> bool:
    """a dominates b (or is b)."""
    if a.i == b.i:
        return True
    return any(x.i == a.i for x in b.ancestors)


def _parse_relation(doc, trigger: tuple[int, int], s: int, e: int) -> tuple[int, str] | None:
    """(rank, relation) of the date mention s:e to the trigger in the parse; None when it dates another clause."""
    ttoks = _span_tokens(doc, *trigger)
    mtoks = _span_tokens(doc, s, e)
    if not ttoks or not mtoks:
        return None
    t_head, m_head = _head_of(ttoks), _head_of(mtoks)
    if any(t.i in {x.i for x in ttoks} for t in mtoks):
        return (0, "trigger")  # the trigger phrase holds the date ("the Aug 9 election" as trigger)
    g = _governor(m_head)
    tid = {x.i for x in ttoks}
    if g.i in tid:
        return (0, "dependent")  # on Monday -> detained; the Aug 9 election -> election
    t_clause, g_clause = _clause_head(t_head), _clause_head(g)
    if g_clause.i == t_clause.i:
        if g.i == g_clause.i:
            return (0, "clause")  # another verb token of the clause (aux) or the clause verb itself
        return (1, "clause_attributive")  # modifies a noun of the trigger's clause ("at the Aug 9 rally")
    if _is_ancestor(g_clause, t_clause):
        return (2, "ancestor_clause")  # "Police said on Sunday they detained 200": the report date bounds it
    if _is_ancestor(t_clause, g_clause):
        # a clause under the trigger: its complement ("said ... detained on Sunday") or adverbial clause may
        # carry the date (the parser often attaches it there); a relative / coordinated clause dates another event
        x, path = g_clause, []
        while x.i != t_clause.i and len(path) < 30:
            path.append(x.dep_)
            x = x.head
        if not any(dep in ("relcl", "acl", "conj", "parataxis", "appos") for dep in path):
            return (3, "descendant_clause")
    return None


def _regex_relation(sentence: str, trigger: tuple[int, int], s: int, e: int) -> tuple[int, str]:
    """Without a parse: same clause (between clause breaks) ranks first, then the nearest other mention."""
    lo, hi = min(s, trigger[0]), max(e, trigger[1])
    between = sentence[min(e, trigger[0]) if e <= trigger[0] else trigger[1]:s if s >= trigger[1] else trigger[0]]
    if lo < hi and not _CLAUSE_BREAK.search(between):
        return (0, "clause_regex")
    return (3, "sentence_regex")


def resolve_event_date(sentence: str, trigger: tuple[int, int], published: date | None,
                       published_precision: str, factuality: str, doc=None) -> EventDate:
    """Date of the event whose trigger is sentence[trigger[0]:trigger[1]].

    1. The temporal expression that governs the trigger: with a spaCy parse (`doc`, whose text is the sentence),
       a date attached to the trigger itself or to its clause verb beats one modifying a noun of the clause, which
       beats one of a dominating clause (a reporting verb); a date in another clause (a relative clause, a
       coordinated clause) is never taken. Without a parse: a date in the trigger's clause (no clause break between
       them), then the nearest in the sentence. Ties: precision (day first), adverbial over attributive, distance.
    2. Relative expressions are resolved against `published`; their precision is never finer than
       `published_precision` (a story dated only to the week gives "yesterday" week precision).
    3. No expression: planned / threatened / hypothetical -> none; a past-background cue in the trigger's clause
       (rules/dating.yaml event.background_cues: past perfect, "previously", "former" ...) -> (published,
       "before"); otherwise the publication week -> (published - 6, "week"), i.e. [published-6, published].
    A past (non-future) result is never after `published` (schemas/events.py); a date of the trigger's clause
    after it gives none ("date_after_publication"), not the publication week. Under a week anchor a past weekday
    cue is used only when every possible publication day of the week gives the same day.
    """
    if published_precision in ("none", None, "") or published is None:
        published, published_precision = None, "none"
    if published_precision not in _RANK:
        published_precision = "day"
    future = factuality in ("planned", "threatened")
    future_ok = factuality in FUTURE_FACTUALITY
    best = None
    after_pub = None  # a date of the trigger's own clause that lies after publication (the event is not past)
    t0, t1 = trigger
    limit = published  # schemas/events.py date_not_after_publication: never after the stored published_date
    composite = offset_mentions(sentence, published, future)
    cands = [(s, e, "offset", None, (d, p)) for s, e, d, p, _t in composite]
    for s, e, name, m in _iter_mentions(sentence):
        if any(cs <= s and e <= ce for cs, ce, *_r in cands):
            continue  # the date an offset counts from ("44 days after the August 9 election")
        cands.append((s, e, name, m, None))
    for s, e, name, m, pre in cands:
        res = pre if pre is not None else _resolve_one(name, m, published, future)
        if res is None:
            continue
        d, prec = res
        if d is None:
            continue
        if name in _WEEKDAY_PAST and not future and published_precision == "week":
            d, prec = _weekday_in_week(name, m, published)
            if d is None:
                continue
        if limit is not None and not future_ok and d > limit:
            if _regex_relation(sentence, trigger, s, e)[0] == 0:
                after_pub = sentence[s:e]
            continue
        rel = _parse_relation(doc, trigger, s, e) if doc is not None else None
        if doc is not None and rel is None:
            if _span_tokens(doc, s, e) and _span_tokens(doc, t0, t1):
                continue  # the parse says the date belongs to another clause
            rel = _regex_relation(sentence, trigger, s, e)
        elif rel is None:
            rel = _regex_relation(sentence, trigger, s, e)
        if name in _RELATIVE:
            prec = _coarser(prec, published_precision)
            d = _norm_precision(d, prec) if prec in ("month", "year") else d
        before = sentence[max(0, s - 12):s]
        attributive = bool(_ATTRIBUTIVE_BEFORE.search(before)) and not _ADVERBIAL_BEFORE.search(before)
        dist = t0 - e if e <= t0 else s - t1 if s >= t1 else 0
        key = (rel[0], _RANK[prec], 1 if attributive else 0, abs(dist))
        if best is None or key < best[0]:
            best = (key, d, prec, sentence[s:e], f"{name}:{rel[1]}")
    if best is not None:
        _k, d, prec, text, rule = best
        return EventDate(d, prec, text, rule)
    if published is None:
        return EventDate(None, "none", None, "no_anchor")
    if future_ok:
        return EventDate(None, "none", None, "undated_future")
    if after_pub is not None:  # "will march next Sunday" read as asserted: no date, not the publication week
        return EventDate(None, "none", after_pub, "date_after_publication")
    rules = _event_rules()
    cut = 0
    for mm in _CLAUSE_BREAK.finditer(sentence[:t0]):
        cut = mm.end()
    if rules["background"].search(sentence[cut:t1]):
        return EventDate(published, "before", None, "background_before")
    prec = _coarser("week", published_precision)
    if prec == "week":
        start = ds.add_days(published, -(rules["news_window_days"] - 1))
        return EventDate(start or published, "week", None, "published_week")
    return EventDate(_norm_precision(published, prec), prec, None, "published_" + prec)
