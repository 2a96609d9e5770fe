"""Stage 2 — bucket: LSH banding of MinHash signatures into candidate pairs.

Each signature is cut into `bands` bands of `rows_per_band` values; stories sharing any band key are candidates.
Only pairs with at least one *new* story are generated (incremental: new stories against the whole index).

Out-of-core: the pipeline computes the keys of a few bands at a time for every participant (reading the MinHash
column chunk by chunk), turns them into pairs with bucket_pair_keys() (one band at a time, as sorted int64 pair
keys), and moves on to the next bands; a full (n, num_perm) matrix, an (n, bands) key matrix or the pairs of every
band at once are never held."""
from __future__ import annotations

import numpy as np
import polars as pl

from .config import DedupConfig
from .signature import _mix64

_P = np.uint64(0xD6E8FEB86659FD93)
PAIR_SCHEMA = {"a": pl.Int64, "b": pl.Int64}


def band_keys(minhash: np.ndarray, cfg: DedupConfig, bands: range | None = None) -> np.ndarray:
    """(n, len(bands)) uint64 keys of the given bands (default: all); the band number is folded into the key so
    equal values in different bands differ."""
    bands = range(cfg.bands) if bands is None else bands
    n = minhash.shape[0]
    r = cfg.rows_per_band
    cols = np.concatenate([np.arange(b * r, (b + 1) * r) for b in bands]) if len(bands) else np.zeros(0, np.int64)
    m = minhash[:, cols].astype(np.uint64).reshape(n, len(bands), r)
    acc = np.broadcast_to(np.asarray(bands, dtype=np.uint64) + np.uint64(1), (n, len(bands))).copy()
    for t in range(r):
        acc = _mix64((acc * _P) ^ m[:, :, t])
    return acc


def long_keys(rows: np.ndarray, keys: np.ndarray, bands: range) -> pl.DataFrame:
    """(row, band, key) rows from a (n, len(bands)) key block."""
    n, b = keys.shape
    return pl.DataFrame({
        "row": np.repeat(rows.astype(np.int64), b),
        "band": np.tile(np.asarray(bands, dtype=np.int16), n),
        "key": keys.reshape(-1),
    })


def with_rank(long: pl.DataFrame, rank: np.ndarray, is_new: np.ndarray) -> pl.DataFrame:
    """Adds rank and new (looked up by row number) to a (row, band, key) frame."""
    r = long["row"].to_numpy()
    return long.with_columns(pl.Series("rank", rank[r], dtype=pl.Int64), pl.Series("new", is_new[r], dtype=pl.Boolean))


def _band_pair_keys(members: pl.DataFrame, cfg: DedupConfig) -> np.ndarray:
    """Sorted unique pair_key()s of the pairs of the members' buckets, one band or several (members already joined
    with their sizes)."""
    small = members.filter(pl.col("size") <= cfg.max_bucket)
    big = members.filter(pl.col("size") > cfg.max_bucket)
    pairs = [pl.DataFrame(schema=PAIR_SCHEMA)]
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
    p = pl.concat(pairs)
    lo = p.select(pl.min_horizontal("a", "b")).to_series().to_numpy().astype(np.int64)
    hi = p.select(pl.max_horizontal("a", "b")).to_series().to_numpy().astype(np.int64)
    return sorted_unique(pair_key(lo, hi))


# bucket members paired in one pass (all bands of the group together) when there are at most this many; above it,
# one band at a time, so a pair shared by several bands is not held once per band. The pairs are the same either
# way; one pass saves ~1.5 ms of polars calls per band, most of an incremental run's bucket stage.
PAIR_ROWS_AT_ONCE = 50_000


def bucket_pair_keys(members: pl.DataFrame, cfg: DedupConfig) -> np.ndarray:
    """The pairs (a, b), a < b, of rows sharing a bucket, at least one of them new, as sorted unique pair_key()s.

    members: row, band, key, rank (total order: story_id order, for hubs), new (bool). A bucket larger than
    max_bucket is not expanded into all pairs: each member is paired with its bucket_hubs smallest-ranked members.
    One band at a time when there are more than PAIR_ROWS_AT_ONCE members: a pair sharing several bands of the group
    is then held once, not once per band."""
    if members.height and int(members["row"].max()) >= 2**31:
        raise ValueError("more than 2**31 rows: pair keys would overflow")
    sizes = members.group_by("band", "key").agg(pl.len().alias("size"), pl.col("new").any().alias("any_new"))
    members = members.join(sizes.filter((pl.col("size") > 1) & pl.col("any_new")), on=["band", "key"])
    if members.height <= PAIR_ROWS_AT_ONCE:  # few members (an incremental run): every band in one pass
        return _band_pair_keys(members, cfg)
    keys = np.zeros(0, np.int64)
    for part in members.partition_by("band", maintain_order=False):
        keys = sorted_unique(np.concatenate([keys, _band_pair_keys(part, cfg)]))
    return keys


def bucket_pairs(members: pl.DataFrame, cfg: DedupConfig) -> pl.DataFrame:
    """bucket_pair_keys() as a frame of (a, b) rows, sorted."""
    keys = bucket_pair_keys(members, cfg)
    a, b = split_pair_keys(keys)
    return pl.DataFrame({"a": a, "b": b}, schema=PAIR_SCHEMA)


def pair_key(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One int64 per row pair (rows < 2**31), ordered like (a, b)."""
    return (np.asarray(a, dtype=np.int64) << 32) | np.asarray(b, dtype=np.int64)


def split_pair_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keys = np.asarray(keys, dtype=np.int64)
    return keys >> 32, keys & 0xFFFFFFFF


def sorted_unique(x: np.ndarray) -> np.ndarray:
    """np.unique by sorting (numpy 2's hash-based np.unique is several times slower on millions of int64)."""
    x = np.sort(x)
    if len(x) > 1:
        x = x[np.concatenate(([True], x[1:] != x[:-1]))]
    return x


def candidate_pairs(minhash: np.ndarray, is_new: np.ndarray, rank: np.ndarray, cfg: DedupConfig) -> np.ndarray:
    """In-memory convenience (tests, bench): candidate pairs (k, 2) of row numbers (a < b) of a MinHash matrix,
    each with at least one new row; the same band-group procedure the pipeline runs chunk by chunk."""
    rows = np.arange(minhash.shape[0], dtype=np.int64)
    out = [pl.DataFrame(schema=PAIR_SCHEMA)]
    for bands in band_groups(cfg):
        out.append(bucket_pairs(with_rank(long_keys(rows, band_keys(minhash, cfg, bands), bands), rank, is_new),
                                cfg))
    p = pl.concat(out).unique().sort("a", "b")
    return np.stack([p["a"].to_numpy(), p["b"].to_numpy()], axis=1).astype(np.int64).reshape(-1, 2)


BANDS_PER_PASS = 16


def band_groups(cfg: DedupConfig) -> list[range]:
    return [range(s, min(s + BANDS_PER_PASS, cfg.bands)) for s in range(0, cfg.bands, BANDS_PER_PASS)]
