"""Linking step 1, block: each mention gets a type family, a factuality group and a date interval; mentions are
split into blocks (family, factuality group) that are linked independently (pipelines/rules/linking.yaml).

- type family: PLOVER types that outlets code differently for the same event (`type_families`);
- factuality group: a planned event and its occurrence never share a block (`factuality_groups`); a mention whose
  factuality is in no group, or that has no type, is never linked;
- date interval: the stated event_date widened by its precision (`precision_days`, `max_interval_days`), or
  [published - undated_lookback_days, published] when no date is written; no interval at all -> the mention is
  "dateless" and may only join an existing cluster on strong evidence (cluster.attach_dateless);
- actor country / id: inside a block the sweep (cluster.py) compares a mention only with the clusters sharing
  one of its actor ids or its story group (an index), never all pairs.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import polars as pl

from pipelines.core.dates_safe import add_days, checked, safe_date
from pipelines.core.link.stories import StoryGroups


@dataclass
class Mention:
    idx: int
    event_id: str
    story_id: str
    story_key: str
    outlet_key: str
    canonical: bool
    event_type: str
    family: str
    fgroup: str | None
    factuality: str
    src_id: str | None
    src_cty: str | None
    tgt_id: str | None
    tgt_cty: str | None
    loc_cty: str | None
    event_date: dt.date | None
    precision: str
    published: dt.date | None
    lo: dt.date | None
    hi: dt.date | None
    dated: bool
    confidence: float
    filled: int
    evidence_key: str
    terms: frozenset = frozenset()
    qty: tuple | None = None
    sgroup: int | None = None   # story group (stories.py) of the mention's story; None when grouping is off
    # the stated date's interval at its precision, however coarse ("in 2014" -> the year 2014); None when no date
    # is written. Too vague to link on (lo is None), it still vetoes joining a cluster of another time (score.py)
    vlo: dt.date | None = None
    vhi: dt.date | None = None


def none_if_blank(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, str) and not v.strip():
        return None
    return v


def interval(event_date, precision, published, rules, cap: bool = True) -> tuple[dt.date | None, dt.date | None]:
    """The days a mention's date allows: day -> [d, d]; week -> [d, d+6] (the week starting at d); month/year ->
    the calendar month/year; before -> [d - undated_lookback_days, d]; none -> [published - lookback, published].
    Too vague (wider than max_interval_days) or impossible -> (None, None). Date arithmetic is range-checked."""
    max_days = int(rules.get("max_interval_days", 9))
    back = int(rules.get("undated_lookback_days", 2))
    if event_date is not None:
        p = (precision or "day").lower()
        if p == "month":
            lo = safe_date(event_date.year, event_date.month, 1)
            hi = safe_date(event_date.year, event_date.month, calendar.monthrange(event_date.year, event_date.month)[1])
        elif p == "year":
            lo, hi = safe_date(event_date.year, 1, 1), safe_date(event_date.year, 12, 31)
        elif p == "week":
            lo, hi = event_date, add_days(event_date, int((rules.get("precision_days") or {}).get("week", 7)) - 1)
        elif p == "before":
            lo, hi = add_days(event_date, -back), event_date
        else:
            lo, hi = event_date, event_date
        if lo is None or hi is None or (cap and (hi - lo).days > max_days):
            return None, None
        return lo, hi
    if published is not None:
        lo = add_days(published, -back)
        return (lo, published) if lo is not None else (None, None)
    return None, None


_CAP = re.compile(r"(?<![\w'’])([A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*)")
_NUM = re.compile(r"(?<![\w.,:])(\d{2,}(?:[.,]\d+)*)(?![\w:])")


@lru_cache(maxsize=32768)  # pure: a long-lived process (newsevents watch) re-links the same mentions every update
def key_terms(evidence: str | None, exclude: tuple = (), stop: frozenset = frozenset()) -> frozenset:
    """Distinctive terms of a sentence: capitalised names (not the first word) and numbers of 2+ digits,
    lower-cased, minus the mention's own actor strings and stop words."""
    if not evidence:
        return frozenset()
    out = set()
    excl = " ".join(e.lower() for e in exclude if e)
    first = re.match(r"\W*\w+", evidence)
    start = first.end() if first else 0
    for mt in _CAP.finditer(evidence):
        phrase = mt.group(1)
        if mt.start() < start:  # drop the sentence-initial word
            phrase = phrase.split(None, 1)[1] if " " in phrase else ""
        for w in phrase.split():
            w = re.sub(r"['’]s$", "", w.lower()).strip("'’-")
            if len(w) > 2 and w not in stop and w not in excl:
                out.add(w)
    for mt in _NUM.finditer(evidence):
        out.add(mt.group(1).replace(",", ""))
    return frozenset(out)


def key_norm(text: str | None) -> str:
    return " ".join((text or "").lower().split())


def domain(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url).hostname or ""
    return host[4:] if host.startswith("www.") else (host or None)


def prepare(events: pl.DataFrame, stories: pl.DataFrame, rules: dict,
             documents: pl.DataFrame | None = None, groups: StoryGroups | None = None) -> list[Mention]:
    fam_of: dict[str, str] = {}
    for fam, types in (rules.get("type_families") or {}).items():
        for t in types:
            fam_of[str(t).upper()] = fam
    fgroup_of: dict[str, str] = {}
    for grp, vals in (rules.get("factuality_groups") or {}).items():
        for v in vals:
            fgroup_of[str(v)] = grp

    st_cols = set(stories.columns)
    st: dict[str, dict] = {}
    for r in stories.select(
        [c for c in ("story_id", "doc_id", "outlet", "published_date", "cluster_id", "is_canonical") if c in st_cols]
    ).to_dicts():
        st[r["story_id"]] = r

    domain_of: dict[str, str] = {}
    if documents is not None and {"doc_id", "url"} <= set(documents.columns):
        for doc_id, url in documents.select("doc_id", "url").iter_rows():
            d = domain(url)
            if d:
                domain_of[doc_id] = d

    stop = frozenset(w.lower() for w in (rules.get("term_stopwords") or []))
    # every field the loop reads, one column each (absent -> null); strings that are blank -> null, as
    # none_if_blank, done by polars for the whole column rather than per row
    blankable = ("source_actor_id", "source_country", "target_actor_id", "target_country", "event_date",
                 "date_precision", "date_text", "location_name", "location_country", "quantity", "quantity_kind",
                 "event_mode", "trigger", "confidence", "evidence", "source_actor", "target_actor")
    raw = ("event_id", "story_id", "event_type", "factuality")

    def column(name: str, blank_to_null: bool) -> pl.Expr:
        if name not in events.columns:
            return pl.lit(None).alias(name)
        if blank_to_null and events.schema[name] == pl.String:
            return pl.when(pl.col(name).str.strip_chars() == "").then(None).otherwise(pl.col(name)).alias(name)
        return pl.col(name)

    has_date_text = "date_text" in events.columns
    frame = events.select([column(c, False) for c in raw] + [column(c, True) for c in blankable])
    optional = [frame.columns.index(f) for f in ("trigger", "source_actor_id", "source_country", "target_actor_id",
                                                   "target_country", "event_date", "location_name",
                                                   "location_country", "quantity", "event_mode")]
    out: list[Mention] = []
    for i, row in enumerate(frame.iter_rows()):
        (event_id, story_id, event_type, factuality, src_id, src_cty, tgt_id, tgt_cty, ev_date, precision,
         date_text, _location_name, loc_cty, quantity, quantity_kind, _mode, _trigger, conf, evidence,
         source_actor, target_actor) = row
        s = st.get(story_id, {})
        story_key = none_if_blank(s.get("cluster_id")) or story_id
        outlet_key = none_if_blank(s.get("outlet"))
        if isinstance(outlet_key, str):
            outlet_key = outlet_key.strip().lower()
        else:  # fallback: the document's source domain, else the document itself
            outlet_key = domain_of.get(s.get("doc_id")) or s.get("doc_id") or story_id
        canonical = s.get("is_canonical")
        canonical = True if canonical is None else bool(canonical)
        etype = str(event_type or "").upper()
        fact = str(factuality or "asserted")
        filled = sum(1 for k in optional if row[k] is not None)
        if isinstance(ev_date, dt.datetime):
            ev_date = ev_date.date()
        pub = s.get("published_date")
        if isinstance(pub, dt.datetime):
            pub = pub.date()
        # dates outside 1900..2100 (metadata or parser errors) are no evidence, and their window arithmetic overflows
        ev_date, pub = checked(ev_date), checked(pub)
        prec = precision or ("day" if ev_date is not None else "none")
        if prec == "none":
            ev_date = None
        # extract fills event_date with the publication date when no date is written (date_text is null):
        # such a date says "on or before publication", not "on that day"
        if has_date_text and date_text is None and pub is not None:
            ev_date = None
        lo, hi = interval(ev_date, prec, pub, rules)
        vlo, vhi = interval(ev_date, prec, None, rules, cap=False) if ev_date is not None else (None, None)
        out.append(Mention(
            idx=i, event_id=event_id, story_id=story_id, story_key=story_key,
            outlet_key=str(outlet_key), canonical=canonical, event_type=etype,
            family=fam_of.get(etype, etype.lower()), fgroup=fgroup_of.get(fact), factuality=fact,
            src_id=src_id, src_cty=src_cty, tgt_id=tgt_id, tgt_cty=tgt_cty,
            loc_cty=loc_cty, event_date=ev_date, precision=prec, published=pub,
            lo=lo, hi=hi, dated=ev_date is not None, confidence=float(conf) if conf is not None else 0.0,
            filled=filled,
            evidence_key=key_norm(evidence) or event_id,
            terms=key_terms(evidence, (source_actor, target_actor), stop),
            qty=(quantity, quantity_kind) if quantity is not None else None,
            sgroup=groups.group_of.get(story_key) if groups is not None else None,
            vlo=vlo, vhi=vhi,
        ))
    return out


def content_key(m: Mention) -> tuple:
    """Order by content, not by ids: the same text ingested under another name (another doc/story id) is
    processed in the same order, so a re-ingested duplicate cannot change the clusters."""
    return (m.evidence_key, m.event_type, m.src_id or "", m.tgt_id or "", m.factuality, m.event_id)


def split_blocks(mentions: list[Mention]) -> tuple[dict[tuple, list[Mention]], dict[tuple, list[Mention]],
                                                   list[list[int]]]:
    """(blocks, dateless, alone): mentions with a date interval by (family, factuality group); mentions with no
    interval at all by the same key; singleton groups of the mentions never linked (factuality in no group, e.g.
    negated/hypothetical, or no type)."""
    blocks: dict[tuple, list[Mention]] = defaultdict(list)
    dateless: dict[tuple, list[Mention]] = defaultdict(list)
    alone: list[list[int]] = []
    for m in mentions:
        if m.fgroup is None or not m.event_type:
            alone.append([m.idx])
        elif m.lo is None:
            dateless[(m.family, m.fgroup)].append(m)
        else:
            blocks[(m.family, m.fgroup)].append(m)
    return blocks, dateless, alone
