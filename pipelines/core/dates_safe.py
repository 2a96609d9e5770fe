"""Range-checked date construction and arithmetic: nothing here raises on extreme or impossible values.

Every piece of the pipeline that builds a date from text or metadata (document dating, event dates, ingest
metadata, the linker) goes through these helpers, so "February 30", year 1, year 9999 or a date plus 10**6 days
is *ignored evidence* (None, with a logged reason) instead of an exception that stops a run.

- `safe_date(y, m, d)`   -> date | None   (None for impossible dates or any non-integer part)
- `add_days(d, n)`       -> date | None   (None when the result leaves date.min..date.max or d is None)
- `add_months(d, n)`     -> date | None   (day clamped to the month's end; None outside the calendar)
- `in_range(d)`          -> bool          (the sane window for news dates, below)
- `coerce_date(value)`   -> date | None   (date/datetime/ISO string/pandas-like Timestamp; None when unusable)

The sane window is `MIN_YEAR`..`MAX_YEAR` = 1900..2100 inclusive: news text refers back to history ("the 1905
revolution") but a publication or event date outside 1900-2100 is an OCR / parser / metadata error in every corpus
we ingest. `in_range` is the check callers use before trusting a date as evidence; the arithmetic helpers work on
the whole proleptic calendar and only refuse what `datetime.date` cannot represent.

Rejections are logged at DEBUG on the `pipelines.dates` logger (one line each, with the reason) and counted in
`REJECTED` (reason -> count) so a stage can report them in its metadata.
"""
from __future__ import annotations

import calendar
import datetime as dt
import logging
from collections import Counter

MIN_YEAR = 1900
MAX_YEAR = 2100

log = logging.getLogger("pipelines.dates")
REJECTED: Counter[str] = Counter()


def _reject(reason: str, detail: object = "") -> None:
    REJECTED[reason] += 1
    log.debug("date evidence ignored: %s %s", reason, detail)


def _as_int(x) -> int | None:
    if isinstance(x, bool):
        return None
    if isinstance(x, int):
        return x
    if isinstance(x, str):
        s = x.strip()
        if s.isdigit() and len(s) <= 6:
            return int(s)
        return None
    try:
        f = float(x)
    except (TypeError, ValueError, OverflowError):
        return None
    if f != f or f in (float("inf"), float("-inf")) or not f.is_integer():
        return None
    return int(f)


def safe_date(y, m, d) -> dt.date | None:
    """date(y, m, d) or None (impossible day such as 30 February, month 13, year 0/10000, non-integers)."""
    yi, mi, di = _as_int(y), _as_int(m), _as_int(d)
    if yi is None or mi is None or di is None:
        _reject("not_integer", (y, m, d))
        return None
    if not (dt.MINYEAR <= yi <= dt.MAXYEAR) or not (1 <= mi <= 12):
        _reject("out_of_calendar", (y, m, d))
        return None
    if not (1 <= di <= calendar.monthrange(yi, mi)[1]):
        _reject("no_such_day", (y, m, d))
        return None
    return dt.date(yi, mi, di)


def add_days(d: dt.date | None, n) -> dt.date | None:
    """d + n days, or None when d is None, n is not an integer, or the result leaves the calendar."""
    if d is None:
        return None
    ni = _as_int(n)
    if ni is None:
        _reject("not_integer", n)
        return None
    try:
        return d + dt.timedelta(days=ni)
    except (OverflowError, ValueError):
        _reject("overflow", (d, n))
        return None


def add_months(d: dt.date | None, n) -> dt.date | None:
    """d moved by n calendar months (day clamped to the target month's length), or None outside the calendar."""
    if d is None:
        return None
    ni = _as_int(n)
    if ni is None:
        _reject("not_integer", n)
        return None
    total = d.year * 12 + (d.month - 1) + ni
    y, m0 = divmod(total, 12)
    if not (dt.MINYEAR <= y <= dt.MAXYEAR):
        _reject("overflow", (d, n))
        return None
    return dt.date(y, m0 + 1, min(d.day, calendar.monthrange(y, m0 + 1)[1]))


def add_years(d: dt.date | None, n) -> dt.date | None:
    """d moved by n years (29 February -> 28 February), or None outside the calendar."""
    ni = _as_int(n)
    return add_months(d, ni * 12) if ni is not None else None


def days_between(a: dt.date | None, b: dt.date | None) -> int | None:
    """(b - a).days, None when either is None."""
    if a is None or b is None:
        return None
    return (b - a).days


def in_range(d: dt.date | None) -> bool:
    """True when d is a plausible news date (MIN_YEAR..MAX_YEAR inclusive, see module docstring)."""
    return d is not None and MIN_YEAR <= d.year <= MAX_YEAR


def checked(d: dt.date | None, reason: str = "outside_1900_2100") -> dt.date | None:
    """d when `in_range(d)`, else None (logged)."""
    if d is None:
        return None
    if in_range(d):
        return d
    _reject(reason, d)
    return None


def week_start(d: dt.date | None) -> dt.date | None:
    """Monday of d's ISO week (None near date.min)."""
    return None if d is None else add_days(d, -d.weekday())


def coerce_date(value) -> dt.date | None:
    """date / datetime / ISO-like string / Timestamp -> date; None when missing or unusable (never raises)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    to_py = getattr(value, "to_pydatetime", None)  # pandas Timestamp
    if callable(to_py):
        try:
            v = to_py()
            return v.date() if isinstance(v, dt.datetime) else None
        except (ValueError, OverflowError, TypeError):
            _reject("unparseable", value)
            return None
    s = str(value).strip()
    if len(s) < 10 or s.lower() in ("nan", "nat", "none", "null"):
        return None
    head = s[:10]
    if head[4:5] == "-" and head[7:8] == "-":
        return safe_date(head[:4], head[5:7], head[8:10])
    _reject("unparseable", value)
    return None
