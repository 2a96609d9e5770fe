"""Stage 2 — bucket: LSH banding of MinHash signatures into candidate pairs.

Each signature is cut into `bands` bands of `rows_per_band` values; stories sharing any band key are candidates.
Only pairs with at least one *new* story are generated (incremental: new stories against the whole index)."""
from __future__ import annotations

import numpy as np
import polars as pl

from .config import DedupConfig
from .signature import _mix64

_P = np.uint64(0xD6E8FEB86659FD93)


def band_keys(minhash: np.ndarray, cfg: DedupConfig) -> np.ndarray:
    """(n, bands) uint64 keys; the band number is folded into the key so equal values in different bands differ."""
    n = minhash.shape[0]
    r = cfg.rows_per_band
    m = minhash[:, : cfg.bands * r].astype(np.uint64).reshape(n, cfg.bands, r)
    acc = np.broadcast_to(np.arange(cfg.bands, dtype=np.uint64) + np.uint64(1), (n, cfg.bands)).copy()
    for t in range(r):
        acc = _mix64((acc * _P) ^ m[:, :, t])
    return acc


def _long(rows: np.ndarray, keys: np.ndarray) -> pl.DataFrame:
    n, b = keys.shape
    return pl.DataFrame({
        "row": np.repeat(rows.astype(np.int64), b),
        "band": np.tile(np.arange(b, dtype=np.int16), n),
        "key": keys.reshape(-1),
    })


def candidate_pairs(minhash: np.ndarray, is_new: np.ndarray, rank: np.ndarray, cfg: DedupConfig) -> np.ndarray:
    """Candidate pairs (k, 2) of row numbers (a < b), each with at least one new row.

    minhash: (n, num_perm) of the LSH participants, old and new; pairs are row numbers into it.
    is_new:  bool per row.   rank: a total order per row (story_id order), for hubs.
    Keys of old rows are computed chunk by chunk and kept only where they meet a new key, so memory follows the
    new batch, not the index."""
    if not is_new.any():
        return np.zeros((0, 2), np.int64)
    new_long = _long(np.flatnonzero(is_new), band_keys(minhash[is_new], cfg))
    new_keys = new_long.select("band", "key").unique()
    old_idx = np.flatnonzero(~is_new)
    hits = [new_long]
    for s in range(0, len(old_idx), cfg.chunk_size):
        part = old_idx[s: s + cfg.chunk_size]
        hits.append(_long(part, band_keys(minhash[part], cfg)).join(new_keys, on=["band", "key"], how="semi"))
    members = pl.concat(hits)
    rows = members["row"].to_numpy()
    members = members.with_columns(pl.Series("rank", rank[rows], dtype=pl.Int64),
                                   pl.Series("new", is_new[rows], dtype=pl.Boolean))
    sizes = members.group_by("band", "key").agg(pl.len().alias("size"))
    members = members.join(sizes.filter(pl.col("size") > 1), on=["band", "key"])
    small = members.filter(pl.col("size") <= cfg.max_bucket)
    big = members.filter(pl.col("size") > cfg.max_bucket)
    pairs = []
    if small.height:
        left = small.filter(pl.col("new")).select("band", "key", pl.col("row").alias("a"))
        right = small.select("band", "key", pl.col("row").alias("b"))
        pairs.append(left.join(right, on=["band", "key"]).filter(pl.col("a") != pl.col("b")).select("a", "b"))
    if big.height:
        hubs = big.with_columns(pl.col("rank").rank("ordinal").over("band", "key").alias("r")).filter(
            pl.col("r") <= cfg.bucket_hubs).select("band", "key", pl.col("row").alias("b"), pl.col("new").alias("bn"))
        mem = big.select("band", "key", pl.col("row").alias("a"), pl.col("new").alias("an"))
        pairs.append(mem.join(hubs, on=["band", "key"]).filter(
            (pl.col("a") != pl.col("b")) & (pl.col("an") | pl.col("bn"))).select("a", "b"))
    if not pairs:
        return np.zeros((0, 2), np.int64)
    p = pl.concat(pairs).select(pl.min_horizontal("a", "b").alias("a"), pl.max_horizontal("a", "b").alias("b"))
    p = p.unique().sort("a", "b")
    return np.stack([p["a"].to_numpy(), p["b"].to_numpy()], axis=1).astype(np.int64)
