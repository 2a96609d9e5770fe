"""Stage 3 — verify: exact Jaccard / containment of candidate pairs on their shingle sets (not the estimate)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import DedupConfig

EXACT, NEAR, VERSION = "exact", "near", "version"


@dataclass
class ShingleStore:
    """Sorted unique shingle hashes of some rows: flat buffer + offsets, addressed by position in `rows`."""
    flat: np.ndarray
    offsets: np.ndarray
    pos: dict  # row number -> position

    def get(self, row: int) -> np.ndarray:
        p = self.pos[row]
        return self.flat[self.offsets[p]: self.offsets[p + 1]]


def intersections(store: ShingleStore, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """|A & B|, |A|, |B| for each pair (sorted unique arrays: binary search of the smaller in the larger)."""
    inter = np.zeros(len(a), np.int64)
    na = np.zeros(len(a), np.int64)
    nb = np.zeros(len(a), np.int64)
    for i, (x, y) in enumerate(zip(a.tolist(), b.tolist())):
        sa, sb = store.get(x), store.get(y)
        na[i], nb[i] = len(sa), len(sb)
        if len(sa) == 0 or len(sb) == 0:
            continue
        small, big = (sa, sb) if len(sa) <= len(sb) else (sb, sa)
        j = np.searchsorted(big, small)
        j[j == len(big)] = 0
        inter[i] = int(np.count_nonzero(big[j] == small))
    return inter, na, nb


def measures(inter: np.ndarray, na: np.ndarray, nb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """jaccard, containment (of the smaller in the larger), length ratio."""
    union = na + nb - inter
    small = np.minimum(na, nb)
    big = np.maximum(na, nb)
    with np.errstate(divide="ignore", invalid="ignore"):
        jac = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
        cont = np.where(small > 0, inter / np.maximum(small, 1), 0.0)
        ratio = np.where(big > 0, small / np.maximum(big, 1), 0.0)
    return jac, cont, ratio


def classify(same_text: np.ndarray, jac: np.ndarray, cont: np.ndarray, ratio: np.ndarray, small: np.ndarray,
             cfg: DedupConfig) -> list[str | None]:
    """The relation a verified pair satisfies (exact > near > version), or None if it is not a duplicate."""
    out: list[str | None] = []
    for s, j, c, r, m in zip(same_text.tolist(), jac.tolist(), cont.tolist(), ratio.tolist(), small.tolist()):
        if s:
            out.append(EXACT)
        elif j >= cfg.near_jaccard:
            out.append(NEAR)
        elif c >= cfg.version_containment and m >= cfg.version_min_shingles and r >= cfg.version_min_ratio:
            out.append(VERSION)
        else:
            out.append(None)
    return out


def rule_name(relation: str | None, cfg: DedupConfig) -> str | None:
    return {EXACT: cfg.exact_rule, NEAR: cfg.near_rule, VERSION: cfg.version_rule}.get(relation)
