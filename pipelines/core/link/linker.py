"""Link event mentions from different stories that report the same real-world event.

Pure Python + polars, no dagster. The rules (type families, date windows, factuality groups, thresholds) are
data in ``pipelines/rules/linking.yaml``.

Algorithm (scalable: blocked, never all-pairs):
1. Each mention gets a *type family* (from its PLOVER type), a *factuality group* and a *date interval*
   (its event_date widened by its precision, or [published - lookback, published] when undated).
   Mentions whose factuality is not in a group, or whose date is unknown or too vague, stay alone.
2. Block by (family, factuality group); inside a block, sweep mentions in date order while keeping only the
   clusters whose anchor interval is still within the family's window (a sliding window), indexed by the
   actor countries/ids they carry, so each mention is compared with a handful of candidate clusters.
3. A mention joins the best-scoring compatible cluster: no conflicting actor (a known source/target on both
   sides that differs) and no conflicting location country; then a score sums the agreement of each side
   (3 same specific actor, 2 same country+sector code, 1 same country), +1 same location country, +1 at least
   two shared distinctive terms (names, numbers) in the sentences; the link needs `min_link_score` (3), or
   `min_link_score_undated` (4) when a side relies on the publication date instead of a stated date, and date
   intervals that overlap within the family's window. A cluster's profile is filled by its members, so a later
   member must agree with all values already seen (no chaining from A to C through a vague B), and its anchor
   interval is the tightest stated date seen (no drift in time).
   Mentions with no date at all (no stated date, story without publication date) are attached afterwards to
   the unique best cluster of their block that reaches `min_link_score_nodate` (same quantity +1), via an
   actor index; otherwise they stay alone.
4. Counts: ``n_stories`` counts distinct story dedup clusters, ``n_mentions`` distinct (story cluster,
   sentence) pairs, ``n_outlets`` distinct outlets of canonical member stories (fallback: doc_id), so
   duplicate stories never inflate them.
"""
from __future__ import annotations

import calendar
import heapq
import re
import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import polars as pl
import yaml

from pipelines.core.dates_safe import add_days, checked, safe_date
from pipelines.core.ids import stable_id
from pipelines.core.link.stories import StoryGroups, group_stories, story_text

RULES_PATH = Path(__file__).resolve().parents[2] / "rules" / "linking.yaml"

CLUSTER_SCHEMA: dict[str, Any] = {
    "event_cluster_id": pl.Utf8,
    "event_type": pl.Utf8,
    "type_family": pl.Utf8,
    "factuality": pl.Utf8,
    "source_actor_id": pl.Utf8,
    "source_country": pl.Utf8,
    "target_actor_id": pl.Utf8,
    "target_country": pl.Utf8,
    "location_country": pl.Utf8,
    "event_date": pl.Date,
    "date_precision": pl.Utf8,
    "first_date": pl.Date,
    "last_date": pl.Date,
    "first_reported": pl.Date,
    "last_reported": pl.Date,
    "n_mentions": pl.Int32,
    "n_stories": pl.Int32,
    "n_outlets": pl.Int32,
    "representative_event_id": pl.Utf8,
    "link_rule": pl.Utf8,
}


@lru_cache(maxsize=4)
def _load_rules_cached(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_rules(path: str | Path | None = None) -> dict:
    """The linking rules (a dict read from linking.yaml)."""
    return _load_rules_cached(str(path or RULES_PATH))


# --------------------------------------------------------------------------------------------------------------
@dataclass
class _Mention:
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


@dataclass
class _Cluster:
    members: list[int]
    src_id: str | None
    src_cty: str | None
    tgt_id: str | None
    tgt_cty: str | None
    loc_cty: str | None
    lo: dt.date
    hi: dt.date
    dated: bool
    first_story: str
    stories: set = field(default_factory=set)
    terms: set = field(default_factory=set)
    qtys: set = field(default_factory=set)
    pos: int = -1
    sgroups: set = field(default_factory=set)


def _none_if_blank(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, str) and not v.strip():
        return None
    return v


def _interval(event_date, precision, published, rules) -> tuple[dt.date | None, dt.date | None]:
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
        if lo is None or hi is None or (hi - lo).days > max_days:
            return None, None
        return lo, hi
    if published is not None:
        lo = add_days(published, -back)
        return (lo, published) if lo is not None else (None, None)
    return None, None


def _side(a_id, a_cty, b_id, b_cty, generic) -> int:
    """How well one side (source or target) of two mentions agrees.

    3 the same specific actor (a person, a named organisation, an IGO), 2 the same country+sector code
    (e.g. BLR:GOV), 1 the same country only, 0 unknown on either mention, -1 conflict (different countries, or
    different actor ids and no country to compare).
    """
    if a_id is not None and a_id == b_id:
        if not generic(a_id):
            return 3
        return 2 if generic.narrow(a_id) else 1  # e.g. BLR:GOV vs USA:BUS or a bare country code
    if a_cty is not None and b_cty is not None:
        return 1 if a_cty == b_cty else -1
    if a_id is not None and b_id is not None:
        return -1
    return 0


class _Generic:
    """Is an actor id generic (a country or country+sector code, not a particular actor)? And is a generic id
    narrow enough to count as agreement level 2 (country + a sector not in `broad_sectors`)?"""

    def __init__(self, rules: dict):
        self.pat = re.compile(rules.get("generic_actor_id_pattern") or r"^[A-Z]{3}(:[A-Z]{3})?$")
        self.listed = frozenset(rules.get("generic_actor_ids") or [])
        self.broad = frozenset(rules.get("broad_sectors") or [])

    def __call__(self, actor_id: str) -> bool:
        return actor_id in self.listed or bool(self.pat.match(actor_id))

    def narrow(self, actor_id: str) -> bool:
        _, sep, sector = actor_id.partition(":")
        return bool(sep) and sector not in self.broad


def _generic_predicate(rules: dict) -> _Generic:
    return _Generic(rules)


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


def _key_norm(text: str | None) -> str:
    return " ".join((text or "").lower().split())


def _domain(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url).hostname or ""
    return host[4:] if host.startswith("www.") else (host or None)


def _prepare(events: pl.DataFrame, stories: pl.DataFrame, rules: dict,
             documents: pl.DataFrame | None = None, groups: StoryGroups | None = None) -> list[_Mention]:
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
            d = _domain(url)
            if d:
                domain_of[doc_id] = d

    stop = frozenset(w.lower() for w in (rules.get("term_stopwords") or []))
    # every field the loop reads, one column each (absent -> null); strings that are blank -> null, as
    # _none_if_blank, done by polars for the whole column rather than per row
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
    out: list[_Mention] = []
    for i, row in enumerate(frame.iter_rows()):
        (event_id, story_id, event_type, factuality, src_id, src_cty, tgt_id, tgt_cty, ev_date, precision,
         date_text, _location_name, loc_cty, quantity, quantity_kind, _mode, _trigger, conf, evidence,
         source_actor, target_actor) = row
        s = st.get(story_id, {})
        story_key = _none_if_blank(s.get("cluster_id")) or story_id
        outlet_key = _none_if_blank(s.get("outlet"))
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
        lo, hi = _interval(ev_date, prec, pub, rules)
        out.append(_Mention(
            idx=i, event_id=event_id, story_id=story_id, story_key=story_key,
            outlet_key=str(outlet_key), canonical=canonical, event_type=etype,
            family=fam_of.get(etype, etype.lower()), fgroup=fgroup_of.get(fact), factuality=fact,
            src_id=src_id, src_cty=src_cty, tgt_id=tgt_id, tgt_cty=tgt_cty,
            loc_cty=loc_cty, event_date=ev_date, precision=prec, published=pub,
            lo=lo, hi=hi, dated=ev_date is not None, confidence=float(conf) if conf is not None else 0.0,
            filled=filled,
            evidence_key=_key_norm(evidence) or event_id,
            terms=key_terms(evidence, (source_actor, target_actor), stop),
            qty=(quantity, quantity_kind) if quantity is not None else None,
            sgroup=groups.group_of.get(story_key) if groups is not None else None,
        ))
    return out


@dataclass
class _Decision:
    """Why a mention joined a cluster: the rule and every feature the rule looked at (-> an event_links row)."""
    score: int
    swapped: bool
    rule: str               # "actors" (agreeing actors, any stories) | "story" (same story group, compatible)
    source: int             # side agreement, see _side
    target: int
    same_location: bool
    shared_terms: int
    same_quantity: bool
    date_gap: int | None    # days between the two date intervals (0 = overlap), None when the mention has no date


def _gap(m: _Mention, c: _Cluster) -> int | None:
    if m.lo is None:
        return None
    return max(0, m.lo.toordinal() - c.hi.toordinal(), c.lo.toordinal() - m.hi.toordinal())


def _story_cfg(rules: dict) -> dict:
    return rules.get("story_links") or {}


def _story_tolerates(scfg: dict, swapped: bool, m_cty: tuple, c_cty: tuple) -> bool:
    """May the story rule ignore an actor conflict? story_links.actor_conflict: `any` (every conflict vetoes),
    `country` (only a side whose two known countries differ vetoes: different actors of one country may be the
    same event told by two outlets), `none` (no actor veto inside a story group)."""
    mode = str(scfg.get("actor_conflict", "any"))
    if mode == "none":
        return True
    if mode != "country":
        return False
    ms, mt = (m_cty[1], m_cty[0]) if swapped else m_cty
    for a, b in ((ms, c_cty[0]), (mt, c_cty[1])):
        if a is not None and b is not None and a != b:
            return False
    return True


def _match(m: _Mention, c: _Cluster, window: int, symmetric: bool, rules: dict, generic,
           story_window: int | None = None) -> _Decision | None:
    """The best way m may join c, else None. Two rules (linking.yaml):

    actors: the date intervals overlap within the family window, no conflicting actor or location, enough
      agreeing sides (`min_actor_agreements`, best side >= `min_best_side`) and a score >= `min_link_score`
      (`min_link_score_undated` when one side relies on the publication date, `min_link_score_nodate` when m has
      no date at all);
    story: c already holds a mention from another story of m's story group (the same news, stories.py): the
      intervals overlap within `story_links.window_days`, no conflicting actor or location, and a score >=
      `story_links.min_score` (the story group replaces the actor evidence).
    A mention with no date at all (m.lo is None) is scored without the date test."""
    gap = _gap(m, c)
    in_group = m.sgroup is not None and m.sgroup in c.sgroups and bool(c.stories - {m.story_key})
    scfg = _story_cfg(rules)
    loc_conflict = m.loc_cty is not None and c.loc_cty is not None and m.loc_cty != c.loc_cty
    date_ok = gap is None or gap <= window
    if not (m.dated and c.dated) and in_group and scfg.get("undated_window_days") is not None:
        story_window = int(scfg["undated_window_days"])  # one side dated by its publication only
    story_ok = in_group and (gap is None or gap <= (story_window if story_window is not None else window)) \
        and not (loc_conflict and scfg.get("location_conflict_veto", True))
    if loc_conflict:
        date_ok = False
    if not date_ok and not story_ok:
        return None
    best = None
    for swapped in ((False, True) if symmetric else (False,)):
        if swapped:
            s1 = _side(m.tgt_id, m.tgt_cty, c.src_id, c.src_cty, generic)
            s2 = _side(m.src_id, m.src_cty, c.tgt_id, c.tgt_cty, generic)
        else:
            s1 = _side(m.src_id, m.src_cty, c.src_id, c.src_cty, generic)
            s2 = _side(m.tgt_id, m.tgt_cty, c.tgt_id, c.tgt_cty, generic)
        conflict = s1 < 0 or s2 < 0
        if conflict and not (story_ok and _story_tolerates(scfg, swapped, (m.src_cty, m.tgt_cty), (c.src_cty, c.tgt_cty))):
            continue  # a conflicting actor vetoes the actors rule, and the story rule unless linking.yaml relaxes it
        same_loc = m.loc_cty is not None and m.loc_cty == c.loc_cty
        n_terms = len(m.terms & c.terms)
        same_qty = m.qty is not None and m.qty in c.qtys
        score = s1 + s2 + int(same_loc) + int(n_terms >= int(rules.get("min_shared_terms", 2))) + int(same_qty)
        rule = None
        if date_ok and not conflict and (s1 > 0) + (s2 > 0) >= int(rules.get("min_actor_agreements", 1)) \
                and max(s1, s2) >= int(rules.get("min_best_side", 2)):
            # undated mentions (publication date only) carry more background statements: they need more evidence
            if m.lo is None:
                need = int(rules.get("min_link_score_nodate", 6))
            elif m.dated and c.dated:
                need = int(rules.get("min_link_score", 3))
            else:
                need = int(rules.get("min_link_score_undated", 4))
            if score >= need:
                rule = "actors"
        if rule is None and story_ok and score >= int(scfg.get("min_score", 0)):
            rule = "story"
        if rule is None:
            continue
        d = _Decision(score, swapped, rule, s1, s2, same_loc, n_terms, same_qty, gap)
        if best is None or (d.rule == "actors", d.score) > (best.rule == "actors", best.score):
            best = d
    return best


def _content_key(m: _Mention) -> tuple:
    """Order by content, not by ids: the same text ingested under another name (another doc/story id) is
    processed in the same order, so a re-ingested duplicate cannot change the clusters."""
    return (m.evidence_key, m.event_type, m.src_id or "", m.tgt_id or "", m.factuality, m.event_id)


def _better(d: _Decision, best: _Decision | None) -> bool:
    return best is None or (d.rule == "actors", d.score) > (best.rule == "actors", best.score)


def _join(c: _Cluster, m: _Mention, d: _Decision, links: list) -> None:
    links.append((m.idx, c.members[0], d))
    c.members.append(m.idx)
    c.stories.add(m.story_key)
    if m.sgroup is not None:
        c.sgroups.add(m.sgroup)
    c.terms |= m.terms
    if m.qty is not None:
        c.qtys.add(m.qty)
    src = (m.tgt_id, m.tgt_cty) if d.swapped else (m.src_id, m.src_cty)
    tgt = (m.src_id, m.src_cty) if d.swapped else (m.tgt_id, m.tgt_cty)
    c.src_id = c.src_id or src[0]
    c.src_cty = c.src_cty or src[1]
    c.tgt_id = c.tgt_id or tgt[0]
    c.tgt_cty = c.tgt_cty or tgt[1]
    c.loc_cty = c.loc_cty or m.loc_cty
    # the anchor interval is the tightest one seen, so the cluster cannot drift in time
    if m.lo is not None and ((m.hi - m.lo) < (c.hi - c.lo) or (m.dated and not c.dated)):
        c.lo, c.hi, c.dated = m.lo, m.hi, m.dated


def _windows(family: str, rules: dict) -> tuple[int, int]:
    windows = rules.get("windows_days") or {}
    window = int(windows.get(family, windows.get("default", 2)))
    scfg = _story_cfg(rules)
    sw = scfg.get("window_days", window)
    story_window = window if sw is None else int(sw)
    return window, story_window


def _cluster_block(ms: list[_Mention], family: str, rules: dict, generic, links: list) -> list[_Cluster]:
    window, story_window = _windows(family, rules)
    reach = 2 * max(window, story_window)
    symmetric = family in set(rules.get("symmetric_families") or [])
    # an actors link needs one side at level >= 2, which needs the same actor id: candidates come from an id
    # index; a story link needs the same story group: candidates also come from a story-group index
    by_id = int(rules.get("min_best_side", 2)) >= 2
    ms = sorted(ms, key=lambda m: (m.lo, m.hi) + _content_key(m))
    clusters: list[_Cluster] = []
    alive: set[int] = set()
    expiry: list[tuple[int, int]] = []  # heap of (last useful day ordinal, cluster index)
    index: dict[str, set[int]] = defaultdict(set)
    gindex: dict[int, set[int]] = defaultdict(set)

    def ids(c: _Cluster) -> set:
        return {c.src_id, c.tgt_id} - {None}

    for m in ms:
        lo = m.lo.toordinal()
        # retire clusters that can no longer match anything (mentions come in increasing `lo`)
        while expiry and expiry[0][0] < lo:
            _, i = heapq.heappop(expiry)
            c = clusters[i]
            if c.hi.toordinal() + reach >= lo:  # its anchor moved later since it was queued
                heapq.heappush(expiry, (c.hi.toordinal() + reach, i))
                continue
            alive.discard(i)
            for k in ids(c):
                index[k].discard(i)
            for g in c.sgroups:
                gindex[g].discard(i)
        if by_id:
            keys = {m.src_id, m.tgt_id} - {None}
            cand = set().union(*(index[k] for k in keys)) if keys else set()
        else:
            cand = set(alive)
        if m.sgroup is not None:
            cand |= gindex.get(m.sgroup, set())
        best, best_c = None, None
        for i in sorted(cand):
            d = _match(m, clusters[i], window, symmetric, rules, generic, story_window)
            if d is not None and _better(d, best):
                best, best_c = d, clusters[i]
        if best_c is None:
            i = len(clusters)
            c = _Cluster([m.idx], m.src_id, m.src_cty, m.tgt_id, m.tgt_cty, m.loc_cty, m.lo, m.hi, m.dated,
                         m.story_id, {m.story_key}, set(m.terms), {m.qty} if m.qty else set(), pos=i,
                         sgroups={m.sgroup} if m.sgroup is not None else set())
            clusters.append(c)
            alive.add(i)
            heapq.heappush(expiry, (c.hi.toordinal() + reach, i))
            for k in ids(c):
                index[k].add(i)
            if m.sgroup is not None:
                gindex[m.sgroup].add(i)
            continue
        c = best_c
        before, gbefore = ids(c), set(c.sgroups)
        _join(c, m, best, links)
        for k in ids(c) - before:
            index[k].add(c.pos)
        for g in c.sgroups - gbefore:
            gindex[g].add(c.pos)
    return clusters


def _merge_in_groups(clusters: list[_Cluster], family: str, rules: dict, generic, links: list,
                     mentions_by_idx: dict) -> list[_Cluster]:
    """Second pass of the story rule: two clusters of one block that hold mentions of the same story group merge
    when their profiles are compatible (the story rule between two clusters: no conflicting actor or location
    when the vetoes are on, dates within the story window). The sweep attaches a mention to one cluster only, so
    the mentions of one story that came first can sit in separate clusters; this pass joins them once another
    story of the group bridges them. Clusters are visited in creation (content) order: deterministic."""
    scfg = _story_cfg(rules)
    if not scfg.get("merge_clusters", True):
        return clusters
    window, story_window = _windows(family, rules)
    symmetric = family in set(rules.get("symmetric_families") or [])
    parent = list(range(len(clusters)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    by_group: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(clusters):
        for g in sorted(c.sgroups):
            by_group[g].append(i)
    for g in sorted(by_group):
        roots: list[int] = []
        for i in by_group[g]:
            ri = find(i)
            if ri in roots:
                continue
            merged = False
            for rj in roots:
                rj = find(rj)
                if rj == ri:
                    merged = True
                    break
                a, b = clusters[rj], clusters[ri]
                d = _clusters_compatible(a, b, window, story_window, symmetric, rules, generic)
                if d is None:
                    continue
                links.append((b.members[0], a.members[0], d))
                for m_idx in b.members:
                    a.members.append(m_idx)
                a.stories |= b.stories
                a.sgroups |= b.sgroups
                a.terms |= b.terms
                a.qtys |= b.qtys
                src = (b.tgt_id, b.tgt_cty) if d.swapped else (b.src_id, b.src_cty)
                tgt = (b.src_id, b.src_cty) if d.swapped else (b.tgt_id, b.tgt_cty)
                a.src_id, a.src_cty = a.src_id or src[0], a.src_cty or src[1]
                a.tgt_id, a.tgt_cty = a.tgt_id or tgt[0], a.tgt_cty or tgt[1]
                a.loc_cty = a.loc_cty or b.loc_cty
                if (b.hi - b.lo) < (a.hi - a.lo) or (b.dated and not a.dated):
                    a.lo, a.hi, a.dated = b.lo, b.hi, b.dated
                b.members = []
                parent[ri] = rj
                merged = True
                break
            if not merged:
                roots.append(ri)
    return [c for c in clusters if c.members]


def _clusters_compatible(a: _Cluster, b: _Cluster, window: int, story_window: int, symmetric: bool, rules: dict,
                         generic) -> _Decision | None:
    scfg = _story_cfg(rules)
    if not (a.stories - b.stories or b.stories - a.stories):
        return None
    if not (a.dated and b.dated) and scfg.get("undated_window_days") is not None:
        story_window = int(scfg["undated_window_days"])
    gap = max(0, a.lo.toordinal() - b.hi.toordinal(), b.lo.toordinal() - a.hi.toordinal())
    if gap > story_window:
        return None
    if a.loc_cty is not None and b.loc_cty is not None and a.loc_cty != b.loc_cty \
            and scfg.get("location_conflict_veto", True):
        return None
    best = None
    for swapped in ((False, True) if symmetric else (False,)):
        if swapped:
            s1 = _side(b.tgt_id, b.tgt_cty, a.src_id, a.src_cty, generic)
            s2 = _side(b.src_id, b.src_cty, a.tgt_id, a.tgt_cty, generic)
        else:
            s1 = _side(b.src_id, b.src_cty, a.src_id, a.src_cty, generic)
            s2 = _side(b.tgt_id, b.tgt_cty, a.tgt_id, a.tgt_cty, generic)
        if (s1 < 0 or s2 < 0) and not _story_tolerates(scfg, swapped, (b.src_cty, b.tgt_cty), (a.src_cty, a.tgt_cty)):
            continue
        same_loc = a.loc_cty is not None and a.loc_cty == b.loc_cty
        n_terms = len(a.terms & b.terms)
        same_qty = bool(a.qtys & b.qtys)
        score = max(s1, 0) + max(s2, 0) + int(same_loc) + int(n_terms >= int(rules.get("min_shared_terms", 2))) \
            + int(same_qty)
        if score < int(scfg.get("min_score", 0)):
            continue
        d = _Decision(score, swapped, "story", s1, s2, same_loc, n_terms, same_qty, gap)
        if best is None or d.score > best.score:
            best = d
    return best


def _attach_dateless(ms: list[_Mention], clusters: list[_Cluster], family: str, rules: dict, generic,
                     links: list) -> list[list[int]]:
    """Mentions with no date at all (no stated date, no publication date) join an existing cluster of their block
    only on strong evidence (min_link_score_nodate, or a story link) and only when one cluster is the unique
    best; otherwise they stay alone. Candidates come from an actor and a story-group index, not all clusters."""
    symmetric = family in set(rules.get("symmetric_families") or [])
    window, story_window = _windows(family, rules)
    index: dict[Any, list[int]] = defaultdict(list)
    for i, c in enumerate(clusters):
        for k in {c.src_id, c.tgt_id, c.src_cty, c.tgt_cty} - {None}:
            index[k].append(i)
        for g in c.sgroups:
            index[("group", g)].append(i)
    alone: list[list[int]] = []
    for m in sorted(ms, key=_content_key):
        keys = {m.src_id, m.tgt_id, m.src_cty, m.tgt_cty} - {None}
        if m.sgroup is not None:
            keys.add(("group", m.sgroup))
        cands = sorted({i for k in keys for i in index.get(k, [])})
        scored = []
        for i in cands:
            d = _match(m, clusters[i], 0, symmetric, rules, generic, story_window)
            if d is not None:
                scored.append(((d.rule == "actors", d.score), i, d))
        scored.sort(key=lambda x: (x[0], -x[1]), reverse=True)
        if scored and (len(scored) == 1 or scored[0][0] > scored[1][0]):
            c, d = clusters[scored[0][1]], scored[0][2]
            links.append((m.idx, c.members[0], d))
            c.members.append(m.idx)
            c.stories.add(m.story_key)
        else:
            alone.append([m.idx])
    return alone


def _representative(members: list[_Mention]) -> _Mention:
    far = dt.date.max
    return sorted(members, key=lambda m: (-m.confidence, -m.filled, m.published or far) + _content_key(m))[0]


PRECISION_RANK = {"day": 0, "week": 1, "before": 2, "month": 3, "year": 4}


def cluster_date(mem: list[_Mention]) -> tuple[dt.date | None, str]:
    """The most precise consistent date of a cluster's mentions: among the stated dates of the finest precision
    present, the one that the most stated intervals of the cluster contain (ties: the most frequent, then the
    earliest). Returns (date, precision); (None, "none") when no mention states a date."""
    dated = [m for m in mem if m.dated and m.event_date is not None and m.precision in PRECISION_RANK]
    if not dated:
        return None, "none"
    finest = min(PRECISION_RANK[m.precision] for m in dated)
    cands = Counter(m.event_date for m in dated if PRECISION_RANK[m.precision] == finest)
    ivals = [(m.lo, m.hi) for m in dated if m.lo is not None]

    def support(d):
        return sum(1 for lo, hi in ivals if lo <= d <= hi)

    day = sorted(cands, key=lambda d: (-support(d), -cands[d], d))[0]
    prec = next(m.precision for m in dated if PRECISION_RANK[m.precision] == finest and m.event_date == day)
    return day, prec


@dataclass
class LinkResult:
    events: pl.DataFrame      # the input events with event_cluster_id (row order kept)
    clusters: pl.DataFrame    # event_clusters
    links: pl.DataFrame       # event_links: one row per mention that joined a cluster, with the deciding features
    story_groups: StoryGroups | None = None


def link_events(events: pl.DataFrame, stories: pl.DataFrame, rules: dict | None = None, *,
                documents: pl.DataFrame | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Link event mentions across stories. Returns (events with `event_cluster_id`, event_clusters); see
    `link_events_explained` for the event_links table too."""
    res = link_events_explained(events, stories, rules, documents=documents)
    return res.events, res.clusters


def story_groups_for(stories: pl.DataFrame, rules: dict) -> StoryGroups | None:
    """Story groups of the canonical stories (stories.py), or None when grouping is off or the stories carry no
    text (`title` and/or `lead`/`text`)."""
    cfg = rules.get("story_groups") or {}
    if not cfg.get("enabled", True):
        return None
    cols = set(stories.columns)
    lead_col = "lead" if "lead" in cols else ("text" if "text" in cols else None)
    if "title" not in cols and lead_col is None:
        return None
    st = stories
    if "is_canonical" in cols:
        st = st.filter(pl.col("is_canonical").fill_null(True))
    key = (pl.when(pl.col("cluster_id").str.strip_chars() != "").then(pl.col("cluster_id")).otherwise(pl.col("story_id"))
           if "cluster_id" in cols else pl.col("story_id")).fill_null(pl.col("story_id"))
    n = int(cfg.get("lead_chars", 600))
    frame = st.select(key.alias("key"),
                      (pl.col("title") if "title" in cols else pl.lit(None, dtype=pl.Utf8)).alias("title"),
                      (pl.col(lead_col).str.slice(0, n) if lead_col else pl.lit(None, dtype=pl.Utf8)).alias("lead"))
    frame = frame.unique("key", keep="first", maintain_order=True)
    keys = frame["key"].to_list()
    texts = [story_text(t, l, cfg) for t, l in zip(frame["title"].to_list(), frame["lead"].to_list())]
    return group_stories(keys, texts, cfg)


LINKS_SCHEMA: dict[str, Any] = {
    "link_id": pl.Utf8,
    "event_cluster_id": pl.Utf8,
    "event_id": pl.Utf8,
    "linked_event_id": pl.Utf8,
    "rule": pl.Utf8,
    "score": pl.Int32,
    "source_agreement": pl.Int8,
    "target_agreement": pl.Int8,
    "actors_swapped": pl.Boolean,
    "same_location": pl.Boolean,
    "shared_terms": pl.Int32,
    "same_quantity": pl.Boolean,
    "date_gap_days": pl.Int32,
    "same_story_group": pl.Boolean,
    "story_similarity": pl.Float64,
    "decided_by": pl.Utf8,
}


def _decided_by(d: _Decision, same_group: bool, sim: float, rules: dict, window: int, story_window: int) -> str:
    parts = []
    if d.rule == "story":
        parts.append(f"same_story_group(similarity={sim:.2f})")
    parts.append(f"source={d.source}" + (";swapped" if d.swapped else ""))
    parts.append(f"target={d.target}")
    if d.date_gap is None:
        parts.append("no_date")
    else:
        parts.append(f"date_gap={d.date_gap}d<={story_window if d.rule == 'story' and d.date_gap > window else window}d")
    if d.same_location:
        parts.append("same_location")
    if d.shared_terms >= int(rules.get("min_shared_terms", 2)):
        parts.append(f"shared_terms={d.shared_terms}")
    if d.same_quantity:
        parts.append("same_quantity")
    return f"{d.rule}: score={d.score}; " + ", ".join(parts)


def link_events_explained(events: pl.DataFrame, stories: pl.DataFrame, rules: dict | None = None, *,
                          documents: pl.DataFrame | None = None) -> LinkResult:
    """Link event mentions across stories: block -> score -> cluster -> explain.

    events: CONTRACT `events` columns without event_cluster_id; stories: at least story_id (and ideally
    doc_id, outlet, published_date, cluster_id, is_canonical, and title + lead/text for story groups);
    documents (optional: doc_id, url) gives the source domain used as the outlet when a story has none.
    """
    rules = rules or load_rules()
    generic = _generic_predicate(rules)
    if events.height == 0:
        return LinkResult(events.with_columns(pl.lit(None, dtype=pl.Utf8).alias("event_cluster_id")),
                          pl.DataFrame(schema=CLUSTER_SCHEMA), pl.DataFrame(schema=LINKS_SCHEMA))
    sgroups = story_groups_for(stories, rules)
    mentions = _prepare(events, stories, rules, documents, sgroups)

    blocks: dict[tuple, list[_Mention]] = defaultdict(list)
    dateless: dict[tuple, list[_Mention]] = defaultdict(list)
    groups: list[list[int]] = []
    links: list[tuple[int, int, _Decision]] = []
    for m in mentions:
        if m.fgroup is None or not m.event_type:
            groups.append([m.idx])  # never linked: negated/hypothetical or untyped
        elif m.lo is None:
            dateless[(m.family, m.fgroup)].append(m)
        else:
            blocks[(m.family, m.fgroup)].append(m)
    for key in sorted(set(blocks) | set(dateless)):
        clusters = _cluster_block(blocks.get(key, []), key[0], rules, generic, links)
        clusters = _merge_in_groups(clusters, key[0], rules, generic, links, None)
        groups.extend(_attach_dateless(dateless.get(key, []), clusters, key[0], rules, generic, links))
        groups.extend(c.members for c in clusters)

    windows = rules.get("windows_days") or {}
    cluster_of = [None] * len(mentions)
    rows = []
    for idxs in groups:
        mem = [mentions[i] for i in idxs]
        rep = _representative(mem)
        cid = stable_id("ec", rep.event_id)
        for i in idxs:
            cluster_of[i] = cid
        counted = [m for m in mem if m.canonical] or mem
        types = Counter(m.event_type for m in mem)
        top = max(types.values())
        etype = rep.event_type if types[rep.event_type] == top else sorted(t for t, n in types.items() if n == top)[0]
        ev_date, ev_prec = cluster_date(mem)

        def first(attr):
            vals = [getattr(m, attr) for m in [rep] + mem if getattr(m, attr) is not None]
            return vals[0] if vals else None

        pubs = [m.published for m in counted if m.published is not None]
        los = [m.event_date for m in mem if m.event_date is not None]
        window = int(windows.get(rep.family, windows.get("default", 2)))
        rows.append({
            "event_cluster_id": cid,
            "event_type": etype,
            "type_family": rep.family,
            "factuality": rep.factuality,
            "source_actor_id": first("src_id"),
            "source_country": first("src_cty"),
            "target_actor_id": first("tgt_id"),
            "target_country": first("tgt_cty"),
            "location_country": first("loc_cty"),
            "event_date": ev_date,
            "date_precision": ev_prec,
            "first_date": min(los) if los else None,
            "last_date": max(los) if los else None,
            "first_reported": min(pubs) if pubs else None,
            "last_reported": max(pubs) if pubs else None,
            "n_mentions": len({(m.story_key, m.evidence_key) for m in counted}),
            "n_stories": len({m.story_key for m in counted}),
            "n_outlets": len({m.outlet_key for m in counted}),
            "representative_event_id": rep.event_id,
            "link_rule": (f"link:family={rep.family};factuality={rep.fgroup};window={window}d"
                          if rep.fgroup is not None and (rep.lo is not None or len(mem) > 1) else "link:unlinkable"),
        })
    link_rows = []
    for i, j, d in links:
        a, b = mentions[i], mentions[j]
        w, sw = _windows(a.family, rules)
        same = a.sgroup is not None and a.sgroup == b.sgroup
        sim = sgroups.similarity(a.story_key, b.story_key) if sgroups is not None else 0.0
        link_rows.append({
            "link_id": stable_id("el", a.event_id, b.event_id),
            "event_cluster_id": cluster_of[i],
            "event_id": a.event_id,
            "linked_event_id": b.event_id,
            "rule": d.rule,
            "score": d.score,
            "source_agreement": d.source,
            "target_agreement": d.target,
            "actors_swapped": d.swapped,
            "same_location": d.same_location,
            "shared_terms": d.shared_terms,
            "same_quantity": d.same_quantity,
            "date_gap_days": d.date_gap,
            "same_story_group": same,
            "story_similarity": round(sim, 4),
            "decided_by": _decided_by(d, same, sim, rules, w, sw),
        })
    ev_out = events.with_columns(pl.Series("event_cluster_id", cluster_of, dtype=pl.Utf8))
    clusters = pl.DataFrame(rows, schema=CLUSTER_SCHEMA).sort("event_cluster_id")
    links_df = pl.DataFrame(link_rows, schema=LINKS_SCHEMA).sort("link_id")
    return LinkResult(complete_dates_from_clusters(ev_out, clusters), clusters, links_df, sgroups)


DATE_FROM_CLUSTER_RULE = "link:date-from-cluster@1"
_MONTH_WORD = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\b", re.IGNORECASE)


def complete_dates_from_clusters(events: pl.DataFrame, clusters: pl.DataFrame) -> pl.DataFrame:
    """Give an undated mention its cluster's day when its own date words name that very day.

    A story without a publication date can say "On Oct. 2" and leave the year unknown. Once the mention is linked
    to a cluster dated 2020-10-02 by other stories, resolving "On Oct. 2" against that date gives 2020-10-02 again:
    the mention's own words agree, so the day is adopted (precision `day`) and the rule is added to `extractor`.
    A date the words do not confirm is never copied.
    """
    from pipelines.core.extract.dates import find_date_mentions, resolve_date

    needed = {"event_date", "date_text", "date_precision", "extractor", "event_cluster_id"}
    if not events.height or not needed <= set(events.columns):
        return events
    day_of = {r["event_cluster_id"]: r["event_date"] for r in clusters.select("event_cluster_id", "event_date").iter_rows(named=True)
              if r["event_date"] is not None}
    dates, precisions, extractors = [], [], []
    cols = ["event_date", "date_text", "date_precision", "extractor", "event_cluster_id"]
    cols += ["evidence"] if "evidence" in events.columns else []
    for r in events.select(cols).iter_rows(named=True):
        date, precision, extractor = r["event_date"], r["date_precision"], r["extractor"]
        anchor = day_of.get(r["event_cluster_id"])
        if date is None and anchor is not None:
            # only calendar expressions ("Oct. 2", "2 October"): relative words like "today" name no day by themselves
            texts = [r["date_text"]] if r["date_text"] else [t for _, _, t in find_date_mentions(r.get("evidence") or "")]
            for text in texts:
                if not _MONTH_WORD.search(text):
                    continue
                resolved, prec, _ = resolve_date(text, anchor)
                if resolved == anchor and prec == "day":
                    date, precision, extractor = anchor, "day", f"{extractor}+{DATE_FROM_CLUSTER_RULE}"
                    break
        dates.append(date)
        precisions.append(precision)
        extractors.append(extractor)
    return events.with_columns(
        pl.Series("event_date", dates, dtype=events.schema["event_date"]),
        pl.Series("date_precision", precisions, dtype=pl.Utf8),
        pl.Series("extractor", extractors, dtype=pl.Utf8),
    )
