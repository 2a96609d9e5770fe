"""Linking step 2, score: how well a mention agrees with a cluster (or two clusters with each other).

Features: actor agreement per side with roles (source with source, target with target; crosswise for the
symmetric families), date distance against the intervals the precisions allow, location country, quantity, and
evidence text similarity (shared distinctive terms). Thresholds: pipelines/rules/linking.yaml.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from pipelines.core.link.block import Mention


@dataclass
class Cluster:
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


def side(a_id, a_cty, b_id, b_cty, generic) -> int:
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


class Generic:
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


def generic_predicate(rules: dict) -> Generic:
    return Generic(rules)


@dataclass
class Decision:
    """Why a mention joined a cluster: the rule and every feature the rule looked at (-> an event_links row)."""
    score: int
    swapped: bool
    rule: str               # "actors" (agreeing actors, any stories) | "story" (same story group, compatible)
    source: int             # side agreement, see side
    target: int
    same_location: bool
    shared_terms: int
    same_quantity: bool
    date_gap: int | None    # days between the two date intervals (0 = overlap), None when the mention has no date


def date_gap(m: Mention, c: Cluster) -> int | None:
    if m.lo is None:
        return None
    return max(0, m.lo.toordinal() - c.hi.toordinal(), c.lo.toordinal() - m.hi.toordinal())


def story_cfg(rules: dict) -> dict:
    return rules.get("story_links") or {}


def story_tolerates(scfg: dict, swapped: bool, m_cty: tuple, c_cty: tuple) -> bool:
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


class StorySim:
    """Story-level evidence for the story rule: the cosine of two stories' title+lead vectors (stories.py). A story
    link needs, besides the same story group, one story pair at >= `story_links.min_similarity` (average-linkage
    groups can hold story pairs that share almost nothing). Pair values are cached."""

    def __init__(self, groups, min_similarity: float):
        self.groups, self.min = groups, float(min_similarity or 0.0)
        self.cache: dict[tuple, float] = {}
        self.rows: dict[str, dict] = {}

    def _row(self, key: str) -> dict:
        """A story's normalised TF-IDF row as {term column: weight} (scipy row slicing per pair is ~100x slower)."""
        row = self.rows.get(key)
        if row is None:
            i = self.groups.row_of.get(key)
            if i is None:
                row = {}
            else:
                v = self.groups.vectors
                lo, hi = v.indptr[i], v.indptr[i + 1]
                row = dict(zip(v.indices[lo:hi].tolist(), v.data[lo:hi].tolist()))
            self.rows[key] = row
        return row

    def similarity(self, a: str, b: str) -> float:
        k = (a, b) if a < b else (b, a)
        s = self.cache.get(k)
        if s is None:
            ra, rb = self._row(a), self._row(b)
            if len(rb) < len(ra):
                ra, rb = rb, ra
            s = self.cache[k] = sum(w * rb[c] for c, w in ra.items() if c in rb)
        return s

    def ok(self, keys_a, keys_b) -> bool:
        if self.groups is None or self.min <= 0:
            return True
        for a in keys_a:
            for b in keys_b:
                if a != b and self.similarity(a, b) >= self.min:
                    return True
        return False


def vague_date_conflict(m: Mention, c: Cluster, window: int, rules: dict) -> bool:
    """A mention whose stated date is too coarse to link on ("in 2014", "in March") may still not join a cluster
    of another time: its stated interval must come within `window` days of the cluster's anchor interval
    (linking.yaml `vague_date_veto`)."""
    if m.lo is not None or m.vlo is None or not rules.get("vague_date_veto", True):
        return False
    return max(0, m.vlo.toordinal() - c.hi.toordinal(), c.lo.toordinal() - m.vhi.toordinal()) > window


def story_need(scfg: dict, conflict: bool, no_date: bool) -> int:
    """The score a story link needs: `min_score`, or the higher `min_score_conflict` when a side's actors differ
    (tolerated by actor_conflict), `min_score_nodate` when the mention has no date at all (no test of time)."""
    need = int(scfg.get("min_score", 0))
    if conflict:
        need = max(need, int(scfg.get("min_score_conflict", need)))
    if no_date:
        need = max(need, int(scfg.get("min_score_nodate", need)))
    return need


def match(m: Mention, c: Cluster, window: int, symmetric: bool, rules: dict, generic,
          story_window: int | None = None, sim: StorySim | None = None) -> Decision | None:
    """The best way m may join c, else None. Two rules (linking.yaml):

    actors: the date intervals overlap within the family window, no conflicting actor or location, enough
      agreeing sides (`min_actor_agreements`, best side >= `min_best_side`) and a score >= `min_link_score`
      (`min_link_score_undated` when one side relies on the publication date, `min_link_score_nodate` when m has
      no date at all);
    story: c already holds a mention from another story of m's story group (the same news, stories.py): the
      intervals overlap within `story_links.window_days`, no conflicting actor or location, and a score >=
      `story_links.min_score` (the story group replaces the actor evidence).
    A mention with no interval (m.lo is None) is scored without the date test, unless its coarse stated date
    contradicts the cluster's time (vague_date_conflict)."""
    gap = date_gap(m, c)
    if vague_date_conflict(m, c, story_window if story_window is not None else window, rules):
        return None
    in_group = m.sgroup is not None and m.sgroup in c.sgroups and bool(c.stories - {m.story_key})
    scfg = story_cfg(rules)
    loc_conflict = m.loc_cty is not None and c.loc_cty is not None and m.loc_cty != c.loc_cty
    date_ok = gap is None or gap <= window
    if not (m.dated and c.dated) and in_group and scfg.get("undated_window_days") is not None:
        story_window = int(scfg["undated_window_days"])  # one side dated by its publication only
    story_ok = in_group and (gap is None or gap <= (story_window if story_window is not None else window)) \
        and not (loc_conflict and scfg.get("location_conflict_veto", True))
    if story_ok and sim is not None and not sim.ok((m.story_key,), c.stories):
        story_ok = False  # story-level evidence too weak between these two stories (after the cheap tests)
    if loc_conflict:
        date_ok = False
    if not date_ok and not story_ok:
        return None
    best = None
    for swapped in ((False, True) if symmetric else (False,)):
        s1, s2 = sides(m, c, swapped, generic)
        conflict = s1 < 0 or s2 < 0
        tolerated = story_ok and story_tolerates(scfg, swapped, (m.src_cty, m.tgt_cty), (c.src_cty, c.tgt_cty))
        if conflict and not tolerated:
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
        if rule is None and story_ok and score >= story_need(scfg, conflict, m.lo is None):
            rule = "story"
        if rule is None:
            continue
        d = Decision(score, swapped, rule, s1, s2, same_loc, n_terms, same_qty, gap)
        if better(d, best):
            best = d
    return best


def sides(x, y, swapped: bool, generic) -> tuple[int, int]:
    """Actor agreement of x's (source, target) with y's (source, target), or crossed when swapped (symmetric types)."""
    if swapped:
        return (side(x.tgt_id, x.tgt_cty, y.src_id, y.src_cty, generic),
                side(x.src_id, x.src_cty, y.tgt_id, y.tgt_cty, generic))
    return (side(x.src_id, x.src_cty, y.src_id, y.src_cty, generic),
            side(x.tgt_id, x.tgt_cty, y.tgt_id, y.tgt_cty, generic))


def better(d: Decision, best: Decision | None) -> bool:
    return best is None or (d.rule == "actors", d.score) > (best.rule == "actors", best.score)


def clusters_compatible(a: Cluster, b: Cluster, window: int, story_window: int, symmetric: bool, rules: dict,
                        generic, sim: StorySim | None = None) -> Decision | None:
    scfg = story_cfg(rules)
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
        s1, s2 = sides(b, a, swapped, generic)
        tolerated = story_tolerates(scfg, swapped, (b.src_cty, b.tgt_cty), (a.src_cty, a.tgt_cty))
        if (s1 < 0 or s2 < 0) and not tolerated:
            continue
        same_loc = a.loc_cty is not None and a.loc_cty == b.loc_cty
        n_terms = len(a.terms & b.terms)
        same_qty = bool(a.qtys & b.qtys)
        score = max(s1, 0) + max(s2, 0) + int(same_loc) + int(n_terms >= int(rules.get("min_shared_terms", 2))) \
            + int(same_qty)
        if score < story_need(scfg, s1 < 0 or s2 < 0, False):
            continue
        d = Decision(score, swapped, "story", s1, s2, same_loc, n_terms, same_qty, gap)
        if best is None or d.score > best.score:
            best = d
    if best is not None and sim is not None and not sim.ok(a.stories, b.stories):
        return None  # checked last: the cheap tests above reject most pairs
    return best
