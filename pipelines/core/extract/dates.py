"""Resolve date expressions in a sentence against the story's publication date.

Pure functions, no NLP model. Every expression class is a named regex; the resolved value is
(event_date, date_precision, date_text) with date_precision in day|week|month|year|none.

Rules (documented, deterministic):
- relative days: "today"/"tonight"/"this morning" = published, "yesterday"/"last night" = published - 1,
  "tomorrow" = published + 1 (only when the sentence is future; otherwise ignored).
- weekdays ("on Saturday", "Saturday's vote"): the most recent such weekday on or before `published`;
  with future=True the next such weekday strictly after `published`. "every Sunday" is habitual -> ignored.
- "last/this/next week" -> Monday of that ISO week (precision week); "last/this month" -> 1st of the
  month (month); "last/this year" -> 1 January (year). Past references are clipped to `published`.
- absolute dates ("Aug. 9", "October 2", "on 19 August", "September 21, 2020"): an explicit year wins;
  without a year the publication year is used, moved one year back when the result would be more than 45 days
  after `published` (new-year boundary); a date 1-45 days after `published` in a sentence not marked future is a
  near-future reference and is left unresolved (never moved a year back, never after `published`). With
  future=True a date more than a month before `published` moves one year on.
- "in September" -> month precision; "in 2016" -> year precision.
- "two days ago" -> published - 2 (day); "three weeks ago" -> week; "a month ago" -> 1st of that month (month);
  "at the weekend" -> the Saturday on or before publication (week precision).
- Without a publication date only expressions carrying their own year resolve; others give (None, "none", text).
- Several mentions: a day-precise one wins over week/month/year; among equals, an adverbial one
  ("on Oct. 2", "yesterday") beats an attributive one ("the Aug 9 election"); then the first in the sentence.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}

_MON = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
        r"Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept\.?|Sep\.?|Oct\.?|Nov\.?|Dec\.?)")
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|20\d\d)"
_WD = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"

# (rule name, compiled regex). Order matters only for overlap resolution (longest match wins).
_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("month_day_year", re.compile(rf"\b(?P<mon>{_MON})\s+(?P<day>{_DAY}),?\s+(?P<year>{_YEAR})\b")),
    ("day_month_year", re.compile(rf"\b(?P<day>{_DAY})\s+(?:of\s+)?(?P<mon>{_MON})\s*,?\s+(?P<year>{_YEAR})\b")),
    ("month_day", re.compile(rf"\b(?P<mon>{_MON})\s+(?P<day>{_DAY})\b(?!\s*(?:per\s*cent|%|million|billion))")),
    ("day_month", re.compile(rf"\b(?P<day>{_DAY})\s+(?:of\s+)?(?P<mon>{_MON})\b")),
    ("month_year", re.compile(rf"\b(?P<mon>{_MON})\s+(?:of\s+)?(?P<year>{_YEAR})\b")),
    ("in_month", re.compile(rf"\b(?:in|during|early|late|mid-?)\s+(?P<mon>January|February|March|April|June|July|August|September|October|November|December)\b(?!\s+\d)")),
    ("in_year", re.compile(rf"\b(?:in|during)\s+(?P<year>{_YEAR})\b(?!\s*(?:per|%))")),
    ("yesterday", re.compile(r"\b(?:[Yy]esterday|[Ll]ast night)\b")),
    ("today", re.compile(r"\b(?:[Tt]oday|[Tt]onight|[Tt]his (?:morning|afternoon|evening))\b")),
    ("tomorrow", re.compile(r"\b[Tt]omorrow\b")),
    ("weekday", re.compile(rf"(?<![Ee]very )(?<![Ee]ach )\b(?P<wd>{_WD})\b(?!s\b)")),
    ("rel_week", re.compile(r"\b(?P<which>[Ll]ast|[Tt]his|[Nn]ext|[Pp]revious)\s+(?P<unit>week(?:end)?|month|year)\b")),
    ("rel_week", re.compile(r"\b[Ee]arlier\s+(?P<which>this)\s+(?P<unit>week|month|year)\b")),
    ("ago", re.compile(r"\b(?P<n>an?|one|two|three|four|five|six|seven|eight|nine|ten|\d{1,2})\s+(?P<unit>days?|weeks?|months?|years?)\s+ago\b", re.I)),
    ("weekend", re.compile(r"\b(?:at|over)\s+the\s+weekend\b", re.I)),
]
_SMALL = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "nine": 9, "ten": 10}

_ADVERBIAL_BEFORE = re.compile(r"(?:\b(?:on|since|from|by|until|till|to|in|at|of|during|late|early|earlier|later)\s*|,\s*)$", re.I)
_ATTRIBUTIVE_BEFORE = re.compile(r"(?:\b(?:the|a|an|its|his|her|their)|['’]s)\s*$", re.I)


# cheap prefilter (substring tests on the lower-cased sentence): each rule runs only when one of its keywords is there
_MONTH_KEYS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_RULE_KEYS = {
    "month_day_year": _MONTH_KEYS, "day_month_year": _MONTH_KEYS, "month_day": _MONTH_KEYS, "day_month": _MONTH_KEYS,
    "month_year": _MONTH_KEYS, "in_month": _MONTH_KEYS, "in_year": ("in ", "during "),
    "yesterday": ("yesterday", "last night"), "today": ("today", "tonight", "this "), "tomorrow": ("tomorrow",),
    "weekday": ("day",), "rel_week": ("week", "month", "year"), "ago": (" ago",), "weekend": ("weekend",),
}
_NEEDS_DIGIT = {"month_day_year", "day_month_year", "month_day", "day_month", "month_year", "in_year"}


def _iter_mentions(sentence: str):
    """All non-overlapping date mentions: (start, end, rule, match), longest first on overlap."""
    found = []
    low = sentence.lower()
    has_digit = any(c.isdigit() for c in sentence)
    for name, rx in _RULES:
        if name in _NEEDS_DIGIT and not has_digit:
            continue
        if not any(k in low for k in _RULE_KEYS[name]):
            continue
        for m in rx.finditer(sentence):
            found.append((m.start(), m.end(), name, m))
    # longest first, then earliest; drop overlaps
    found.sort(key=lambda t: (-(t[1] - t[0]), t[0]))
    kept: list[tuple[int, int, str, re.Match[str]]] = []
    for f in found:
        if all(f[1] <= k[0] or f[0] >= k[1] for k in kept):
            kept.append(f)
    kept.sort(key=lambda t: t[0])
    return kept


def find_date_mentions(sentence: str) -> list[tuple[int, int, str]]:
    """Spans (start, end, text) of date expressions in the sentence, sorted by start."""
    return [(s, e, sentence[s:e]) for s, e, _n, _m in _iter_mentions(sentence)]


def _month(tok: str) -> int:
    return MONTHS[tok.rstrip(".").lower()]


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


NEAR_FUTURE_DAYS = 45


def _shift_year(d: date, published: date, future: bool) -> date | None:
    if not future and d > published:
        if (d - published).days <= NEAR_FUTURE_DAYS:
            return None  # "after Nov. 5" read on 3 Oct: a near-future date in a sentence not marked future -> no guess
        return _safe_date(d.year - 1, d.month, d.day) or d
    if future and d < published - timedelta(days=31):
        return _safe_date(d.year + 1, d.month, d.day) or d
    return d


def _resolve_one(name: str, m: re.Match[str], published: date | None, future: bool):
    """-> (date|None, precision) or None when the mention does not apply."""
    g = m.groupdict()
    if name in ("month_day_year", "day_month_year"):
        d = _safe_date(int(g["year"]), _month(g["mon"]), int(re.sub(r"\D", "", g["day"])))
        return (d, "day") if d else None
    if name in ("month_day", "day_month"):
        day = int(re.sub(r"\D", "", g["day"]))
        mon = _month(g["mon"])
        if name == "month_day" and g["mon"].lower() == "may" and not m.group(0)[:1].isupper():
            return None
        if published is None:
            return (None, "none")
        d = _safe_date(published.year, mon, day)
        if d is None:
            return None
        d = _shift_year(d, published, future)
        return (d, "day") if d else None
    if name == "month_year":
        return (date(int(g["year"]), _month(g["mon"]), 1), "month")
    if name == "in_month":
        if published is None:
            return (None, "none")
        d = date(published.year, _month(g["mon"]), 1)
        if not future and d > published:
            d = date(published.year - 1, d.month, 1)
        elif future and d.year == published.year and d.month < published.month:
            d = date(published.year + 1, d.month, 1)
        return (d, "month")
    if name == "in_year":
        return (date(int(g["year"]), 1, 1), "year")
    if published is None:
        return (None, "none")
    if name == "yesterday":
        return (published - timedelta(days=1), "day")
    if name == "today":
        return (published, "day")
    if name == "tomorrow":
        return (published + timedelta(days=1), "day") if future else None
    if name == "weekday":
        wd = WEEKDAYS[g["wd"].lower()]
        if future:
            delta = (wd - published.weekday()) % 7 or 7
            return (published + timedelta(days=delta), "day")
        delta = (published.weekday() - wd) % 7
        return (published - timedelta(days=delta), "day")
    if name == "ago":
        k = int(g["n"]) if g["n"].isdigit() else _SMALL[g["n"].lower()]
        unit = g["unit"].lower().rstrip("s")
        if unit == "day":
            return (published - timedelta(days=k), "day")
        if unit == "week":
            return (published - timedelta(weeks=k), "week")
        if unit == "month":
            y, mo = published.year, published.month - k
            while mo <= 0:
                y, mo = y - 1, mo + 12
            return (date(y, mo, 1), "month")
        return (date(published.year - k, 1, 1), "year")
    if name == "weekend":
        # "at the weekend": the last Saturday on or before publication (next one when future)
        delta = (published.weekday() - 5) % 7
        sat = published - timedelta(days=delta)
        if future and sat < published:
            sat += timedelta(days=7)
        return (sat, "week")
    if name == "rel_week":
        which = g["which"].lower()
        unit = g["unit"].lower()
        step = {"last": -1, "previous": -1, "this": 0, "next": 1}[which]
        if step > 0 and not future:
            return None
        if unit in ("week", "weekend"):
            monday = published - timedelta(days=published.weekday()) + timedelta(weeks=step)
            if unit == "weekend":
                monday += timedelta(days=5)
            if not future and monday > published:
                monday = published - timedelta(days=published.weekday())
            return (monday, "week")
        if unit == "month":
            y, mo = published.year, published.month + step
            if mo == 0:
                y, mo = y - 1, 12
            elif mo == 13:
                y, mo = y + 1, 1
            return (date(y, mo, 1), "month")
        return (date(published.year + step, 1, 1), "year")
    return None


_PREC_RANK = {"day": 0, "week": 1, "month": 2, "year": 3, "none": 4}


def resolve_date(sentence: str, published: date | None, future: bool = False) -> tuple[date | None, str, str | None]:
    """(event_date, date_precision, date_text) for the best date mention of the sentence.

    Fallback (None, "none", None): the caller then uses the publication date with a lower precision.
    A past-tense (future=False) result is never after `published`.
    """
    best = None
    for s, e, name, m in _iter_mentions(sentence):
        res = _resolve_one(name, m, published, future)
        if res is None:
            continue
        d, prec = res
        if d is not None and published is not None and not future and d > published:
            continue
        before = sentence[max(0, s - 12):s]
        attributive = bool(_ATTRIBUTIVE_BEFORE.search(before)) and not _ADVERBIAL_BEFORE.search(before)
        key = (_PREC_RANK[prec] if d is not None else 9, 1 if attributive else 0, s)
        if best is None or key < best[0]:
            best = (key, d, prec, sentence[s:e])
    if best is None:
        return (None, "none", None)
    _k, d, prec, text = best
    if d is None:
        return (None, "none", text)
    return (d, prec, text)
