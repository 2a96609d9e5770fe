"""One story's own evidence for its publication day (split out of clean/dating.py; see its docstring)."""
from __future__ import annotations

import datetime as dt
import re

from pipelines.core import dates_safe as ds

from .dating_parse import (
    _MONTH_DAY_RE,
    _MONTH_YEAR_RE,
    _YEAR_IN_TEXT,
    _YEARISH,
    _dateline_day,
    _hit_sentences,
    _mk,
    _names,
    _offset_dates,
    _sentence_spans,
    _tweet_dates,
    _url_timestamp,
    _weekday_cues,
    find_full_dates,
)
from .dating_rules import DatingRules, Evidence, load_rules


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
