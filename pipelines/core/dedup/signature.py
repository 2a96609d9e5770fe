"""Stage 1 — signature: normalise, shingle (in bulk, no per-word Python loop) and MinHash with rensa.

One polars pass turns every text into its normalised words (NFKC, lower case, runs of letters/digits) and hashes
them; numpy combines consecutive word hashes into shingle hashes and the exact-text hash; rensa computes the MinHash
matrix from the flat shingle-hash buffer in one call.
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
_C1 = np.uint64(0xD1B54A32D192ED03)
_C2 = np.uint64(0x8CB92BA72F3D8DD7)
_LOW48 = np.uint64((1 << 48) - 1)
MAX_CHUNK = 1 << 16  # doc numbers live in 16 bits of the shingle sort key
_PROBE = ["newsevents", "dedup", "probe", "ünïcode", "2026"]
WORD_PATTERN = r"[\p{L}\p{N}]+"


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, vectorised (uint64 wrap-around arithmetic)."""
    x = x.copy()
    x ^= x >> np.uint64(30)
    x *= _M1
    x ^= x >> np.uint64(27)
    x *= _M2
    x ^= x >> np.uint64(31)
    return x


def words_expr(col: str = "text") -> pl.Expr:
    """The normalised words of a text: NFKC, lower case, maximal runs of letters/digits (punctuation, quotes,
    dashes, line breaks and spacing differences vanish)."""
    return pl.col(col).fill_null("").str.normalize("NFKC").str.to_lowercase().str.extract_all(WORD_PATTERN)


def normalise(text: str) -> str:
    """The normalised text (its words joined by one space) — what `exact` compares."""
    return " ".join(pl.DataFrame({"text": [text]}).select(words_expr()).item().to_list())


def scheme_id(cfg: DedupConfig) -> str:
    """Identifies how shingles/signatures were made. A persisted index is only reused when it matches: the probe
    hashes change if polars ever changes its string hash, the version if rensa changes its MinHash, and the code
    version of the dedup stage (pipelines.core.cache, which includes clean's): a story_id is doc_id + index, so
    after a cleaner change the same id can carry another text, whose stored signature must not be reused."""
    from pipelines.core.cache import stage_version

    probe = pl.Series(_PROBE).hash(seed=_WORD_SEED).to_numpy()
    digest = hashlib.sha256(probe.tobytes()).hexdigest()[:12]
    return (f"w{cfg.shingle_words}-p{cfg.num_perm}-s{cfg.seed}-rensa{rensa.RMinHash.ALGORITHM_VERSION}"
            f"-wh{digest}-code{stage_version('dedup')}")


def word_hashes(texts: pl.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(doc number per word, 64-bit word hash per word, words per doc) for a batch of texts."""
    n = len(texts)
    texts = texts.fill_null("")
    # NFKC is the identity on ASCII: normalise only the texts that have other characters (same result as
    # words_expr(), which normalises everything)
    non_ascii = (texts.str.len_bytes() != texts.str.len_chars()).arg_true()
    if len(non_ascii):
        texts = texts.clone().scatter(non_ascii, texts.gather(non_ascii).str.normalize("NFKC"))
    words = pl.DataFrame({"text": texts}).with_row_index("doc").select(
        "doc", pl.col("text").str.to_lowercase().str.extract_all(WORD_PATTERN).alias("w")).explode("w").drop_nulls("w")
    doc = words["doc"].to_numpy().astype(np.int64)
    wh = words["w"].hash(seed=_WORD_SEED).to_numpy()  # already a well-mixed 64-bit hash
    return doc, wh, np.bincount(doc, minlength=n).astype(np.int64)


def text_hashes(doc: np.ndarray, wh: np.ndarray, counts: np.ndarray) -> list[str]:
    """128-bit hash (32 hex) of each doc's word sequence: XOR and sum over words of position-mixed word hashes."""
    n = len(counts)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    pos = (np.arange(len(wh)) - starts[doc]).astype(np.uint64)
    a = _mix64(wh ^ (pos * _C1))  # position-mixed word hash
    h1 = np.zeros(n, np.uint64)
    h2 = np.zeros(n, np.uint64)
    nz = np.flatnonzero(counts > 0)
    if len(nz):
        h1[nz] = np.bitwise_xor.reduceat(a, starts[nz])           # XOR of the mixed hashes
        h2[nz] = np.add.reduceat(a * _C2 + pos, starts[nz])         # and their weighted sum (mod 2^64)
    h1 = _mix64(h1 ^ counts.astype(np.uint64))
    h2 = _mix64(h2 + counts.astype(np.uint64) * _MUL)
    return [f"{x:016x}{y:016x}" for x, y in zip(h1.tolist(), h2.tolist())]


def shingle_hashes(doc: np.ndarray, wh: np.ndarray, counts: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique 48-bit shingle hashes of every doc (< 65536 docs), as one flat uint64 buffer + offsets (n+1).

    A shingle is k consecutive words; a text with fewer than k (but >= 1) words is one shingle; an empty text
    has none."""
    n = len(counts)
    m = len(wh)
    if m == 0:
        return np.zeros(0, np.uint64), np.zeros(n + 1, np.int64)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    pos = np.arange(m) - starts[doc]
    n_in_doc = counts[doc]
    full = np.flatnonzero(pos + k <= n_in_doc)           # windows that lie inside their doc
    short = np.flatnonzero((n_in_doc < k) & (pos == 0))  # docs shorter than k: one window of what they have
    acc = np.zeros(len(full), np.uint64)
    for t in range(k):
        acc = (acc * _MUL) ^ wh[full + t]
    acc_short = np.zeros(len(short), np.uint64)
    for t in range(k):
        idx = short + t
        inside = t < counts[doc[short]]
        add = np.zeros(len(short), np.uint64)
        add[inside] = wh[idx[inside]]
        acc_short = (acc_short * _MUL) ^ add
    sdoc = np.concatenate([doc[full], doc[short]])
    sh = _mix64(np.concatenate([acc, acc_short]) ^ np.uint64(k))
    # one uint64 key per shingle: doc number in the top 16 bits, 48 bits of shingle hash below; one sort then
    # orders and de-duplicates per doc (a 2-key lexsort costs ~10x more). 48-bit shingle hashes: the chance that
    # two different shingles of a pair collide is ~1e-9, far below any threshold's resolution.
    key = np.sort((sdoc.astype(np.uint64) << np.uint64(48)) | (sh >> np.uint64(16)))
    if len(key) > 1:
        key = key[np.concatenate(([True], key[1:] != key[:-1]))]
    sdoc = (key >> np.uint64(48)).astype(np.int64)
    offsets = np.zeros(n + 1, np.int64)
    offsets[1:] = np.cumsum(np.bincount(sdoc, minlength=n))
    return key & _LOW48, offsets


def minhash_matrix(flat: np.ndarray, offsets: np.ndarray, cfg: DedupConfig) -> np.ndarray:
    """(n, num_perm) uint32 MinHash matrix from a flat shingle buffer (rows with no shingles are all-max)."""
    n = len(offsets) - 1
    out = np.full((n, cfg.num_perm), np.iinfo(np.uint32).max, np.uint32)
    lens = np.diff(offsets)
    nonempty = np.flatnonzero(lens > 0)
    if len(nonempty) == 0:
        return out
    # rensa wants every row non-empty: empty rows add no values, so dropping their offsets compacts the buffer
    off_ne = np.concatenate(([0], np.cumsum(lens[nonempty])))
    mat = rensa.RMinHash.digest_matrix_from_flat_token_hashes(
        np.ascontiguousarray(flat, np.uint64), np.ascontiguousarray(off_ne, np.uint64), cfg.num_perm, cfg.seed)
    out[nonempty] = np.asarray(mat.to_rows(), dtype=np.uint32)
    return out


def compute_signatures(stories: pl.DataFrame, cfg: DedupConfig) -> pl.DataFrame:
    """story_id, published_date, norm_hash, n_words, n_shingles, furniture, doc_furniture, shingles (list[u64]),
    minhash (list[u32]).

    furniture = raw_end - raw_start - len(text): characters the cleaner removed from the story's raw slice (page
    furniture, captions...); null when the input has no raw offsets. doc_furniture: characters the cleaner removed
    from the story's whole source document (input column `doc_furniture`, null when absent). Both are used only by
    the canonical rule.

    Processed in chunks of cfg.chunk_size stories, so peak memory does not grow with the batch."""
    parts = []
    size = max(1, min(cfg.chunk_size, MAX_CHUNK))
    for start in range(0, stories.height, size):
        parts.append(_signatures_chunk(stories.slice(start, size), cfg))
    if not parts:
        return empty_signatures()
    return pl.concat(parts, how="vertical", rechunk=False)


def _signatures_chunk(chunk: pl.DataFrame, cfg: DedupConfig) -> pl.DataFrame:
    date = chunk["published_date"] if "published_date" in chunk.columns else pl.Series([None] * chunk.height)
    if "raw_start" in chunk.columns and "raw_end" in chunk.columns:
        furniture = chunk.select((pl.col("raw_end").cast(pl.Int64) - pl.col("raw_start").cast(pl.Int64)
                                  - pl.col("text").fill_null("").str.len_chars().cast(pl.Int64))).to_series()
    else:
        furniture = pl.Series([None] * chunk.height, dtype=pl.Int64)
    doc_furniture = (chunk["doc_furniture"] if "doc_furniture" in chunk.columns
                     else pl.Series([None] * chunk.height, dtype=pl.Int64))
    doc, wh, counts = word_hashes(chunk["text"])
    norm_hash = text_hashes(doc, wh, counts)
    flat, offsets = shingle_hashes(doc, wh, counts, cfg.shingle_words)
    del doc, wh
    minhash = minhash_column(flat, offsets, cfg)
    # list column straight from (offsets, values); Arrow arrays made by polars (pa.array on numpy imports pandas)
    shingles = pl.Series("shingles", pa.ListArray.from_arrays(
        pl.Series(offsets.astype(np.int32)).to_arrow(), pl.Series(flat, dtype=pl.UInt64).to_arrow()))
    return pl.DataFrame({
        "story_id": chunk["story_id"],
        "published_date": date.cast(pl.Date),
        "norm_hash": norm_hash,
        "n_words": pl.Series(counts, dtype=pl.Int64),
        "n_shingles": pl.Series(np.diff(offsets), dtype=pl.Int64),
        "furniture": furniture.cast(pl.Int64),
        "doc_furniture": doc_furniture.cast(pl.Int64),
        "shingles": shingles,
        "minhash": minhash,
    })


def minhash_column(flat: np.ndarray, offsets: np.ndarray, cfg: DedupConfig) -> pl.Series:
    """The MinHash list column of a chunk: num_perm values for the stories with at least cfg.lsh_min_shingles
    shingles (the LSH participants), an empty list for the others (never read: they take no part in LSH)."""
    lens = np.diff(offsets)
    lsh = lens >= max(1, cfg.lsh_min_shingles)
    if lsh.all():
        mh = minhash_matrix(flat, offsets, cfg)
    else:
        sub_offsets = np.concatenate(([0], np.cumsum(lens[lsh])))
        mh = minhash_matrix(flat[np.repeat(lsh, lens)], sub_offsets, cfg)
    list_offsets = np.concatenate(([0], np.cumsum(np.where(lsh, cfg.num_perm, 0)))).astype(np.int32)
    return pl.Series("minhash", pa.ListArray.from_arrays(
        pl.Series(list_offsets).to_arrow(), pl.Series(mh.reshape(-1), dtype=pl.UInt32).to_arrow()))


def empty_signatures() -> pl.DataFrame:
    return pl.DataFrame(schema={
        "story_id": pl.String, "published_date": pl.Date, "norm_hash": pl.String, "n_words": pl.Int64,
        "n_shingles": pl.Int64, "furniture": pl.Int64, "doc_furniture": pl.Int64, "shingles": pl.List(pl.UInt64),
        "minhash": pl.List(pl.UInt32)})
