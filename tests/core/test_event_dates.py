"""resolve_event_date: the date that governs the trigger, the fallbacks, and the interface the coder calls."""
from __future__ import annotations

import dataclasses
import datetime as dt
import inspect

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.core.extract.dates import EventDate, resolve_event_date

PUB = dt.date(2020, 10, 3)  # seed 000's dateline (a Saturday)


def _at(sentence: str, word: str) -> tuple[int, int]:
    i = sentence.index(word)
    return (i, i + len(word))


def _nlp():
    roles = pytest.importorskip("pipelines.core.extract.roles")
    nlp = roles.get_nlp()
    if nlp is None:
        pytest.skip("no spaCy model")
    return nlp


def test_signature_is_the_interface():
    params = list(inspect.signature(resolve_event_date).parameters)
    assert params == ["sentence", "trigger", "published", "published_precision", "factuality", "doc"]
    assert [f.name for f in dataclasses.fields(EventDate)] == ["date", "precision", "text", "rule"]


def test_relative_clause_date_does_not_date_the_main_event():
    s = "The EU, which imposed sanctions on Minsk in 2016, said on Monday it would widen them."
    doc = _nlp()(s)
    said = resolve_event_date(s, _at(s, "said"), PUB, "day", "asserted", doc)
    imposed = resolve_event_date(s, _at(s, "imposed"), PUB, "day", "asserted", doc)
    assert (said.date, said.precision, said.text) == (dt.date(2020, 9, 28), "day", "Monday")
    assert (imposed.date, imposed.precision, imposed.text) == (dt.date(2016, 1, 1), "year", "in 2016")


def test_seed_000_adverbial_yesterday_over_attributive_election_date():
    s = ("EU leaders earlier yesterday gave their approval for travel bans and asset freezes on some 40 members of "
         "Mr Lukashenko's regime they deemed responsible for rigging the Aug 9 election and the subsequent violent "
         "crackdown on protests.")
    r = resolve_event_date(s, _at(s, "travel bans"), PUB, "day", "asserted", _nlp()(s))
    assert (r.date, r.text) == (dt.date(2020, 10, 2), "yesterday")


def test_offset_from_a_dated_event():
    s = "Lukashenko was sworn in for a sixth term 44 days after the August 9 election."
    r = resolve_event_date(s, _at(s, "sworn in"), PUB, "day", "asserted")
    assert (r.date, r.precision) == (dt.date(2020, 9, 22), "day")
    assert r.rule.startswith("offset")


def test_past_background_is_before_publication_not_the_week():
    s = "Statkevich had been arrested by police long before the campaign began."
    r = resolve_event_date(s, _at(s, "arrested"), PUB, "day", "asserted")
    assert (r.date, r.precision, r.text, r.rule) == (PUB, "before", None, "background_before")


def test_undated_news_event_is_the_publication_week_and_undated_plan_is_none():
    s = "Riot police detained dozens of protesters in Minsk."
    r = resolve_event_date(s, _at(s, "detained"), PUB, "day", "asserted")
    assert (r.date, r.precision, r.rule) == (PUB - dt.timedelta(days=6), "week", "published_week")
    s = "The EU will impose further sanctions on Belarus."
    r = resolve_event_date(s, _at(s, "impose"), PUB, "day", "planned")
    assert (r.date, r.precision) == (None, "none")


def test_precision_never_finer_than_the_anchor():
    s = "Belarus said yesterday it was introducing counter-sanctions on the European Union."
    r = resolve_event_date(s, _at(s, "counter-sanctions"), PUB, "week", "asserted")
    assert r.precision == "week"
    r = resolve_event_date(s, _at(s, "counter-sanctions"), PUB, "month", "asserted")
    assert (r.date, r.precision) == (dt.date(2020, 10, 1), "month")
    # an explicit full date does not depend on the anchor
    s = "Svetlana Tikhanovskaya addressed members of parliament in Brussels on September 21, 2020."
    r = resolve_event_date(s, _at(s, "addressed"), None, "none", "asserted")
    assert (r.date, r.precision) == (dt.date(2020, 9, 21), "day")


@pytest.mark.parametrize("published", [dt.date(1, 1, 1), dt.date(9999, 12, 31)])
def test_extreme_anchors_never_raise(published):
    s = "On February 30 police detained him yesterday, two weeks after the Dec. 31 rally, a year ago on Sunday."
    for w in ("detained", "rally"):
        for f in ("asserted", "planned"):
            r = resolve_event_date(s, _at(s, w), published, "day", f)
            assert r.precision in ("day", "week", "month", "year", "before", "none")


WORDS = ["police", "detained", "on", "Monday", "yesterday", "last", "week", "in", "March", "2020", "Aug.", "16",
         "had", "been", "February", "30", "9999", "0001", "a", "days", "after", "will", "the", "said", ",", "who"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=18),
       st.one_of(st.none(), st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31))),
       st.sampled_from(["day", "week", "month", "year", "none"]),
       st.sampled_from(["asserted", "planned", "threatened", "negated", "hypothetical"]))
def test_never_after_publication_and_precision_never_claims_more(words, published, pprec, fact):
    s = " ".join(words)
    r = resolve_event_date(s, (0, len(words[0])), published, pprec, fact)
    assert r.precision in ("day", "week", "month", "year", "before", "none")
    assert (r.date is None) == (r.precision == "none")
    if r.text is not None:
        assert r.text in s
    if r.date is not None and published is not None and pprec != "none" and fact in ("asserted", "negated"):
        assert r.date <= published
    if r.text is None and r.date is not None:  # a fallback never claims a day
        assert r.precision != "day"
    if published is None or pprec == "none":  # no anchor: only self-contained expressions (with a year) date it
        assert r.date is None or any(w.isdigit() and len(w) == 4 for w in words)


# ---------------------------------------------------------------- weekday cues (blind review, bench/results)
def _trig(s: str, word: str) -> tuple[int, int]:
    return s.index(word), s.index(word) + len(word)


def test_planned_weekday_on_the_publication_day_is_that_day():
    """blind_review.md ev_9348e832c619e90c: published Sunday 23 Aug 2020, the protests were that day (not Aug 30)."""
    s = "The emboldened opposition has called for massive demonstrations on Sunday to pressure Belarus’ leader."
    ed = resolve_event_date(s, _trig(s, "demonstrations"), dt.date(2020, 8, 23), "day", "planned")
    assert (ed.date, ed.precision) == (dt.date(2020, 8, 23), "day")
    s2 = "The opposition has called for demonstrations next Sunday."
    ed2 = resolve_event_date(s2, _trig(s2, "demonstrations"), dt.date(2020, 8, 23), "day", "planned")
    assert ed2.date == dt.date(2020, 8, 30)  # "next" moves it a week on


def test_later_weekday_is_forward_and_never_a_past_date():
    """blind_review.md ev_595b9f649c9a6b54: "an emergency meeting for later Sunday" was resolved to the previous
    Sunday (Jan 31); the meeting was Feb 7."""
    s = ("The U.N. Security Council called an emergency meeting for later Sunday to discuss how to respond to the "
         "country’s latest provocation.")
    planned = resolve_event_date(s, _trig(s, "meeting"), dt.date(2016, 2, 6), "day", "planned")
    assert planned.date == dt.date(2016, 2, 7)
    asserted = resolve_event_date(s, _trig(s, "meeting"), dt.date(2016, 2, 6), "day", "asserted")
    assert (asserted.date, asserted.precision, asserted.rule) == (None, "none", "date_after_publication")
    same_day = resolve_event_date(s, _trig(s, "meeting"), dt.date(2016, 2, 7), "day", "asserted")
    assert same_day.date == dt.date(2016, 2, 7)


def test_past_weekday_is_the_day_before_and_last_weekday_the_previous_week():
    s = "Police detained protesters on Sunday."
    assert resolve_event_date(s, _trig(s, "detained"), dt.date(2020, 8, 17), "day", "asserted").date == \
        dt.date(2020, 8, 16)  # published Monday: the day before
    # news-cluster 0393cb165c69 (published Thursday 1 Feb 2018; the Davos speech was 24-25 Jan)
    s = "Speaking at the World Economic Forum, the prime minister said last Wednesday: platforms must act."
    ed = resolve_event_date(s, _trig(s, "said"), dt.date(2018, 2, 1), "day", "asserted")
    assert (ed.date, ed.text) == (dt.date(2018, 1, 24), "last Wednesday")
    s = "Protesters marched last Sunday."
    assert resolve_event_date(s, _trig(s, "marched"), dt.date(2020, 8, 16), "day", "asserted").date == \
        dt.date(2020, 8, 9)  # said on a Sunday: a week back, not today


def test_weekday_under_a_week_anchor_claims_no_more_than_the_week_allows():
    """A story dated only to the week [lo, lo+6]: "on Sunday" is used only when every publication day of that week
    gives the same Sunday (lo a Sunday); else the two candidates differ and the later one would be after the stored
    published_date, so the cue is not used (the publication-week fallback, never a day)."""
    s = "Police detained protesters on Sunday."
    sun = resolve_event_date(s, _trig(s, "detained"), dt.date(2020, 8, 16), "week", "asserted")
    assert (sun.date, sun.precision) == (dt.date(2020, 8, 16), "week")
    wed = resolve_event_date(s, _trig(s, "detained"), dt.date(2020, 8, 12), "week", "asserted")
    assert wed.precision == "week" and wed.text is None and wed.date <= dt.date(2020, 8, 12)
