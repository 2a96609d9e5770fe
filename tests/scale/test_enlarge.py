"""bench/enlarge.py: the synthetic enlargement is deterministic, keeps the real corpus as copy 0, and makes new
articles (not near-copies of their source) from real paragraphs of the same topic."""
from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BBC = REPO / ".." / "shared" / "corpora" / "bbc-fulltext"


def _enlarge_module():
    spec = importlib.util.spec_from_file_location("bench_enlarge", REPO / "bench" / "enlarge.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    if not BBC.is_dir():
        pytest.skip("../shared BBC corpus not available")
    src = tmp_path / "src"
    for topic in ("business", "politics"):
        (src / topic).mkdir(parents=True)
        for p in sorted((BBC / topic).glob("*.txt"))[:25]:
            shutil.copyfile(p, src / topic / p.name)
    return src


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _words(text: str, n: int = 5, letters_only: bool = False) -> set[str]:
    w = re.findall(r"[a-z]+" if letters_only else r"\w+", text.lower())
    return {" ".join(w[i:i + n]) for i in range(len(w) - n + 1)}


def test_enlargement_is_deterministic_and_keeps_the_real_corpus(small_corpus, tmp_path):
    enlarge = _enlarge_module().enlarge
    a, b = tmp_path / "a", tmp_path / "b"
    info = enlarge(small_corpus, a, 3, seed=7)
    enlarge(small_corpus, b, 3, seed=7)
    fa = _files(a)
    assert fa == _files(b)
    assert info["files"] == len(fa) == 3 * 50
    src = _files(small_corpus)
    assert {k: v for k, v in fa.items() if not k.startswith("synth-")} == src
    other = tmp_path / "c"
    enlarge(small_corpus, other, 2, seed=8)
    assert _files(other)["synth-001/business/001.txt"] != fa["synth-001/business/001.txt"]


def test_synthetic_articles_are_new_text_of_the_same_topic(small_corpus, tmp_path):
    enlarge = _enlarge_module().enlarge
    out = tmp_path / "out"
    enlarge(small_corpus, out, 2, seed=7)
    business = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in (small_corpus / "business").glob("*.txt"))
    business_trigrams = _words(business, 3, letters_only=True)
    jaccards, synth_trigrams = [], []
    for p in sorted((out / "synth-001" / "business").glob("*.txt")):
        synth = p.read_text(encoding="utf-8")
        source = (small_corpus / "business" / p.name).read_text(encoding="utf-8", errors="replace")
        assert synth.splitlines()[0].strip() == source.splitlines()[0].strip()  # same headline
        s, o = _words(synth), _words(source)
        jaccards.append(len(s & o) / len(s | o))
        synth_trigrams.append(_words(synth, 3, letters_only=True))
    # the text comes from real business articles (number/synonym swaps, furniture and sentence seams aside) ...
    inside = sum(len(t & business_trigrams) for t in synth_trigrams) / sum(len(t) for t in synth_trigrams)
    # ... far more than politics articles share with business ones
    politics = [_words(p.read_text(encoding="utf-8"), 3, letters_only=True) for p in (out / "synth-001" / "politics").glob("*.txt")]
    across = sum(len(t & business_trigrams) for t in politics) / sum(len(t) for t in politics)
    assert inside > 0.8 and across < inside - 0.2, (inside, across)
    assert max(jaccards) < 0.95
    assert sorted(jaccards)[len(jaccards) // 2] < 0.6  # the typical synthetic article is not a near copy of its source
