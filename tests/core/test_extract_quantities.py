"""Quantities with the conservative (ACLED) rule, on seed sentences and generic phrasing."""
from __future__ import annotations

import pytest

from pipelines.core.extract.quantities import find_quantities


def _q(s):
    return [(q.value, q.kind) for q in find_quantities(s)]


@pytest.mark.parametrize("sentence,value,kind", [
    ("EU leaders gave their approval for travel bans and asset freezes on some 40 members of Mr Lukashenko's regime.", 40, "targets"),
    ("On Oct. 2, the EU imposed travel bans and assets freeze against 40 Belarusian officials.", 40, "targets"),
    ("Riot police on Saturday detained hundreds of women, dragging many into vans.", 100, "arrested"),
    ("Riot police have detained thousands of protesters, many of whom reported torture.", 1000, "arrested"),
    ("Over 100,000 people marched through Minsk's center every Sunday.", 100000, "participants"),
    ("100,000 people marched in the capital.", 100000, "participants"),
    ("Tens of thousands rallied in the capital on Sunday.", 10000, "participants"),
    ("More than 7,000 people were detained in the first days of protests.", 7000, "arrested"),
    ("At least 3 killed as troops opened fire.", 3, "killed"),
    ("Police detained 200 in the capital.", 200, "arrested"),
    ("Dozens of people were injured in the clashes.", 12, "injured"),
    ("Between 100 and 200 protesters gathered outside parliament.", 100, "participants"),
    ("Around two thousand women took part in the march.", 2000, "participants"),
    ("Around two thousand women wore shiny accessories.", 2000, "other"),
])
def test_conservative_values_and_kinds(sentence, value, kind):
    qs = find_quantities(sentence)
    assert qs, sentence
    assert (qs[0].value, qs[0].kind) == (value, kind)
    q = qs[0]
    assert sentence[q.start:q.end] == q.text


def test_several_quantities_in_one_sentence_from_seed_001():
    s = ("More than 10,000 people had been “abusively arrested”, she said, with more than 500 reports of torture and "
         "thousands being “savagely beaten”.")
    assert _q(s) == [(10000, "arrested"), (500, "other"), (1000, "injured")]


@pytest.mark.parametrize("sentence", [
    "Mr Lukashenko claimed a sixth term with 80 per cent of the vote.",
    "the 65-year-old president",
    "In power since 1994, Lukashenko denies rigging the vote.",
    "Poland called for a $5 million stabilisation fund.",
    "the 27-country bloc's move",
    "the embattled president of 26 years",
    "rigging the Aug 9 election",
    "one of the best-known faces of the protest movement",
])
def test_things_that_are_not_head_counts(sentence):
    assert find_quantities(sentence) == []


def test_vague_words_map_to_the_lowest_figure():
    assert _q("hundreds of thousands took to the streets")[0] == (100000, "participants")
    assert _q("a dozen people were injured")[0] == (12, "injured")
    assert _q("several hundred people were arrested")[0] == (100, "arrested")
    assert _q("up to 500 people were detained")[0] == (500, "arrested")


@pytest.mark.parametrize("sentence,expected", [
    # sports scores are not ranges of people
    ("Mardy Fish beat Tommy Robredo 7-6 (8-6) 6-2 in the final dead rubber.", []),
    # an age in apposition
    ("The England international, 24, was hurt in an innocuous challenge.", []),
    # a conjunction stops the search for the counted verb
    ("Foxx was nominated for three awards but was beaten to the title.", [(3, "other")]),
    # "by March 2005" is no march
    ("Sony says it intends to ship three million of the consoles by March 2005.", [(3000000, "other")]),
    # decimals with a scale are rounded, not truncated
    ("The first instalment attracted more than 4.1 million viewers.", [(4100000, "other")]),
])
def test_bbc_false_positives_stay_out(sentence, expected):
    assert _q(sentence) == expected
