"""Publication date of a story: metadata > explicit dated header > inferred from the body > none."""
from __future__ import annotations

import datetime as dt
import re

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
_M = r"(?P<m>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
_Y = r"(?P<y>(?:19|20)\d{2})"
_DATE_RES = [
    re.compile(rf"\b{_M}\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_Y}\b"),
    re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_M}\.?,?\s+{_Y}\b"),
    re.compile(r"\b(?P<y>(?:19|20)\d{2})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
]
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WEEKDAY_RE = re.compile(r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)(?:'s|’s)?\b")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+|\n")

SOURCES = ("metadata", "explicit", "inferred", "none")


def _mk(y: str, m: str, d: str) -> dt.date | None:
    month = int(m) if m.isdigit() else _MONTHS.get(m[:3].lower())
    try:
        return dt.date(int(y), int(month), int(d))
    except (TypeError, ValueError):
        return None


def find_dates(text: str) -> list[dt.date]:
    """Full calendar dates (with a year) written in `text`."""
    out = []
    for rx in _DATE_RES:
        for m in rx.finditer(text):
            d = _mk(m["y"], m["m"], m["d"])
            if d is not None:
                out.append(d)
    return out


def infer_date(body: str, exclude: re.Pattern | None = None) -> dt.date | None:
    """The latest full date in the body when the body also refers to that date's weekday ("on Monday") and
    mentions no later year.

    Sentences matching `exclude` (file-photo captions and the like) are ignored. Without an agreeing weekday
    reference the date is not trusted (the body may only mention an earlier event): returns None.
    """
    if exclude is not None and exclude.search(body):
        body = "\n".join(s for s in _SENT_SPLIT.split(body) if s and not exclude.search(s))
    weekdays = {m.group(1).lower() for m in _WEEKDAY_RE.finditer(body)}
    if not weekdays or not _YEAR.search(body):
        return None
    dates = find_dates(body)
    if not dates:
        return None
    latest = max(dates)
    if max(int(y) for y in _YEAR.findall(body)) > latest.year:
        return None  # the text knows a later year: the latest full date is not the news day
    if _WEEKDAYS[latest.weekday()] in weekdays:
        return latest
    return None


def to_date(value) -> dt.date | None:
    """datetime/date/ISO string -> date (None when unparseable or outside dates_safe.in_range, 1900..2100)."""
    from pipelines.core.dates_safe import checked, coerce_date

    return checked(coerce_date(value))
