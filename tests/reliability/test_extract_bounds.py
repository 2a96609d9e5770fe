"""Extraction of very long stories is bounded with a logged reason (issue 18, point 6).

Built inputs: a story longer than the sentence cap is extracted on its first `max_sentences` sentences only (a
prefix: offsets stay valid), and it is a quarantine row (rule `extract_sentence_cap`); shorter stories are untouched.
The cap's prefilter (a count of sentence-ending characters) is checked to be an upper bound of the sentence count,
so it never lets a story that must be capped through.
"""
from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.core.extract import bounds
from pipelines.core.extract.events import split_sentences

SENTENCE = "Police detained 40 protesters in the capital on Sunday, the interior ministry said. "


def test_the_cap_is_the_data_files_value():
    assert bounds.max_sentences() == 1000


def test_a_long_story_is_cut_after_its_last_kept_sentence():
    text = SENTENCE * 25 + "The last words."
    cut, n = bounds.capped_text(text, 10)
    assert n == 26
    assert text.startswith(cut) and cut == (SENTENCE * 10).rstrip()
    assert split_sentences(cut) == split_sentences(text)[:10]
    story = {"story_id": "s1", "text": text}
    capped = bounds.cap_story(story, 10)
    assert capped["text"] == cut and story["text"] == text  # a copy
    short = {"story_id": "s2", "text": SENTENCE * 3}
    assert bounds.cap_story(short, 10) is short
    assert bounds.cap_story({"story_id": "s3", "text": SENTENCE * 10}, 10)["text"] == SENTENCE * 10


def test_capped_stories_are_quarantine_rows_and_others_are_not():
    stories = pl.DataFrame({"story_id": ["long", "short", "many_dots"],
                            "text": [SENTENCE * 30, SENTENCE * 2, "A.B.C." * 50]}).lazy()
    rows = bounds.cap_quarantine_rows(stories, 12)
    assert [r["record_key"] for r in rows] == ["long"]
    r = rows[0]
    assert r["rule"] == bounds.RULE_SENTENCE_CAP and r["table_name"] == "events"
    assert "30 sentences" in r["detail"] and "first 12" in r["detail"]
    assert r["payload"].startswith("Police detained")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("ab A.!?…\n\"')(9") + ["Mr.", "U.S.", " The", ". Then"]), max_size=120))
def test_the_prefilter_count_bounds_the_sentence_count(parts):
    text = "".join(parts)
    assert len(split_sentences(text)) <= text.count(".") + text.count("!") + text.count("?") + text.count("…") \
        + text.count("\n") + 1


def test_extraction_of_a_capped_story_sees_only_its_first_sentences(monkeypatch):
    from pipelines.core.extract.batch import extract_chunk

    text = SENTENCE * 12
    events_full, _ = extract_chunk([{"story_id": "full", "text": text, "published_date": None}])
    assert events_full.height and events_full["sentence_index"].max() >= 5  # the sentence does give events
    monkeypatch.setattr(bounds, "max_sentences", lambda: 3)
    events, _ = extract_chunk([{"story_id": "capped", "text": text, "published_date": None}])
    assert events.height and events["sentence_index"].max() <= 2
    for r in events.iter_rows(named=True):  # offsets point into the story's full text
        assert text[r["char_start"]:r["char_end"]] == r["evidence"]
