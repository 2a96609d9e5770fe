"""dates_safe: impossible or extreme dates are ignored (None), never raised."""
import datetime as dt

from hypothesis import given, strategies as st

from pipelines.core import dates_safe as ds


def test_february_30_and_month_13_are_none():
    assert ds.safe_date(2020, 2, 30) is None
    assert ds.safe_date(2020, 13, 1) is None
    assert ds.safe_date(2020, 2, 29) == dt.date(2020, 2, 29)
    assert ds.safe_date(2019, 2, 29) is None
    assert ds.safe_date("2020", "10", "03") == dt.date(2020, 10, 3)


def test_extreme_years():
    assert ds.safe_date(0, 1, 1) is None
    assert ds.safe_date(10000, 1, 1) is None
    assert ds.safe_date(1, 1, 1) == dt.date(1, 1, 1)
    assert ds.add_days(dt.date(1, 1, 1), -1) is None
    assert ds.add_days(dt.date(9999, 12, 31), 1) is None
    assert ds.add_months(dt.date(9999, 12, 31), 1) is None
    assert ds.add_years(dt.date(2020, 2, 29), 1) == dt.date(2021, 2, 28)
    assert not ds.in_range(dt.date(1, 1, 1)) and not ds.in_range(dt.date(9999, 1, 1))
    assert ds.in_range(dt.date(1900, 1, 1)) and ds.in_range(dt.date(2100, 12, 31))
    assert ds.checked(dt.date(9999, 1, 1)) is None


def test_coerce():
    assert ds.coerce_date("2020-10-03T12:00:00") == dt.date(2020, 10, 3)
    assert ds.coerce_date("2020-02-30") is None
    assert ds.coerce_date("NaT") is None
    assert ds.coerce_date(dt.datetime(2020, 1, 2, 3)) == dt.date(2020, 1, 2)


@given(st.integers(-10**7, 10**7), st.integers(-50, 50), st.integers(-50, 50), st.integers(-10**9, 10**9))
def test_never_raises(y, m, d, n):
    x = ds.safe_date(y, m, d)
    ds.add_days(x, n)
    ds.add_months(x, n)
    ds.add_days(dt.date(1, 1, 1), n)
    ds.add_months(dt.date(9999, 12, 31), n)
