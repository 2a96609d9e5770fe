"""The story relevance gate (pipelines/core/clean/relevance.py) on real text through the clean stage's own code:
seed stories (political news, never trained on) are codeable, a held-out BBC sport story is not; a missing or
corrupt model file is a ModelLoadError naming the file."""
from __future__ import annotations

import hashlib
import shutil
from datetime import datetime

import polars as pl
import pytest

from pipelines.core.clean import stories_and_spans
from pipelines.core.clean.relevance import MODEL_DIR, default_gate, load_gate, score_stories
from pipelines.core.ingest import DEFAULT_MAX_BYTES, scan_folder
from pipelines.core.ingest.frame import ingest_frames
from pipelines.core.models import ModelLoadError


def _stories(folder) -> pl.DataFrame:
    docs, rejected = ingest_frames(list(scan_folder(folder, max_bytes=DEFAULT_MAX_BYTES)), now=datetime(2026, 1, 1),
                                   previous=None)
    assert rejected.height == 0
    stories, _ = stories_and_spans(docs)
    return score_stories(stories).join(docs.select("doc_id", "source_uri"), on="doc_id")


def test_seed_stories_are_codeable(seeds_dir):
    st = _stories(seeds_dir)
    assert st.height == 25
    gate = default_gate()
    assert st["codeable_score"].is_between(0.0, 1.0).all()
    assert (st["codeable"] == (st["codeable_score"] >= gate.threshold)).all()
    detained = st.filter(pl.col("title") == "Belarus Police Detain Hundreds Of Women At Protest")
    assert detained.height == 1 and detained["codeable"].item() is True
    assert st["codeable"].all(), st.filter(~pl.col("codeable")).select("source_uri", "title", "codeable_score")


def test_heldout_bbc_sport_story_is_not_codeable(shared_dir, tmp_path):
    rel = "sport/001.txt"  # in the held-out part (sha1 % 5 == 0): never trained on
    assert int(hashlib.sha1(rel.encode()).hexdigest(), 16) % 5 == 0
    src = shared_dir / "corpora" / "bbc-fulltext" / rel
    (tmp_path / "in").mkdir()
    shutil.copy(src, tmp_path / "in" / "001.txt")
    st = _stories(tmp_path / "in")
    assert st.height == 1 and st["title"].item() == "Claxton hunting first major medal"
    assert st["codeable"].item() is False
    assert st["codeable_score"].item() < default_gate().threshold


def test_empty_frame_gets_typed_columns():
    stories, _ = stories_and_spans(pl.DataFrame(schema={"doc_id": pl.Utf8, "raw_text": pl.Utf8}))
    out = score_stories(stories)
    assert out.schema["codeable"] == pl.Boolean and out.schema["codeable_score"] == pl.Float64 and out.height == 0


@pytest.mark.parametrize("name", ["weights.npz", "gate.json"])
def test_missing_or_corrupt_model_file_names_it(tmp_path, name):
    d = tmp_path / "gate"
    shutil.copytree(MODEL_DIR, d)
    (d / name).write_bytes((d / name).read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ModelLoadError, match=f"corrupt.*{name}"):
        load_gate(d)
    (d / name).unlink()
    with pytest.raises(ModelLoadError, match=f"missing.*{name}"):
        load_gate(d)
