"""Resolve date expressions in a sentence against the story's publication date (mentions; split out of
extract/dates.py, which re-exports resolve_date / find_date_mentions / offset_mentions).

Pure functions, no NLP model. Every expression class is a named regex; the resolved value is
(event_date, date_precision, date_text) with date_precision in day|week|month|year|none.

Rules (documented, deterministic):
- relative days: "today"/"tonight"/"this morning" = published, "yesterday"/"last night" = published - 1,
  "tomorrow" = published + 1 (only when the sentence is future; otherwise ignored).
- weekdays ("on Saturday", "Saturday's vote"): the most recent such weekday on or before `published`;
  with future=True the next such weekday strictly after `published`. "every Sunday" is habitual -> ignored.
  A planned weekday may be the publication day itself ("has called for protests on Sunday", published on a Sunday).
  An explicit direction wins over the tense: "next Sunday" / "this coming Sunday" is the next one strictly after
  `published`; "later Sunday" the one on or after it; "last Sunday" the one of the previous ISO week
  ("last Wednesday" said on Thursday 1 Feb 2018 about the 24-25 Jan Davos speech: the week before, not yesterday).
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
from datetime import date

from pipelines.core import dates_safe as ds
from pipelines.core.datetext import DAY_RE as _DAY
from pipelines.core.datetext import MONTH_FULL_RE, MONTH_KEYS, MONTHS, WEEKDAYS
from pipelines.core.datetext import MONTH_RE as _MON
from pipelines.core.datetext import WEEKDAY_RE as _WD
from pipelines.core.datetext import YEAR_RE as _YEAR

# (rule name, compiled regex). Order matters only for overlap resolution (longest match wins).
_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("month_day_year", re.compile(rf"\b(?P<mon>{_MON})\s+(?P<day>{_DAY}),?\s+(?P<year>{_YEAR})\b")),
    ("day_month_year", re.compile(rf"\b(?P<day>{_DAY})\s+(?:of\s+)?(?P<mon>{_MON})\s*,?\s+(?P<year>{_YEAR})\b")),
    ("month_day", re.compile(rf"\b(?P<mon>{_MON})\s+(?P<day>{_DAY})\b(?!\s*(?:per\s*cent|%|million|billion))")),
    ("day_month", re.compile(rf"\b(?P<day>{_DAY})\s+(?:of\s+)?(?P<mon>{_MON})\b")),
    ("month_year", re.compile(rf"\b(?P<mon>{_MON})\s+(?:of\s+)?(?P<year>{_YEAR})\b")),
    ("in_month", re.compile(rf"\b(?:in|during|early|late|mid-?)\s+(?P<mon>{MONTH_FULL_RE})\b(?!\s+\d)")),
    ("in_year", re.compile(rf"\b(?:in|during)\s+(?P<year>{_YEAR})\b(?!\s*(?:per|%))")),
    ("yesterday", re.compile(r"\b(?:[Yy]esterday|[Ll]ast night)\b")),
    ("today", re.compile(r"\b(?:[Tt]oday|[Tt]onight|[Tt]his (?:morning|afternoon|evening))\b")),
    ("tomorrow", re.compile(r"\b[Tt]omorrow\b")),
    ("weekday", re.compile(rf"(?<![Ee]very )(?<![Ee]ach )\b(?P<wd>{_WD})\b(?!s\b)")),
    # explicit direction beats the sentence's tense: "next Sunday" / "this coming Sunday" is after publication,
    # "last Sunday" strictly before it (on a Sunday, the previous week's)
    ("next_weekday", re.compile(rf"\b(?:[Nn]ext|[Tt]his\s+coming|[Cc]oming)\s+(?P<wd>{_WD})\b(?!s\b)")),
    ("later_weekday", re.compile(rf"\b[Ll]ater\s+(?:on\s+)?(?P<wd>{_WD})\b(?!s\b)")),
    ("last_weekday", re.compile(rf"\b(?:[Ll]ast|[Pp]revious|[Pp]ast)\s+(?P<wd>{_WD})\b(?!s\b)")),
    ("rel_week", re.compile(r"\b(?P<which>[Ll]ast|[Tt]his|[Nn]ext|[Pp]revious)\s+(?P<unit>week(?:end)?|month|year)\b")),
    ("rel_week", re.compile(r"\b[Ee]arlier\s+(?P<which>this)\s+(?P<unit>week|month|year)\b")),
    ("ago", re.compile(r"\b(?P<n>an?|one|two|three|four|five|six|seven|eight|nine|ten|\d{1,2})\s+"
                       r"(?P<unit>days?|weeks?|months?|years?)\s+ago\b", re.I)),
    ("weekend", re.compile(r"\b(?:at|over)\s+the\s+weekend\b", re.I)),
]
_SMALL = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "nine": 9, "ten": 10}

_ADVERBIAL_BEFORE = re.compile(r"(?:\b(?:on|since|from|by|until|till|to|in|at|of|during|late|early|earlier|later)\s*"
                               r"|,\s*)$", re.I)
_ATTRIBUTIVE_BEFORE = re.compile(r"(?:\b(?:the|a|an|its|his|her|their)|['’]s)\s*$", re.I)


# cheap prefilter (substring tests on the lower-cased sentence): each rule runs only when one of its keywords is there
_MONTH_KEYS = MONTH_KEYS
_RULE_KEYS = {
    "month_day_year": _MONTH_KEYS, "day_month_year": _MONTH_KEYS, "month_day": _MONTH_KEYS, "day_month": _MONTH_KEYS,
    "month_year": _MONTH_KEYS, "in_month": _MONTH_KEYS, "in_year": ("in ", "during "),
    "yesterday": ("yesterday", "last night"), "today": ("today", "tonight", "this "), "tomorrow": ("tomorrow",),
    "weekday": ("day",), "next_weekday": ("next", "coming"), "later_weekday": ("later",),
    "last_weekday": ("last", "previous", "past"),
    "rel_week": ("week", "month", "year"), "ago": (" ago",), "weekend": ("weekend",),
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


_safe_date = ds.safe_date


NEAR_FUTURE_DAYS = 45


def _shift_year(d: date, published: date, future: bool) -> date | None:
    if not future and d > published:
        if (d - published).days <= NEAR_FUTURE_DAYS:
            return None  # "after Nov. 5" read on 3 Oct: a near-future date in a sentence not marked future -> no guess
        return _safe_date(d.year - 1, d.month, d.day) or d
    back = ds.add_days(published, -31)
    if future and back is not None and d < back:
        return _safe_date(d.year + 1, d.month, d.day) or d
    return d


def _small(n: str) -> int | None:
    if n.isdigit():
        return int(n)
    return _SMALL.get(n.lower())


def _resolve_one(name: str, m: re.Match[str], published: date | None, future: bool):
    """-> (date|None, precision) or None when the mention does not apply (or its arithmetic leaves the calendar:
    every date here is built through dates_safe, so year 1 / 9999 / "February 30" are ignored, never raised)."""
    g = m.groupdict()
    if name in ("month_day_year", "day_month_year"):
        d = ds.checked(_safe_date(int(g["year"]), _month(g["mon"]), int(re.sub(r"\D", "", g["day"]))))
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
        d = ds.checked(_safe_date(int(g["year"]), _month(g["mon"]), 1))
        return (d, "month") if d else None
    if name == "in_month":
        if published is None:
            return (None, "none")
        d = _safe_date(published.year, _month(g["mon"]), 1)
        if d is None:
            return None
        if not future and d > published:
            d = _safe_date(published.year - 1, d.month, 1)
        elif future and d.year == published.year and d.month < published.month:
            d = _safe_date(published.year + 1, d.month, 1)
        return (d, "month") if d else None
    if name == "in_year":
        d = ds.checked(_safe_date(int(g["year"]), 1, 1))
        return (d, "year") if d else None
    if published is None:
        return (None, "none")
    out: tuple[date | None, str] | None = None
    if name == "yesterday":
        out = (ds.add_days(published, -1), "day")
    elif name == "today":
        out = (published, "day")
    elif name == "tomorrow":
        out = (ds.add_days(published, 1), "day") if future else None
    elif name == "weekday":
        wd = WEEKDAYS[g["wd"].lower()]
        if future:  # "will meet on Sunday" published on a Sunday: that day ("next Sunday" says otherwise)
            out = (ds.add_days(published, (wd - published.weekday()) % 7), "day")
        else:
            out = (ds.add_days(published, -((published.weekday() - wd) % 7)), "day")
    elif name == "next_weekday":
        wd = WEEKDAYS[g["wd"].lower()]
        out = (ds.add_days(published, (wd - published.weekday()) % 7 or 7), "day")
    elif name == "later_weekday":  # "an emergency meeting for later Sunday": on or after publication
        wd = WEEKDAYS[g["wd"].lower()]
        out = (ds.add_days(published, (wd - published.weekday()) % 7), "day")
    elif name == "last_weekday":  # the weekday of the previous ISO week ("last Wednesday" said on a Thursday)
        wd = WEEKDAYS[g["wd"].lower()]
        out = (ds.add_days(ds.week_start(published), wd - 7), "day")
    elif name == "ago":
        k = _small(g["n"])
        unit = g["unit"].lower().rstrip("s")
        if k is None:
            return None
        if unit == "day":
            out = (ds.add_days(published, -k), "day")
        elif unit == "week":
            out = (ds.add_days(published, -7 * k), "week")
        elif unit == "month":
            back = ds.add_months(published, -k)
            out = (back.replace(day=1) if back else None, "month")
        else:
            back = ds.add_years(published, -k)
            out = (back.replace(month=1, day=1) if back else None, "year")
    elif name == "weekend":
        # "at the weekend": the last Saturday on or before publication (next one when future)
        sat = ds.add_days(published, -((published.weekday() - 5) % 7))
        if future and sat is not None and sat < published:
            sat = ds.add_days(sat, 7)
        out = (sat, "week")
    elif name == "rel_week":
        which = g["which"].lower()
        unit = g["unit"].lower()
        step = {"last": -1, "previous": -1, "this": 0, "next": 1}[which]
        if step > 0 and not future:
            return None
        if unit in ("week", "weekend"):
            this_monday = ds.week_start(published)
            monday = ds.add_days(this_monday, 7 * step)
            if unit == "weekend":
                monday = ds.add_days(monday, 5)
            if not future and monday is not None and monday > published:
                monday = this_monday
            out = (monday, "week")
        elif unit == "month":
            mo = ds.add_months(published.replace(day=1), step)
            out = (mo, "month")
        else:
            yr = ds.add_years(published.replace(month=1, day=1), step)
            out = (yr, "year")
    if out is None or out[0] is None:
        return None
    return out


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


_OFFSET = re.compile(r"\b(?P<n>an?|one|two|three|four|five|six|seven|eight|nine|ten|\d{1,3})\s+(?P<unit>days?|weeks?|"
                     r"months?)\s+(?P<dir>after|before|since|from)\s+", re.I)
_OFFSET_REACH = 40  # chars between "N days after" and the dated mention it counts from ("the August 9 election")


def offset_mentions(sentence: str, published: date | None, future: bool = False):
    """ "44 days after the August 9 election", "a week after Aug. 9": (start, end, date, precision, text) with the
    offset applied to the dated mention that follows within _OFFSET_REACH characters (no sentence punctuation)."""
    low = sentence.lower()
    if " after " not in low and " before " not in low and " since " not in low and " from " not in low:
        return []
    out = []
    mentions = None
    for om in _OFFSET.finditer(sentence):
        if mentions is None:
            mentions = _iter_mentions(sentence)
        for s, e, name, m in mentions:
            if s < om.end() or s - om.end() > _OFFSET_REACH:
                continue
            if re.search(r"[.;:!?]", sentence[om.end():s]):
                break
            if name not in ("month_day_year", "day_month_year", "month_day", "day_month"):
                break
            res = _resolve_one(name, m, published, False)
            if res is None or res[0] is None:
                break
            k = _small(om["n"])
            if k is None:
                break
            sign = -1 if om["dir"].lower() == "before" else 1
            unit = om["unit"].lower().rstrip("s")
            if unit == "day":
                d, prec = ds.add_days(res[0], sign * k), "day"
            elif unit == "week":
                d, prec = ds.add_days(res[0], sign * 7 * k - 3), "week"  # window centred on the nominal day
            else:
                d, prec = ds.add_months(res[0], sign * k), "month"
                d = d.replace(day=1) if d else None
            if d is not None:
                out.append((om.start(), e, ds.checked(d), prec, sentence[om.start():e]))
            break
    return [o for o in out if o[2] is not None]
