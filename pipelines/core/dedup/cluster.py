"""Stage 4 — cluster: union-find over verified pairs (transitive clusters) and the canonical-story rule."""
from __future__ import annotations

import datetime as dt
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


def canonical_key(n_words: int, published_date: dt.date | None, story_id: str) -> tuple:
    """Smaller is better: most words, then earliest known publication date, then smallest story_id."""
    return (-int(n_words or 0), published_date or _FAR, story_id)


def choose_canonical(members: Iterable[dict], min_gain: float) -> str:
    """members: dicts with story_id, n_words, published_date, incumbent (was canonical before this run).

    The best by canonical_key wins, except that an incumbent canonical is kept unless the best has more than
    (1 + min_gain) times its words: a copy never displaces the story analysts already have, an update does."""
    ms = list(members)
    best = min(ms, key=lambda m: canonical_key(m["n_words"], m["published_date"], m["story_id"]))
    incumbents = [m for m in ms if m.get("incumbent")]
    if not incumbents:
        return best["story_id"]
    inc = min(incumbents, key=lambda m: canonical_key(m["n_words"], m["published_date"], m["story_id"]))
    if best is inc or best["n_words"] <= inc["n_words"] * (1.0 + min_gain):
        return inc["story_id"]
    return best["story_id"]
