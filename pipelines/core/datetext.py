"""The one table of English month and weekday names, and the regex fragments built from it.

Every date parser in the pipeline (document dating in clean/dating.py, event dates in extract/dates.py, the
synthetic-text generator, the linker's date check) takes month / weekday names from here; there is no other
month table. Dates are built through pipelines.core.dates_safe (never `datetime.date(...)` on parsed numbers).
"""
from __future__ import annotations

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# lower-case name or abbreviation (without the dot) -> month number
MONTHS: dict[str, int] = {}
for _i, _n in enumerate(MONTH_NAMES, start=1):
    MONTHS[_n.lower()] = _i
    MONTHS[_n[:3].lower()] = _i
MONTHS["sept"] = 9
WEEKDAYS: dict[str, int] = {n.lower(): i for i, n in enumerate(WEEKDAY_NAMES)}
for _i, _n in enumerate(WEEKDAY_NAMES):
    WEEKDAYS[_n[:3].lower()] = _i
WEEKDAYS.update({"tues": 1, "wed": 2, "thur": 3, "thurs": 3})

# regex fragments (no capture groups)
MONTH_RE = ("(?:" + "|".join(MONTH_NAMES) + "|"
            + "|".join(n[:3] + r"\.?" for n in MONTH_NAMES if n != "May") + r"|Sept\.?)")
MONTH_FULL_RE = "(?:" + "|".join(MONTH_NAMES) + ")"
WEEKDAY_RE = "(?:" + "|".join(WEEKDAY_NAMES) + ")"
WEEKDAY_ABBR_RE = r"(?:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)"
DAY_RE = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
YEAR_RE = r"(?:1[89]\d\d|20\d\d)"
# lower-case prefixes for cheap substring prefilters
MONTH_KEYS = tuple(n[:3].lower() for n in MONTH_NAMES)


def month_number(token: str) -> int | None:
    """'Sept.' / 'october' / 'Oct' -> 9 / 10 / 10; None when not a month name."""
    return MONTHS.get(token.strip().rstrip(".").lower())


def weekday_number(token: str) -> int | None:
    """'Monday' / 'Mon.' -> 0; None when not a weekday name."""
    return WEEKDAYS.get(token.strip().rstrip(".").lower().removesuffix("'s").removesuffix("’s"))
