"""The rows taking part in one dedup run (kept rows of the old index, then the new signatures), and exact set
measures of candidate row pairs read tile by tile (bounded memory however the pairs spread over the corpus)."""
from __future__ import annotations

from typing import Iterator

import numpy as np
import polars as pl

from .tables import _Table
from .verify import ShingleStore, intersections

# candidate pairs verified at once (dedup_stories(verify_batch=...)): the Python lists of classify() cost ~200 bytes
# per pair, so a batch costs ~40 MB however many candidates the corpus has (50x BBC: 6.4 million)
VERIFY_BATCH = 200_000


class _Universe:
    """Row numbers 0..n-1 over the stories taking part in this run: the kept rows of the old index (old_pos: their
    positions in it, ascending), then the new signatures. Reads a column for chosen rows slice by slice: slices
    of `size` rows of the new signatures and of `old_size` (default: size) rows of the old index."""

    def __init__(self, old: _Table | None, old_pos: np.ndarray, new: _Table, size: int,
                 old_size: int | None = None) -> None:
        self.old, self.old_pos, self.new, self.size = old, old_pos, new, size
        self.old_size = old_size or size
        self.n_old = len(old_pos)

    def iter_rows(self, rows: np.ndarray, column: str) -> Iterator[tuple[np.ndarray, pl.Series]]:
        """(universe rows, values) for the sorted universe `rows`, one source slice at a time, ascending."""
        rows = np.asarray(rows, dtype=np.int64)
        old_rows = rows[rows < self.n_old]
        new_rows = rows[rows >= self.n_old]
        for table, pos, urows, size in ((self.old, self.old_pos[old_rows], old_rows, self.old_size),
                                        (self.new, new_rows - self.n_old, new_rows, self.size)):
            if table is None or len(pos) == 0:
                continue
            for off, chunk in table.slices([column], size, pos):
                lo, hi = np.searchsorted(pos, [off, off + size])
                yield urows[lo:hi], chunk[column].gather(pos[lo:hi] - off)

    def store(self, rows: np.ndarray) -> ShingleStore:
        rows = np.unique(rows)
        parts = [s for _, s in self.iter_rows(rows, "shingles")]
        sub = pl.concat(parts) if parts else pl.Series("shingles", [], pl.List(pl.UInt64))
        lens = sub.list.len().to_numpy().astype(np.int64)
        flat = sub.explode().drop_nulls().to_numpy().astype(np.uint64)
        offsets = np.concatenate(([0], np.cumsum(lens)))
        return ShingleStore(flat, offsets, {int(r): i for i, r in enumerate(rows.tolist())})

    # slices held at once per side while verifying: TILE_SLICES * size rows of shingle sets (~15 MB at 4 x 1024)
    TILE_SLICES = 4

    def block_of(self, rows: np.ndarray) -> np.ndarray:
        """The source slice of each universe row (old-index slices first, then new-signature slices)."""
        rows = np.asarray(rows, dtype=np.int64)
        n_old_slices = -(-self.old.n // self.old_size) if self.old is not None else 0
        out = np.empty(len(rows), np.int64)
        is_old = rows < self.n_old
        out[is_old] = self.old_pos[rows[is_old]] // self.old_size
        out[~is_old] = n_old_slices + (rows[~is_old] - self.n_old) // self.size
        return out

    def measure_batches(self, a: np.ndarray, b: np.ndarray, batch: int = VERIFY_BATCH
                        ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        """(positions i, |A & B|, |A|, |B|) for the row pairs (a[i], b[i]), at most `batch` pairs at a time: a block
        nested loop over tiles of TILE_SLICES source slices, so at most two tiles of shingle sets are in memory and
        each (tile, tile) group is read once, however the pairs are spread over the corpus. Within a group the
        pairs keep their given order."""
        a = np.asarray(a)
        b = np.asarray(b)
        if not len(a):
            return
        step = max(1, int(batch))
        # (low tile, high tile) group of every pair, computed a batch at a time (few temporaries of len(a))
        group = np.empty(len(a), np.int64)
        for lo in range(0, len(a), 1 << 20):
            ta = self.block_of(a[lo:lo + (1 << 20)]) // self.TILE_SLICES
            tb = self.block_of(b[lo:lo + (1 << 20)]) // self.TILE_SLICES
            group[lo:lo + len(ta)] = np.minimum(ta, tb) << 32 | np.maximum(ta, tb)
        order = np.argsort(group, kind="stable")
        group = group[order]
        cuts = np.flatnonzero(group[1:] != group[:-1]) + 1
        del group
        for idx in np.split(order, cuts):
            sa, sb = a[idx], b[idx]
            st = self.store(np.concatenate([sa, sb]))
            for lo in range(0, len(idx), step):
                yield (idx[lo:lo + step],) + intersections(st, sa[lo:lo + step], sb[lo:lo + step])
            del st

    def measure(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """|A & B|, |A|, |B| for row pairs (all at once; see measure_batches)."""
        inter = np.zeros(len(a), np.int64)
        na = np.zeros(len(a), np.int64)
        nb = np.zeros(len(a), np.int64)
        for idx, i, x, y in self.measure_batches(a, b, max(1, len(a))):
            inter[idx], na[idx], nb[idx] = i, x, y
        return inter, na, nb
