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
The precision is the narrowest calendar unit that contains the final interval; a day is never invented.

All date construction goes through pipelines.core.dates_safe: years 1 / 9999 or "February 30" are ignored
evidence (logged), never an exception.
"""
from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from pipelines.core import dates_safe as ds
from pipelines.core.datetext import DAY_RE, MONTH_RE, WEEKDAY_RE, YEAR_RE, month_number, weekday_number

RULES_FILE = Path(__file__).resolve().parents[2] / "rules" / "dating.yaml"
PRECISIONS = ("day", "week", "month", "year", "none")
SOURCES = ("metadata", "explicit", "inferred", "none")

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
_OFFSET_RE = re.compile(r"\b(?P<n>an?|one|two|three|four|five|six|seven|eight|nine|ten|\d{1,3})\s+(?P<unit>days?|weeks?)\s+"
                        r"after\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?", re.I)
_SMALL = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "nine": 9, "ten": 10}


@dataclass(frozen=True)
class Evidence:
    rule: str
    lo: dt.date
    hi: dt.date
    strength: int
    text: str = ""


@dataclass
class Dating:
    date: dt.date | None
    precision: str
    rule: str
    source: str
    lo: dt.date | None = None
    hi: dt.date | None = None
    evidence: list[Evidence] = field(default_factory=list)

    def as_columns(self) -> dict:
        return {"published_date": self.date, "published_precision": self.precision, "published_rule": self.rule,
                "published_date_source": self.source}


@dataclass(frozen=True)
class DatingRules:
    strength: dict[str, int]
    source: dict[str, str]
    exclude: re.Pattern
    future: re.Pattern
    exclude_lc: re.Pattern
    future_lc: re.Pattern
    caption_rules: frozenset[str]
    header_rules: frozenset[str]
    url_date: list[re.Pattern]
    latest_date_window: int
    latest_date_alone: bool
    inline_header: re.Pattern
    inline_header_chars: int
    caption_window: int
    caption_alone: bool
    year_only: bool
    month_only: bool
    feed_min_dated: int
    max_gap_days: int
    url_timestamp: list[re.Pattern] = field(default_factory=list)
    url_timestamp_min_year: int = 2009
    tweet_embed: re.Pattern | None = None
    caption_max_lag: int = 366
    caption_name_min_len: int = 4
    caption_name_stopwords: frozenset[str] = frozenset()


@lru_cache(maxsize=4)
def load_rules(path: str = str(RULES_FILE)) -> DatingRules:
    d = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["document"]
    ev = d["evidence"]
    return DatingRules(
        strength={k: int(v["strength"]) for k, v in ev.items()},
        source={k: v["source"] for k, v in ev.items()},
        exclude=re.compile(d["exclude_sentences"], re.I),
        future=re.compile(d["future_sentences"], re.I),
        exclude_lc=re.compile(d["exclude_sentences"]),
        future_lc=re.compile(d["future_sentences"]),
        caption_rules=frozenset(d["caption_span_rules"]),
        header_rules=frozenset(d["header_span_rules"]),
        url_date=[re.compile(p) for p in d["url_date_patterns"]],
        latest_date_window=int(d["latest_date_window_days"]),
        latest_date_alone=bool(d.get("latest_date_alone", False)),
        inline_header=re.compile(d["inline_header"]["pattern"], re.I),
        inline_header_chars=int(d["inline_header"]["first_chars"]),
        caption_window=int(d["caption_window_days"]),
        caption_alone=bool(d.get("caption_date_alone", False)),
        year_only=bool(d["year_only"]),
        month_only=bool(d.get("month_only", False)),
        feed_min_dated=int(d["feed"]["min_dated"]),
        max_gap_days=int(d["feed"]["max_gap_days"]),
        url_timestamp=[re.compile(p) for p in d.get("url_timestamp_patterns", [])],
        url_timestamp_min_year=int(d.get("url_timestamp_min_year", 2009)),
        tweet_embed=re.compile(d["tweet_embed"]) if d.get("tweet_embed") else None,
        caption_max_lag=int(d.get("caption_max_lag_days", 366)),
        caption_name_min_len=int(d.get("caption_name_min_len", 4)),
        caption_name_stopwords=frozenset(w.lower() for w in d.get("caption_name_stopwords", [])),
    )


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


def text_evidence(text: str, spans: list[tuple[str, str]] = (), url: str | None = None,
                  rules: DatingRules | None = None) -> tuple[list[Evidence], str]:
    """Evidence intervals from one story's own words: its header / caption / dateline spans (rule, text) as the
    cleaner removed them, its clean body `text`, and optionally the document URL. Returns (evidence, reason) where
    reason says why nothing was found."""
    r = rules or load_rules()
    ev: list[Evidence] = []

    def add(rule: str, lo, hi, txt: str = "") -> None:
        if lo is not None and hi is not None and ds.in_range(lo) and ds.in_range(hi):
            ev.append(Evidence(rule, lo, hi, r.strength[rule], txt[:80]))

    # --- headers: "Updated: 2017-09-15 17:52", "Published 3 October 2020", "date 2020-10-03"
    for rule, stext in spans:
        if rule in r.header_rules:
            for _s, _e, d in find_full_dates(stext)[:1]:
                add("dated_header", d, d, stext)
    # --- the same header left inside the body's first lines ("... sparks outrage Updated: 2016-05-30 09:53")
    head = text[: r.inline_header_chars]
    for m in r.inline_header.finditer(head):
        for s0, _e, d in find_full_dates(head[m.end(): m.end() + 40])[:1]:
            if s0 <= 2:
                add("dated_header_inline", d, d, head[m.start(): m.end() + 30])
    # --- URL: /2017/09/15/, /2017-09/15/, 20170915
    if url:
        for rx in r.url_date:
            m = rx.search(url)
            if m:
                d = _mk(m["y"], m["m"], m["d"])
                add("url_date", d, d, url)
                break
        url_ts = None if any(e.rule == "url_date" for e in ev) else _url_timestamp(url, r)
    else:
        url_ts = None
    sspans = _sentence_spans(text)
    starts = [a for a, _b in sspans]
    low = text.lower()
    if len(low) == len(text):  # the rules' patterns are lower case: matching on lowered text is ~4x faster than re.I
        excluded = _hit_sentences(r.exclude_lc, low, starts)
        fut = _hit_sentences(r.future_lc, low, starts)
    else:  # a character whose lower case has another length: offsets would shift
        excluded = _hit_sentences(r.exclude, text, starts)
        fut = _hit_sentences(r.future, text, starts)
    keep = [i for i in range(len(sspans)) if i not in excluded]
    body_sents = [text[sspans[i][0]:sspans[i][1]] for i in keep]
    future = [i in fut for i in keep]
    past_sents = [s for s, f in zip(body_sents, future) if not f]
    full_past: list[tuple[dt.date, str]] = []
    n_future_only = 0
    for s, f in zip(body_sents, future):
        found = find_full_dates(s)
        if not found:
            continue
        if f:
            n_future_only += 1
            continue
        full_past.extend((d, s) for _a, _b, d in found)
        full_past.extend((d, s) for d in _offset_dates(s))
    # --- captions (not file photos): lower bounds close to the news day
    caption_dates = []
    caption_texts = []
    for rule, stext in spans:
        if rule in r.caption_rules and not r.exclude.search(stext):
            found = [d for _a, _b, d in find_full_dates(stext)]
            caption_dates.extend(found)
            if found:
                caption_texts.append((max(found), stext))
    # --- dateline "ERIMO, Japan, Oct 19 (Reuters) -": month and day, the year from the story's full dates
    dateline_no_year = False
    for rule, stext in spans:
        if rule == "dateline":
            m = _MONTH_DAY_RE.search(stext)
            if m:
                d = _dateline_day(m, [d for d, _s in full_past] + caption_dates)
                if d is None:
                    dateline_no_year = True
                else:
                    add("dateline_date", d, d, stext)
    weekdays = _weekday_cues(past_sents, r)
    past_text = "\n".join(past_sents)
    # the body's latest full date and latest named year, read once (tweets, URL time and captions are checked
    # against them)
    latest_body = max((d for d, _s in full_past), default=None)
    max_body_year = max((int(m["y"]) for m in _YEAR_IN_TEXT.finditer(past_text)), default=None)
    later_year = False
    coarse_reason = ""
    if full_past:
        latest, sent = max(full_past, key=lambda t: t[0])
        low = sent.lower()
        # a later year named in a past-tense sentence: the latest full date is background, not the news day
        later_year = max_body_year is not None and max_body_year > latest.year
        if later_year:
            pass
        elif re.search(r"\b(?:today|tonight|this (?:morning|afternoon|evening))\b", low):
            add("latest_date+today", latest, latest, sent)
        elif re.search(r"\byesterday\b|\blast night\b", low):
            nxt = ds.add_days(latest, 1)
            add("latest_date+yesterday", nxt, nxt, sent)
        elif latest.weekday() in weekdays:
            add("latest_date+weekday", latest, latest, sent)
        else:
            if r.latest_date_alone:
                add("latest_date", latest, ds.add_days(latest, r.latest_date_window), sent)
            else:
                coarse_reason = "only_date_lower_bound"
    # --- embedded tweets: the latest one is the news day when nothing in the body is later
    tweets = _tweet_dates(text, r)
    if tweets:
        tw = max(tweets)
        # a later year named outside the tweets (the posts' own words are quotes: "Opening Day in 2017")
        def _line(a: int) -> str:
            e = text.find("\n", a)
            return text[text.rfind("\n", 0, a) + 1: e if e >= 0 else len(text)]
        own = "\n".join(text[sspans[i][0]:sspans[i][1]] for i, f in zip(keep, future)
                         if not f and not r.tweet_embed.search(_line(sspans[i][0])))
        if (latest_body is None or tw >= latest_body) and not any(
                int(m["y"]) > tw.year for m in _YEAR_IN_TEXT.finditer(own)):
            add("tweet_date", tw, tw, "tweet")
    # --- the URL's record-id time: only when no body date is later than it
    if url_ts is not None:
        later_named = max_body_year is not None and max_body_year > url_ts.year
        if (latest_body is None or url_ts >= latest_body) and not later_named:
            add("url_timestamp", url_ts, url_ts, url or "")  # not before what the body reports or names
    caption_dropped = False
    if caption_dates:
        body_names = _names(text, r)
        points = [e.lo for e in ev if e.lo == e.hi]
        usable, not_story = [], False
        for c, ctext in caption_texts:
            if latest_body is not None and c < latest_body:
                continue  # older than what the body reports: the body's date says more (its reason stands)
            not_story = True
            if points and (max(points) - c).days > r.caption_max_lag:
                continue  # far older than the URL / header / dateline: a stock or archive photo
            if max_body_year is not None and max_body_year > c.year:
                continue  # the body names a later year than the photo
            if not (_names(ctext, r) & body_names):
                continue  # shares no name with the story: an unrelated (stock) photo
            usable.append(c)
        caption_dropped = not usable and not_story
        if usable:
            c = max(usable)
            if c.weekday() in weekdays:
                add("caption_date+weekday", c, c)
            else:
                add("caption_date", c, ds.add_days(c, r.caption_window))
    if not ev:
        # month + year ("in September 2017") or a bare year: the latest one, coarse
        months = []
        for s in past_sents:
            for m in _MONTH_YEAR_RE.finditer(s):
                d = _mk(m["y"], m["m"], 1)
                if d is not None:
                    months.append(d)
        years = [int(m["y"]) for m in _YEAR_IN_TEXT.finditer(past_text)] if _YEARISH.search(past_text) else []
        years = [y for y in years if ds.MIN_YEAR <= y <= ds.MAX_YEAR]
        if months and r.month_only:
            mo = max(months)
            end = ds.add_days(ds.add_months(mo, 1), -1)
            add("latest_month", mo, end)
        elif years and r.year_only:
            y = max(years)
            add("latest_year", ds.safe_date(y, 1, 1), ds.safe_date(y, 12, 31))
        elif coarse_reason:
            pass  # a full date was there: its reason says more than the month / year
        elif months:
            coarse_reason = "only_month_lower_bound"
        elif years:
            coarse_reason = "only_year_lower_bound"
    if ev and not r.caption_alone and all(e.rule == "caption_date" for e in ev):
        return [], "only_caption_lower_bound"  # a caption date without its weekday is only a lower bound
    if ev:
        return ev, ""
    if dateline_no_year:
        return ev, "dateline_without_year"
    if caption_dropped:
        return ev, "caption_not_of_this_story"
    if coarse_reason:
        return ev, coarse_reason
    if later_year:
        return ev, "later_year_than_latest_date"
    if n_future_only:
        return ev, "only_future_dates"
    if weekdays:
        return ev, "weekday_without_anchor"
    return ev, "no_date_evidence"


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
