"""Scale hygiene of dedup (issue 18, point 6): very many tiny stories are bounded, and nothing is lost by it.

Built inputs, small versions of the bench case (bench/scale_bench.py measures the 1.25 M-record run): stories
below `lsh_min_shingles` get no MinHash and take no part in LSH, but exact copies still cluster; slices grow to
`slice_bytes` for tiny stories; the index chunks are joined with the cluster columns position by position. Each
bound is checked against the unbounded setting on the same input: the clusters must be identical.
"""
from __future__ import annotations

import random

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.core.dedup import compute_signatures, dedup_stories, load_config
from pipelines.core.dedup.tables import slice_rows

_WORDS = ("protest", "minister", "capital", "police", "election", "court", "rally", "strike", "border", "talks",
          "sanctions", "ceasefire", "opposition", "parliament", "journalists", "release", "detained", "marched")


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(n)).capitalize() + "."


def _corpus(seed: int = 3) -> pl.DataFrame:
    """Tiny stories (3-7 words) with exact copies and one-word variants, plus long stories with near copies."""
    rng = random.Random(seed)
    texts: list[str] = []
    for i in range(300):
        texts.append(f"Item {i} " + _sentence(rng, rng.randint(1, 5)))
    texts += texts[:40]                                   # exact copies of tiny stories
    texts += [t.replace("Item", "Entry", 1) for t in texts[40:60]]  # tiny one-word variants: not duplicates
    longs = [_sentence(rng, 60) for _ in range(30)]
    texts += longs
    texts += [t[:-1] + " tonight." for t in longs[:10]]   # near copies (one word added)
    texts += [" ".join(t.split()[:45]) + "." for t in longs[10:15]]  # shortened versions
    return pl.DataFrame({"story_id": [f"st_{i:05d}" for i in range(len(texts))], "text": texts})


def _clusters(res) -> pl.DataFrame:
    return res.clusters.select("story_id", "cluster_id", "is_canonical", "relation", "rule").sort("story_id")


def test_short_stories_skip_minhash_and_lsh_but_exact_copies_still_cluster():
    cfg = load_config()
    assert cfg.lsh_min_shingles == 4  # the data file's value (pipelines/rules/dedup.yaml)
    stories = _corpus()
    sig = compute_signatures(stories, cfg)
    short = sig["n_shingles"] < cfg.lsh_min_shingles
    assert short.sum() >= 300
    assert (sig.filter(short)["minhash"].list.len() == 0).all()          # no MinHash computed or stored
    assert (sig.filter(~short)["minhash"].list.len() == cfg.num_perm).all()
    res = dedup_stories(stories, None, cfg)
    st = res.stats
    assert st["n_below_lsh_min"] >= 300 and st["n_lsh_participants"] <= 45
    dups = res.duplicates
    exact_copies = {f"st_{i:05d}" for i in range(300, 340)}
    assert exact_copies <= set(dups.filter(pl.col("relation") == "exact")["story_id"])
    # the one-word variants of tiny stories are other stories, and the long near copies / versions still cluster
    assert not set(dups["story_id"]) & {f"st_{i:05d}" for i in range(340, 360)}
    assert len(set(dups["story_id"]) & {f"st_{i:05d}" for i in range(390, 405)}) == 15


def test_the_lsh_minimum_loses_no_cluster_against_the_unbounded_setting():
    cfg = load_config()
    stories = _corpus(seed=11)
    bounded = dedup_stories(stories, None, cfg)
    unbounded = dedup_stories(stories, None, cfg.with_(lsh_min_shingles=1))
    assert unbounded.stats["n_lsh_participants"] > bounded.stats["n_lsh_participants"]
    assert _clusters(bounded).equals(_clusters(unbounded))
    assert bounded.duplicates.equals(unbounded.duplicates)


def test_slices_grow_for_tiny_stories_and_the_result_does_not_depend_on_them(tmp_path):
    cfg = load_config()
    assert slice_rows(30, cfg) == 65536                    # one-line stories: as many as fit (capped)
    assert slice_rows(2300, cfg) == max(cfg.chunk_size, cfg.slice_bytes // 2300)  # news-length: near chunk_size
    assert slice_rows(10**9, cfg) == cfg.chunk_size
    stories = _corpus(seed=5)
    big = dedup_stories(stories.lazy(), None, cfg, workdir=tmp_path / "a")
    assert big.stats["slice_rows"]["input"] > cfg.chunk_size
    small_cfg = cfg.with_(chunk_size=16, slice_bytes=1)     # the old behaviour: slices of chunk_size stories
    small = dedup_stories(stories.lazy(), None, small_cfg, workdir=tmp_path / "b")
    assert small.stats["slice_rows"] == {"input": 16, "new": 16, "old": 16}
    assert _clusters(big).equals(_clusters(small))
    # the index, chunk by chunk (joined with the cluster columns by position), equals the lazy index
    for res in (big, small):
        chunks = pl.concat(list(res.iter_index(7)))
        assert chunks.equals(res.index.collect())
        assert chunks["cluster_id"].null_count() == 0


@pytest.mark.parametrize("retire", [False, True])
def test_incremental_runs_with_the_bounds_equal_a_full_run(tmp_path, retire):
    cfg = load_config()
    stories = _corpus(seed=17)
    first = stories.head(200)
    rest = stories if not retire else stories.filter(pl.col("story_id") != "st_00005")
    res1 = dedup_stories(first.lazy(), None, cfg, workdir=tmp_path / "1")
    index = res1.index.collect()
    res2 = dedup_stories(rest.lazy(), index, cfg, retire_missing=retire, workdir=tmp_path / "2")
    full = dedup_stories(rest.lazy(), None, cfg, workdir=tmp_path / "3")
    assert _clusters(res2).equals(_clusters(full))


_ASCII = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=200)
_MIXED = st.lists(st.sampled_from(list("ab &;\r\n\t\x1b[0m\x00\x0c.") + ["Ã©", "â€™", "é", "\u2028"]),
                  max_size=60).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_ASCII, _MIXED))
def test_ingest_fast_path_equals_ftfy(text):
    """decode.fix_text skips ftfy only where ftfy (with the ingest config) is the identity."""
    import ftfy

    from pipelines.core.ingest.decode import FTFY_CONFIG, fix_text

    assert fix_text(text) == ftfy.fix_text(text, config=FTFY_CONFIG)
