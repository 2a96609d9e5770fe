"""Document-dating evidence finders: full dates, sentences, weekday cues, offsets, datelines, URL times, names.

Pure functions over strings (split out of clean/dating.py). Every date is built through pipelines.core.dates_safe.
"""
from __future__ import annotations

import bisect
import datetime as dt
import re

from pipelines.core import dates_safe as ds
from pipelines.core.datetext import DAY_RE, MONTH_RE, WEEKDAY_RE, YEAR_RE, month_number, weekday_number

from .dating_rules import DatingRules

_FULL_DATE_RES = [
    re.compile(rf"\b(?P<m>{MONTH_RE})\s+(?P<d>{DAY_RE}),?\s+(?P<y>{YEAR_RE})\b"),
    re.compile(rf"\b(?P<d>{DAY_RE})\s+(?:of\s+)?(?P<m>{MONTH_RE}),?\s+(?P<y>{YEAR_RE})\b"),
    re.compile(r"\b(?P<y>(?:19|20)\d{2})-(?P<m>[01]?\d)-(?P<d>[0-3]?\d)\b"),
    re.compile(r"\b(?P<y>(?:19|20)\d{2})/(?P<m>[01]?\d)/(?P<d>[0-3]?\d)\b"),
]
_YEARISH = re.compile(r"(?:1[89]|20)\d\d")
_MONTH_DAY_RE = re.compile(rf"\b(?P<m>{MONTH_RE})\s+(?P<d>{DAY_RE})\b(?!,?\s+{YEAR_RE})")
_MONTH_YEAR_RE = re.compile(rf"\b(?P<m>{MONTH_RE})\s+(?:of\s+)?(?P<y>{YEAR_RE})\b")
_YEAR_IN_TEXT = re.compile(r"(?<![\d$£€.,-])(?P<y>(?:19|20)\d{2})(?![\d%,.]\d|\s*(?:per\s*cent|%|km|million|billion))")
_WEEKDAY_CUE = re.compile(rf"(?<![Ee]very )(?<![Ee]ach )(?<![Ee]very other )\b(?P<wd>{WEEKDAY_RE})(?:'s|’s)?\b(?!s\b)")
# sentence ends, not after an abbreviation ("Dec. 28, 2017", "Sept. 3", "Mr. Abe")
_SENT_SPLIT = re.compile(r"(?<=[.!?])(?<!\b(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\.)(?<!\bSept\.)"
                         r"(?<!\b(?:Mr|Dr|St|No|Ms)\.)(?<!\bMrs\.)\s+|\n")
_OFFSET_RE = re.compile(r"\b(?P<n>an?|one|two|three|four|five|six|seven|eight|nine|ten|\d{1,3})\s+"
                        r"(?P<unit>days?|weeks?)\s+after\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?", re.I)
_SMALL = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "nine": 9, "ten": 10}


# ------------------------------------------------------------------------------------------------ parsing
def _mk(y, m, d) -> dt.date | None:
    mi = int(m) if str(m).isdigit() else month_number(str(m))
    if mi is None:
        return None
    return ds.checked(ds.safe_date(y, mi, re.sub(r"\D", "", str(d)) or "x"))


def find_full_dates(text: str) -> list[tuple[int, int, dt.date]]:
    """(start, end, date) of every full calendar date with a year in `text` (impossible / out-of-range ignored)."""
    if not _YEARISH.search(text):
        return []  # cheap pre-check: most sentences name no year
    out = []
    taken: list[tuple[int, int]] = []
    for rx in _FULL_DATE_RES:
        for m in rx.finditer(text):
            if any(m.start() < b and a < m.end() for a, b in taken):
                continue
            d = _mk(m["y"], m["m"], m["d"])
            if d is not None:
                out.append((m.start(), m.end(), d))
                taken.append((m.start(), m.end()))
    out.sort()
    return out


def find_dates(text: str) -> list[dt.date]:
    """Full calendar dates (with a year) written in `text` (compatibility helper)."""
    return [d for _s, _e, d in find_full_dates(text)]


def _sentences(text: str) -> list[str]:
    return [s for s in _SENT_SPLIT.split(text) if s and s.strip()]


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the sentences _sentences() returns, in order."""
    out, pos = [], 0
    for m in _SENT_SPLIT.finditer(text):
        if text[pos:m.start()].strip():
            out.append((pos, m.start()))
        pos = m.end()
    if text[pos:].strip():
        out.append((pos, len(text)))
    return out


def _hit_sentences(rx: re.Pattern, text: str, starts: list[int]) -> set[int]:
    """Indexes of the sentences (by their start offsets) in which `rx` matches: one pass over the whole text."""
    return {bisect.bisect_right(starts, m.start()) - 1 for m in rx.finditer(text)}


def _window(lo: dt.date, hi: dt.date) -> tuple[dt.date | None, str]:
    """The narrowest unit holding [lo, hi]: (date, precision)."""
    if hi < lo:
        lo, hi = hi, lo
    if lo == hi:
        return lo, "day"
    if (hi - lo).days <= 6:
        return lo, "week"
    if (lo.year, lo.month) == (hi.year, hi.month):
        return lo.replace(day=1), "month"
    if lo.year == hi.year:
        return lo.replace(month=1, day=1), "year"
    return None, "none"


# ------------------------------------------------------------------------------------------------ evidence
def _weekday_cues(sentences: list[str], rules: DatingRules) -> set[int]:
    """Weekdays the (past, non-future) `sentences` name ("on Monday", "Saturday's vote"; not "every Monday")."""
    out = set()
    for s in sentences:
        if "day" not in s:
            continue  # every weekday name ends in "day"
        for m in _WEEKDAY_CUE.finditer(s):
            wd = weekday_number(m["wd"])
            if wd is not None:
                out.add(wd)
    return out


def _offset_dates(sentence: str) -> list[dt.date]:
    """ "44 days after the August 9, 2020 election" -> the date it names (only with a full date)."""
    out = []
    for om in _OFFSET_RE.finditer(sentence):
        for s, _e, d in find_full_dates(sentence[om.end(): om.end() + 40]):
            if s > 25:
                break
            k = int(om["n"]) if om["n"].isdigit() else _SMALL.get(om["n"].lower())
            step = 7 if om["unit"].lower().startswith("week") else 1
            x = ds.checked(ds.add_days(d, (k or 0) * step)) if k else None
            if x is not None:
                out.append(x)
            break
    return out


def _dateline_day(m: re.Match, full: list[dt.date]) -> dt.date | None:
    """A dateline's month + day in the year of the story's latest full date (the next year when that would put the
    dateline before the date the story reports, e.g. "Jan 2" over a "Dec. 28, 2017"). Bare years ("his 1969
    classic") never give the year: without a full date the dateline has no year (None)."""
    if not full:
        return None
    latest = max(full)
    d = _mk(latest.year, m["m"], m["d"])
    if d is not None and d < latest:
        d = _mk(latest.year + 1, m["m"], m["d"])
        if d is not None and (d - latest).days > 366:
            return None
    return d


def _url_timestamp(url: str, rules: DatingRules) -> dt.date | None:
    """The UTC day of a Unix time / MongoDB ObjectId the URL carries (rules url_timestamp_patterns), or None."""
    for rx in rules.url_timestamp:
        m = rx.search(url)
        if not m:
            continue
        gd = m.groupdict()
        secs = int(gd["epoch"]) if gd.get("epoch") else int(gd["oid"], 16) if gd.get("oid") else None
        if secs is None:
            continue
        try:
            d = dt.datetime.fromtimestamp(secs, tz=dt.timezone.utc).date()
        except (OverflowError, OSError, ValueError):
            continue
        if rules.url_timestamp_min_year <= d.year and d <= dt.date.today() and ds.in_range(d):
            return d
    return None


_NAME_RE = re.compile(r"\b[A-Z][\w'’-]+")


def _names(text: str, rules: DatingRules) -> set[str]:
    """Capitalised words that can name a person / place / body (not months, weekdays, photo-credit words)."""
    out = set()
    for m in _NAME_RE.finditer(text):
        w = m.group(0).rstrip("'’").lower()
        w = re.sub(r"(?:'s|’s)$", "", w)
        if len(w) < rules.caption_name_min_len or w in rules.caption_name_stopwords:
            continue
        if month_number(w) is not None or weekday_number(w) is not None:
            continue
        out.add(w)
    return out


def _tweet_dates(text: str, rules: DatingRules) -> list[dt.date]:
    """Dates of embedded tweets: "— Name (@handle) February 5, 2018" (the date within 3 characters of the handle)."""
    if rules.tweet_embed is None or "(@" not in text:
        return []
    out = []
    for m in rules.tweet_embed.finditer(text):
        for s0, _e, d in find_full_dates(text[m.end(): m.end() + 30])[:1]:
            if s0 == 0:
                out.append(d)
    return out
