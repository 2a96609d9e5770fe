"""Stage 1 — signature: normalise, shingle (in bulk, no per-word Python loop) and MinHash with rensa.

Word hashes come from polars' vectorised string hash; shingles are combined from consecutive word hashes with
numpy; rensa computes the MinHash matrix from the flat shingle-hash buffer in one call.
"""
from __future__ import annotations

import hashlib

import numpy as np
import polars as pl
import pyarrow as pa
import rensa

from .config import DedupConfig

_WORD_SEED = 0x6E657773  # fixed seed for the word hash
_MUL = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_LOW48 = np.uint64((1 << 48) - 1)
MAX_CHUNK = 1 << 16  # doc numbers live in 16 bits of the sort key
_PROBE = ["newsevents", "dedup", "probe", "ünïcode", "2026"]


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, vectorised (uint64 wrap-around arithmetic)."""
    x = x.copy()
    x ^= x >> np.uint64(30)
    x *= _M1
    x ^= x >> np.uint64(27)
    x *= _M2
    x ^= x >> np.uint64(31)
    return x


def normalise_expr(col: str = "text") -> pl.Expr:
    """NFKC, lower case, every run of non-letter/non-digit characters -> one space, trimmed."""
    return (
        pl.col(col).fill_null("").str.normalize("NFKC").str.to_lowercase()
        .str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()
    )


def normalise(text: str) -> str:
    return pl.DataFrame({"text": [text]}).select(normalise_expr()).item()


def scheme_id(cfg: DedupConfig) -> str:
    """Identifies how shingles/signatures were made. A persisted index is only reused when it matches: the probe
    hashes change if polars ever changes its string hash, the version if rensa changes its MinHash."""
    probe = pl.Series(_PROBE).hash(seed=_WORD_SEED).to_numpy()
    digest = hashlib.sha256(probe.tobytes()).hexdigest()[:12]
    return (f"w{cfg.shingle_words}-p{cfg.num_perm}-s{cfg.seed}-rensa{rensa.RMinHash.ALGORITHM_VERSION}"
            f"-wh{digest}")


def shingle_hashes(norm_texts: pl.Series, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique 48-bit shingle hashes of every text (n < 65536), as one flat uint64 buffer + offsets (n+1).

    A shingle is k consecutive words; a text with fewer than k (but >= 1) words is one shingle; an empty text
    has none."""
    n = len(norm_texts)
    words = pl.DataFrame({"w": norm_texts}).with_row_index("doc").select(
        "doc", pl.col("w").str.split(" ")).explode("w").filter(pl.col("w").is_not_null() & (pl.col("w") != ""))
    doc = words["doc"].to_numpy().astype(np.int64)
    wh = _mix64(words["w"].hash(seed=_WORD_SEED).to_numpy().astype(np.uint64))
    m = len(wh)
    if m == 0:
        return np.zeros(0, np.uint64), np.zeros(n + 1, np.int64)
    counts = np.bincount(doc, minlength=n)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    pos = np.arange(m) - starts[doc]            # word position within its doc
    n_in_doc = counts[doc]
    acc = np.zeros(m, np.uint64)
    for t in range(k):
        sh = np.zeros(m, np.uint64)
        if t < m:
            sh[: m - t] = wh[t:]
            same = np.zeros(m, bool)
            same[: m - t] = doc[t:] == doc[: m - t]
            sh[~same] = 0
        acc = (acc * _MUL) ^ sh
    acc = _mix64(acc ^ np.uint64(k))
    valid = (pos + k <= n_in_doc) | ((n_in_doc < k) & (pos == 0))
    # one uint64 key per shingle: doc number in the top 16 bits, 48 bits of shingle hash below; np.unique then
    # sorts and de-duplicates per doc in one pass (a 2-key lexsort costs ~10x more). 48-bit shingle hashes:
    # the chance that two different shingles of a pair collide is ~1e-9, far below any threshold's resolution.
    key = (doc[valid].astype(np.uint64) << np.uint64(48)) | (acc[valid] >> np.uint64(16))
    key = np.sort(key)
    if len(key) > 1:
        key = key[np.concatenate(([True], key[1:] != key[:-1]))]
    sdoc = (key >> np.uint64(48)).astype(np.int64)
    sh = key & _LOW48
    offsets = np.zeros(n + 1, np.int64)
    offsets[1:] = np.cumsum(np.bincount(sdoc, minlength=n))
    return sh, offsets


def minhash_matrix(flat: np.ndarray, offsets: np.ndarray, cfg: DedupConfig) -> np.ndarray:
    """(n, num_perm) uint32 MinHash matrix from a flat shingle buffer (rows with no shingles are all-max)."""
    n = len(offsets) - 1
    out = np.full((n, cfg.num_perm), np.iinfo(np.uint32).max, np.uint32)
    nonempty = np.flatnonzero(np.diff(offsets) > 0)
    if len(nonempty) == 0:
        return out
    if len(nonempty) < n:  # rensa wants every row non-empty: compact the buffer to non-empty rows
        lens = np.diff(offsets)[nonempty]
        idx = np.concatenate([np.arange(offsets[i], offsets[i + 1]) for i in nonempty])
        flat_ne = flat[idx]
        off_ne = np.concatenate(([0], np.cumsum(lens)))
    else:
        flat_ne, off_ne = flat, offsets
    mat = rensa.RMinHash.digest_matrix_from_flat_token_hashes(
        np.ascontiguousarray(flat_ne, np.uint64), np.ascontiguousarray(off_ne, np.uint64), cfg.num_perm, cfg.seed)
    out[nonempty] = np.asarray(mat.to_rows(), dtype=np.uint32)
    return out


def compute_signatures(stories: pl.DataFrame, cfg: DedupConfig) -> pl.DataFrame:
    """story_id, published_date, norm_hash, n_words, n_shingles, shingles (list[u64]), minhash (list[u32]).

    Processed in chunks of cfg.chunk_size so peak memory does not grow with the batch."""
    parts = []
    size = max(1, min(cfg.chunk_size, MAX_CHUNK))
    for start in range(0, stories.height, size):
        parts.append(_signatures_chunk(stories.slice(start, size), cfg))
    if not parts:
        return empty_signatures()
    return pl.concat(parts, how="vertical")


def _signatures_chunk(chunk: pl.DataFrame, cfg: DedupConfig) -> pl.DataFrame:
    date = chunk["published_date"] if "published_date" in chunk.columns else pl.Series([None] * chunk.height)
    norm = chunk.select(normalise_expr("text").alias("n"))["n"]
    n_words = norm.str.count_matches(r"\S+").fill_null(0).cast(pl.Int64)
    norm_hash = [hashlib.sha256(t.encode("utf-8")).hexdigest()[:32] for t in norm.to_list()]
    flat, offsets = shingle_hashes(norm, cfg.shingle_words)
    mh = minhash_matrix(flat, offsets, cfg)
    lens = np.diff(offsets)
    sh_list = pl.from_arrow(pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), pa.array(flat)))
    sh_list = sh_list.alias("shingles")
    return pl.DataFrame({
        "story_id": chunk["story_id"],
        "published_date": date.cast(pl.Date),
        "norm_hash": norm_hash,
        "n_words": n_words,
        "n_shingles": pl.Series(lens, dtype=pl.Int64),
        "shingles": sh_list,
        "minhash": pl.Series("minhash", mh, dtype=pl.Array(pl.UInt32, cfg.num_perm)).cast(pl.List(pl.UInt32)),
    })


def empty_signatures() -> pl.DataFrame:
    return pl.DataFrame(schema={
        "story_id": pl.String, "published_date": pl.Date, "norm_hash": pl.String, "n_words": pl.Int64,
        "n_shingles": pl.Int64, "shingles": pl.List(pl.UInt64), "minhash": pl.List(pl.UInt32)})
