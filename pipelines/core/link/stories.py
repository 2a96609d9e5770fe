"""Story groups: stories that report the same news (title + lead text similarity), the first level of linking.

Different outlets code the same real-world event with different PLOVER types and actors, so mention-level
agreement alone links little across outlets. Stories about the same news, however, share their distinctive
words: names, places, the thing that happened. This module groups canonical stories by that similarity; the
mention linker (linker.py) then links mentions of compatible types *inside* a story group on weaker actor
evidence than it needs between unrelated stories.

Steps (thresholds in linking.yaml `story_groups`):
1. Text: the title (repeated `title_weight` times) + the first `lead_chars` characters of the story text,
   lower-cased words of 3+ letters minus `stopwords`.
2. Vector: TF-IDF, tf = 1 + ln(count), idf = ln(N / df) over the canonical stories being linked; terms in a
   single story (they link nothing) or in more than `max_df_share` of the stories (no signal) are dropped; each
   story keeps its `top_terms` heaviest terms, L2-normalised.
3. Block: candidate pairs are the non-zeros of the sparse product X @ X.T (stories sharing a kept term), never
   all pairs; only pairs with cosine >= `min_edge` are kept.
4. Cluster: average linkage over that sparse graph. Edges are taken in decreasing cosine; two groups merge when
   the mean cosine over *all* their story pairs (missing edges count 0) is >= `min_average`. Unlike connected
   components, one spurious edge cannot chain two topics together.

Duplicates never count: callers pass canonical stories only (a re-ingested copy changes no IDF and no group).
The grouping depends on the texts only, never on ids or row order.
"""
from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

_WORD = re.compile(r"[a-z][a-z'’\-]{2,}")


@dataclass
class StoryGroups:
    """Result of `group_stories`: `group_of[key]` an int group label (stories alone have their own label),
    `vectors` the normalised TF-IDF rows (row `row_of[key]`) to score a pair of stories later."""

    group_of: dict[str, int]
    row_of: dict[str, int]
    vectors: sp.csr_matrix
    n_edges: int

    def similarity(self, a: str, b: str) -> float:
        ia, ib = self.row_of.get(a), self.row_of.get(b)
        if ia is None or ib is None:
            return 0.0
        if ia == ib:
            return 1.0
        return float(self.vectors[ia].multiply(self.vectors[ib]).sum())

    def group_sizes(self) -> Counter:
        return Counter(self.group_of.values())


def story_text(title: str | None, lead: str | None, cfg: dict) -> str:
    n = int(cfg.get("lead_chars", 600))
    reps = int(cfg.get("title_weight", 2))
    return ((title or "") + " ") * reps + (lead or "")[:n]


def _tokens(text: str, stop: frozenset) -> Counter:
    return Counter(w for w in _WORD.findall(text.lower()) if w not in stop)


def _content_order(texts: list[str]) -> list[int]:
    """Row order by content (not ids): a re-ingested copy under another id sorts the same way."""
    return sorted(range(len(texts)), key=lambda i: (hashlib.blake2b(texts[i].encode("utf-8"), digest_size=8).digest(), i))


def group_stories(keys: list[str], texts: list[str], cfg: dict) -> StoryGroups:
    """Group stories `keys` (canonical story keys) by the similarity of `texts` (see `story_text`)."""
    stop = frozenset(w.lower() for w in (cfg.get("stopwords") or []))
    top = int(cfg.get("top_terms", 40))
    min_edge = float(cfg.get("min_edge", 0.1))
    min_avg = float(cfg.get("min_average", 0.08))
    max_df_share = float(cfg.get("max_df_share", 0.5))
    order = _content_order(texts)
    keys = [keys[i] for i in order]
    counts = [_tokens(texts[i], stop) for i in order]
    n = len(keys)
    df = Counter(w for c in counts for w in c)
    max_df = max(2, int(max_df_share * n))
    vocab: dict[str, int] = {}
    data: list[float] = []
    ind: list[int] = []
    ptr = [0]
    for c in counts:
        ws = [(w, (1.0 + math.log(k)) * math.log(n / df[w])) for w, k in c.items() if 1 < df[w] <= max_df]
        ws.sort(key=lambda x: (-x[1], x[0]))
        ws = ws[:top]
        norm = math.sqrt(sum(v * v for _, v in ws)) or 1.0
        for w, v in ws:
            ind.append(vocab.setdefault(w, len(vocab)))
            data.append(v / norm)
        ptr.append(len(ind))
    X = sp.csr_matrix((np.asarray(data, dtype=np.float64), np.asarray(ind, dtype=np.int64), np.asarray(ptr)),
                      shape=(n, max(1, len(vocab))))
    group = _average_linkage(n, X, min_edge, min_avg) if n > 1 else list(range(n))
    return StoryGroups(group_of=dict(zip(keys, group)), row_of={k: i for i, k in enumerate(keys)}, vectors=X,
                       n_edges=0)


def _average_linkage(n: int, X: sp.csr_matrix, min_edge: float, min_avg: float) -> list[int]:
    S = sp.triu(X @ X.T, k=1).tocoo()
    keep = S.data >= min_edge
    rows, cols, vals = S.row[keep], S.col[keep], S.data[keep]
    # decreasing cosine, ties by row/col (rows are in content order)
    order = np.lexsort((cols, rows, -vals))
    comp = list(range(n))
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    adj: dict[int, dict[int, float]] = {}
    for i, j, v in zip(rows.tolist(), cols.tolist(), vals.tolist()):
        adj.setdefault(i, {})[j] = v
        adj.setdefault(j, {})[i] = v
    for k in order.tolist():
        a, b = comp[rows[k]], comp[cols[k]]
        if a == b:
            continue
        w = adj.get(a, {}).get(b, 0.0)
        if w / (len(members[a]) * len(members[b])) < min_avg:
            continue
        if len(members[a]) < len(members[b]):
            a, b = b, a
        for x in members[b]:
            comp[x] = a
        members[a].extend(members.pop(b))
        adj_a = adj.setdefault(a, {})
        for c, val in adj.pop(b, {}).items():
            if c == a:
                continue
            adj_a[c] = adj_a.get(c, 0.0) + val
            d = adj[c]
            d.pop(b, None)
            d[a] = d.get(a, 0.0) + val
        adj_a.pop(b, None)
    return comp
