"""Helpers for the dedup tests: real text from the repo's seeds, the ingest+clean front end, an independent
(pure Python) shingle Jaccard used as an oracle."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
SHARED = REPO / ".." / "shared"


def seed_paragraphs(min_words: int = 20) -> list[str]:
    """Body paragraphs of the seed documents, in file order."""
    out = []
    for p in sorted(SEEDS.glob("*.txt")):
        for para in re.split(r"\n\s*\n", p.read_text(encoding="utf-8")):
            para = " ".join(para.split())
            if len(para.split()) >= min_words:
                out.append(para)
    return out


def frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"story_id": r["story_id"], "text": r["text"], "published_date": r.get("published_date")} for r in rows],
        schema={"story_id": pl.String, "text": pl.String, "published_date": pl.Date})


def py_shingles(text: str, k: int = 5) -> set[tuple[str, ...]]:
    """Independent oracle: NFKC, lower case, split on non-alphanumerics, word k-grams as tuples."""
    words = [w for w in re.split(r"[\W_]+", unicodedata.normalize("NFKC", text).lower()) if w]
    if not words:
        return set()
    if len(words) < k:
        return {tuple(words)}
    return {tuple(words[i:i + k]) for i in range(len(words) - k + 1)}


def py_jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def py_containment(a: set, b: set) -> float:
    m = min(len(a), len(b))
    return len(a & b) / m if m else 0.0


def partition(assignments: pl.DataFrame) -> set[frozenset]:
    groups: dict[str, set] = {}
    for sid, cid in assignments.select("story_id", "cluster_id").iter_rows():
        groups.setdefault(cid, set()).add(sid)
    return {frozenset(g) for g in groups.values()}


def decode_bbc(b: bytes) -> str:
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return b.decode("cp1252", errors="replace")


def ingest_and_clean(folder: Path) -> pl.DataFrame:
    """The real front end (ingest readers + clean.segment_document) on a folder -> a clean_stories-like frame."""
    from pipelines.core.clean import segment_document
    from pipelines.core.ids import stable_id
    from pipelines.core.ingest import scan_folder
    from pipelines.core.ingest.readers import Document

    rows = []
    for item in scan_folder(folder):
        if not isinstance(item, Document):
            continue
        stories, _ = segment_document(item.raw_text, title=item.title,
                                      published=item.published_at.date() if item.published_at else None)
        for s in stories:
            rows.append({"story_id": stable_id("st", item.doc_id, s["story_index"]), "doc_id": item.doc_id,
                         "source_uri": item.source_uri, "title": s["title"], "text": s["text"],
                         "published_date": s["published_date"] if isinstance(s["published_date"], dt.date) else None,
                         "raw_start": s["raw_start"], "raw_end": s["raw_end"]})
    return pl.DataFrame(rows, schema={"story_id": pl.String, "doc_id": pl.String, "source_uri": pl.String,
                                      "title": pl.String, "text": pl.String, "published_date": pl.Date,
                                      "raw_start": pl.Int64, "raw_end": pl.Int64})


def test_oracle_agrees_with_core_shingle_counts():
    """The pure-Python oracle and the vectorised core count the same distinct shingles on real text."""
    from pipelines.core.dedup import compute_signatures, load_config

    paras = seed_paragraphs()
    texts = [" ".join(paras[i:i + 4]) for i in range(0, 40, 4)] + ["Minsk.", "", "Lukashenko said “no” — twice"]
    sig = compute_signatures(frame([{"story_id": f"s{i}", "text": t} for i, t in enumerate(texts)]), load_config())
    assert sig["n_shingles"].to_list() == [len(py_shingles(t)) for t in texts]
    assert sig["shingles"].list.len().to_list() == sig["n_shingles"].to_list()


def test_bulk_word_path_equals_the_plain_normalisation():
    """The fast path (NFKC only on non-ASCII texts) gives the same words as normalise() on every text."""
    import numpy as np
    import polars as pl

    from pipelines.core.dedup.signature import _WORD_SEED, normalise, word_hashes

    texts = [" ".join(seed_paragraphs()[i:i + 2]) for i in range(0, 30, 2)] + [
        "ﬁnance ministers – “EU” ②０２０", "plain ascii only", "", "Ｍｉｎｓｋ café"]
    doc, wh, counts = word_hashes(pl.Series(texts))
    for i, t in enumerate(texts):
        expected = normalise(t).split()
        assert counts[i] == len(expected)
        got = wh[doc == i]
        assert np.array_equal(got, pl.Series(expected, dtype=pl.String).hash(seed=_WORD_SEED).to_numpy())
