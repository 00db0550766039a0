"""The one rule for time: naive UTC everywhere."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.instants import parse_instant, to_naive_utc, utc_now

MOSCOW = dt.timezone(dt.timedelta(hours=3))


def test_aware_instant_becomes_naive_utc() -> None:
    aware = dt.datetime(2026, 3, 1, 3, 30, tzinfo=MOSCOW)
    assert to_naive_utc(aware) == dt.datetime(2026, 3, 1, 0, 30)


def test_naive_instant_and_none_pass_through() -> None:
    naive = dt.datetime(2026, 3, 1, 12)
    assert to_naive_utc(naive) is naive
    assert to_naive_utc(None) is None


# fixed offsets: a wall time that a DST change skips has no single instant to compare with
OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))


@given(st.datetimes(min_value=dt.datetime(1901, 1, 1), timezones=OFFSETS))
def test_conversion_keeps_the_instant(value: dt.datetime) -> None:
    naive = to_naive_utc(value)
    assert naive.tzinfo is None
    assert naive.replace(tzinfo=dt.UTC) == value


def test_parse_instant_reads_dates_and_timestamps() -> None:
    assert parse_instant("2026-01-31") == dt.datetime(2026, 1, 31)
    assert parse_instant("2026-01-31T10:00:00+03:00") == dt.datetime(2026, 1, 31, 7)


def test_parse_instant_names_the_bad_value() -> None:
    with pytest.raises(ValueError, match=r"'31\.01\.2026' is not an ISO date"):
        parse_instant("31.01.2026")


def test_utc_now_is_naive_and_close_to_the_clock() -> None:
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    now = utc_now()
    assert now.tzinfo is None
    assert dt.timedelta(0) <= now - before < dt.timedelta(seconds=5)
    assert utc_now(seconds=True).microsecond == 0
