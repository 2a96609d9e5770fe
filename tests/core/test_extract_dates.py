"""Date resolution against the publication date, on real seed sentences and generic news phrasing."""
from __future__ import annotations

from datetime import date

import pytest

from pipelines.core.extract.dates import find_date_mentions, resolve_date

PUB = date(2020, 10, 3)  # a Saturday: seed 000's dateline


def test_yesterday_from_seed_000():
    s = ("Belarus said yesterday it was introducing counter-sanctions on the European Union after the bloc adopted "
         "measures against members of the regime in Minsk following President Alexander Lukashenko's disputed re-election.")
    assert resolve_date(s, PUB) == (date(2020, 10, 2), "day", "yesterday")


def test_adverbial_relative_date_beats_attributive_absolute_date():
    s = ("EU leaders earlier yesterday gave their approval for travel bans and asset freezes on some 40 members of "
         "Mr Lukashenko's regime they deemed responsible for rigging the Aug 9 election and the subsequent violent "
         "crackdown on protests.")
    assert [t for _s, _e, t in find_date_mentions(s)] == ["yesterday", "Aug 9"]
    assert resolve_date(s, PUB) == (date(2020, 10, 2), "day", "yesterday")


def test_abbreviated_month_day_from_seed_003():
    s = "On Oct. 2, the EU imposed travel bans and assets freeze against 40 Belarusian officials from the Interior Ministry."
    assert resolve_date(s, date(2020, 10, 5)) == (date(2020, 10, 2), "day", "Oct. 2")


@pytest.mark.parametrize("text,expected", [
    ("Aug. 9", date(2020, 8, 9)),
    ("Aug 9", date(2020, 8, 9)),
    ("October 2", date(2020, 10, 2)),
    ("on 19 August", date(2020, 8, 19)),
    ("on 9th of August", date(2020, 8, 9)),
])
def test_absolute_day_forms(text, expected):
    d, prec, txt = resolve_date(f"Protesters gathered {text} in the capital.", PUB)
    assert (d, prec) == (expected, "day")
    assert txt in text


def test_on_weekday_is_most_recent_on_or_before_publication():
    # published on a Saturday: "on Saturday" is that day, "on Monday" is 5 days earlier
    assert resolve_date("Riot police on Saturday detained hundreds of women.", PUB)[0] == date(2020, 10, 3)
    assert resolve_date("Tikhanovskaya on Monday urged the EU to show courage.", PUB)[0] == date(2020, 9, 28)
    # published on a Tuesday
    assert resolve_date("Police detained 200 people on Sunday.", date(2020, 9, 22))[0] == date(2020, 9, 20)


def test_weekday_in_a_planned_sentence_is_the_next_one():
    s = "EU leaders will take up the matter at a summit in Brussels on Thursday."
    assert resolve_date(s, date(2020, 9, 21), future=True)[0] == date(2020, 9, 24)
    assert resolve_date(s, date(2020, 9, 21), future=False)[0] == date(2020, 9, 17)


def test_habitual_weekday_is_not_a_date():
    s = "Over 100,000 people marched through Minsk's center every Sunday, for seven weeks in a row."
    assert resolve_date(s, PUB) == (None, "none", None)


def test_last_week_and_in_month():
    d, prec, txt = resolve_date("The opposition council was formed last week.", PUB)
    assert (d, prec, txt) == (date(2020, 9, 21), "week", "last week")  # Monday of the previous ISO week
    d, prec, txt = resolve_date("Thousands were detained in September.", PUB)
    assert (d, prec, txt) == (date(2020, 9, 1), "month", "in September")
    assert resolve_date("The sanctions were removed in 2016.", PUB)[:2] == (date(2016, 1, 1), "year")


def test_new_year_boundary():
    # a December date read in early January belongs to the previous year
    assert resolve_date("Police dispersed the rally on December 30.", date(2021, 1, 2))[0] == date(2020, 12, 30)
    # "in December" read in January: last December
    assert resolve_date("Talks collapsed in December.", date(2021, 1, 10))[0] == date(2020, 12, 1)
    # a planned January date read in late December is next year's
    assert resolve_date("The vote will be held on January 5.", date(2020, 12, 30), future=True)[0] == date(2021, 1, 5)


def test_past_reference_never_after_publication():
    # "Nov. 5" read on 3 Oct in a past-tense sentence must not land in the future
    d, _p, _t = resolve_date("The council met on Nov. 5 to discuss it.", PUB)
    assert d is None or d <= PUB
    for s in ["It happened on Friday.", "It happened last week.", "It happened this month.", "It happened today."]:
        d, _p, _t = resolve_date(s, PUB)
        assert d is not None and d <= PUB, s


def test_explicit_year_and_no_publication_date():
    s = "Svetlana Tikhanovskaya addresses members of parliament in Brussels on September 21, 2020."
    assert resolve_date(s, None) == (date(2020, 9, 21), "day", "September 21, 2020")
    # relative expressions cannot be resolved without a publication date: caller falls back
    d, prec, txt = resolve_date("Belarus said yesterday it would retaliate.", None)
    assert d is None and prec == "none"


def test_no_date_fallback():
    assert resolve_date("The EU has alienated the country, the ministry said.", PUB) == (None, "none", None)
    # "may" as a modal verb is not a month
    assert find_date_mentions("The EU may 5 times reconsider.") == []


def test_near_future_date_in_unmarked_sentence_is_not_pushed_a_year_back():
    s = "Kuleba said that Ukraine will not use the title with his name after Nov. 5, when his legal term ends."
    assert resolve_date(s, date(2020, 10, 5), future=True)[:2] == (date(2020, 11, 5), "day")
    d, prec, _t = resolve_date(s, date(2020, 10, 5))
    assert d is None and prec == "none"
    # far enough ahead in the calendar: last year's date ("the Aug. 9 election" read in February)
    assert resolve_date("Protests followed the Aug. 9 election.", date(2021, 2, 1))[0] == date(2020, 8, 9)


def test_ago_and_weekend():
    assert resolve_date("Police detained him two days ago.", PUB) == (date(2020, 10, 1), "day", "two days ago")
    assert resolve_date("It happened three weeks ago.", PUB)[:2] == (date(2020, 9, 12), "week")
    assert resolve_date("The council was formed a month ago.", PUB)[:2] == (date(2020, 9, 1), "month")
    # published on a Tuesday: "at the weekend" is the Saturday before
    assert resolve_date("Protests at the weekend drew thousands.", date(2020, 9, 22))[:2] == (date(2020, 9, 19), "week")
