"""Property tests: cleaning and segmentation never crash, offsets stay inside the raw text, the audit is exact,
normalisation and furniture cleaning are idempotent, story texts contain no furniture, on arbitrary Unicode and on news-shaped random text."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.core.clean import clean_text, normalize_text, rebuild_text, segment_document

FURNITURE = ["Read More", "hide caption", "toggle caption", "Image copyright", "Image caption",
             "Media playback is unsupported on your device", "Jane Doe / AFP", "John Smith/Getty Images",
             "Advertisement", "Photo", "News / World", "Reporting by A B; Editing by C D", "– Subhead here –"]
WORDS = ["the", "minister", "said", "Monday", "Belarus", "EU", "sanctions", "on", "police", "March", "2020,",
         "Talks", "Resume", "In", "Geneva", "–", "BBC", "News", "MINSK", "(Reuters)", "protest", "“quote”", "a"]


def _check(raw: str, **kw):
    stories, spans = segment_document(raw, **kw)
    n = len(raw)
    for sp in spans:
        assert 0 <= sp["char_start"] < sp["char_end"] <= n
        assert raw[sp["char_start"]:sp["char_end"]] == sp["text"]
    pos = 0
    for i, s in enumerate(stories, 1):
        assert s["story_index"] == i
        assert pos <= s["raw_start"] < s["raw_end"] <= n
        pos = s["raw_end"]
        assert s["text"] and s["n_words"] == len(s["text"].split())
        assert s["published_date_source"] in ("metadata", "explicit", "inferred", "none")
        assert rebuild_text(raw, s["raw_start"], s["raw_end"], [(x["char_start"], x["char_end"]) for x in spans]) == s["text"]
    return stories, spans


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_arbitrary_unicode_never_crashes_and_offsets_are_in_range(raw):
    _check(raw)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_normalize_is_idempotent(s):
    once = normalize_text(s)
    assert normalize_text(once) == once


line = st.one_of(
    st.sampled_from(FURNITURE),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=25).map(" ".join),
    st.lists(st.sampled_from(WORDS), min_size=8, max_size=30).map(lambda w: " ".join(w) + "."),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
)
doc = st.lists(st.tuples(line, st.sampled_from(["\n", "\n\n", "\n\n\n", " \u00a0\n", "\r\n"])), max_size=30).map(
    lambda parts: "".join(a + b for a, b in parts))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc, st.one_of(st.none(), st.sampled_from(["Talks Resume In Geneva", "the minister said"])))
def test_news_shaped_text(raw, title):
    stories, _ = _check(raw, title=title)
    # no furniture survives: every story text is a fixed point of the furniture cleaner ...
    for s in stories:
        assert clean_text(s["text"]) == s["text"]
        _check(s["text"])  # ... and re-segmenting a story text is safe too
    # ... and the furniture cleaner itself is idempotent
    once = clean_text(raw)
    assert clean_text(once) == once
