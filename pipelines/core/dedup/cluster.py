"""Stage 4 — cluster: union-find over verified pairs (transitive clusters) and the canonical-story rule."""
from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Iterable


class UnionFind:
    def __init__(self) -> None:
        self.parent: dict = {}

    def find(self, x):
        p = self.parent.setdefault(x, x)
        if p == x:
            return x
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a, b) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> dict:
        out: dict = {}
        for x in list(self.parent):
            out.setdefault(self.find(x), []).append(x)
        return out


_FAR = dt.date.max
_NO_FURNITURE = float("inf")


def eligible(members: Iterable[dict], min_gain: float) -> list[dict]:
    """Members within `min_gain` of the longest: n_words * (1 + min_gain) >= the cluster's max n_words (exact
    rational arithmetic, so a threshold such as 0.05 does not wobble with floating point)."""
    ms = list(members)
    longest = max(int(m["n_words"] or 0) for m in ms)
    gain = 1 + Fraction(str(min_gain))
    return [m for m in ms if int(m["n_words"] or 0) * gain >= longest]


def canonical_key(published_date: dt.date | None, furniture: int | None, story_id: str,
                  doc_furniture: int | None = None) -> tuple:
    """Order among the eligible members (smaller is better): earliest known publication date (unknown last),
    then the least furniture removed from the story's raw slice, then the least removed from its whole source
    document (unknown last for both), then the smallest story_id."""
    return (published_date or _FAR, _NO_FURNITURE if furniture is None else int(furniture),
            _NO_FURNITURE if doc_furniture is None else int(doc_furniture), story_id)


def choose_canonical(members: Iterable[dict], min_gain: float) -> str:
    """The canonical story_id of a cluster: a pure function of its members (dicts with story_id, n_words,
    published_date and furniture = raw_end - raw_start - len(text), which may be None), so it does not depend on
    the order in which stories arrived (an incremental run equals a full rebuild).

    Eligible are the members within min_gain of the longest (an updated, clearly longer version wins over the
    shorter ones); among them the earliest published_date wins, then the one with the least furniture removed by
    the cleaner in the story's own slice, then in its whole source document (a re-scraped copy whose page carries
    extra furniture loses to the cleaner original, even when the extra furniture sits outside this story's slice of a
    glued file), then the smallest story_id."""
    ms = list(members)
    if not ms:
        raise ValueError("a cluster has at least one member")
    best = min(eligible(ms, min_gain),
               key=lambda m: canonical_key(m.get("published_date"), m.get("furniture"), m["story_id"],
                                           m.get("doc_furniture")))
    return best["story_id"]
