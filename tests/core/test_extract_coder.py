"""The event coder entry point (coder.extract_story_events) the extract asset runs: gate, models, provenance."""
from __future__ import annotations

import datetime as dt
import shutil

import pytest

from pipelines.core.extract import coder, role_ranker, type_decider
from pipelines.core.extract.batch import check_models, extract_chunk
from pipelines.core.models import ModelLoadError

DAY = dt.date(2020, 10, 3)
TEXT = "Riot police detained dozens of protesters in Minsk on Saturday."


def _story(**kw):
    return {"story_id": "s1", "text": TEXT, "published_date": DAY, **kw}


def test_codeable_false_gives_no_rows_and_absent_or_null_means_codeable():
    rows, _ = coder.extract_story_events(_story())
    assert rows, "the shipped models code a plain detention sentence"
    assert coder.extract_story_events(_story(codeable=None))[0] == rows
    assert coder.extract_story_events(_story(codeable=True))[0] == rows
    assert coder.extract_story_events(_story(codeable=False)) == ([], [])


def test_rows_name_models_and_anchor_and_are_unique():
    rows, actors = coder.extract_story_events(_story())
    m = coder.default_models()
    for r in rows:
        assert r["extractor"].startswith(m.version + "+anchor:")
        assert "+date:" in r["extractor"]
        assert 0.0 <= r["confidence"] <= 1.0
    keys = [(r["sentence_index"], r["event_type"], r["source_actor_id"], r["target_actor_id"], r["factuality"])
            for r in rows]
    assert len(keys) == len(set(keys))
    ids = {a["actor_id"] for a in actors}
    assert all(i in ids for r in rows for i in (r["source_actor_id"], r["target_actor_id"]) if i)


def test_extract_chunk_runs_the_coder():
    ev, _ = extract_chunk([_story(), {**_story(codeable=False), "story_id": "s2"}])
    assert ev.height and set(ev["story_id"].to_list()) == {"s1"}


@pytest.mark.parametrize("module,fname", [(role_ranker, "weights.json"), (type_decider, "weights.json")])
def test_corrupt_or_missing_model_file_names_the_file(tmp_path, module, fname):
    d = tmp_path / "m"
    shutil.copytree(module.MODEL_DIR, d)
    (d / fname).write_text("{}", encoding="utf-8")
    kw = {"ranker_dir": d} if module is role_ranker else {"decider_dir": d}
    with pytest.raises(ModelLoadError, match=str(d / fname)):
        coder.load_models(**kw)
    (d / fname).unlink()
    with pytest.raises(ModelLoadError, match="missing"):
        coder.load_models(**kw)


def test_check_models_verifies_the_shipped_manifests():
    check_models(load=False)  # the shipped models are intact; a corrupt one raises (test above)
