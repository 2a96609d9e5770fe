"""Segmentation of synthetic glued files built from the real BBC corpus: boundary F1 >= 0.98 (deterministic seed)."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from pipelines.core.clean import segment_document
from pipelines.core.clean.synthetic import STYLES, boundary_scores, glue, load_corpus, make_glued_files

BBC = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora" / "bbc-fulltext"


@pytest.fixture(scope="module")
def corpus():
    if not BBC.is_dir():
        pytest.skip("../shared/corpora/bbc-fulltext is missing")
    return load_corpus(BBC)


def test_boundary_f1_on_60_glued_files(corpus):
    files = make_glued_files(corpus, 60, seed=7)
    assert {f.style for f in files} == set(STYLES)
    res = boundary_scores(files, segment_document)
    assert res["tp"] + res["fn"] == sum(len(f.starts) - 1 for f in files)
    assert res["f1"] >= 0.98, {k: v for k, v in res.items() if k != "errors"}
    assert res["title_accuracy"] >= 0.95


@pytest.mark.parametrize("style", STYLES)
def test_each_style_splits_and_titles(corpus, style):
    rng = random.Random(3)
    arts = rng.sample(corpus, 4)
    gf = glue(arts, style, rng)
    stories, spans = segment_document(gf.text)
    assert [s["raw_start"] for s in stories] == gf.starts
    if style == "read_more":
        assert all(s["outlet"] == "BBC News" for s in stories)
        assert sum(sp["rule"] == "read_more_separator" for sp in spans) == 4


def test_single_bbc_articles_are_never_split(corpus):
    for art in corpus[::10]:
        stories, _ = segment_document(f"{art.title}\n\n{art.body}\n")
        assert len(stories) == 1 and stories[0]["title"] == " ".join(art.title.split())
