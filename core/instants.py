"""Instants: the one rule for time in this project, written once.

Every stored and compared instant is a *naive* ``datetime`` in UTC (the store's columns, snapshot
frames and cut-offs are naive UTC, and pandas refuses to compare naive with aware values). An aware
value arriving from a user, a file or a clock is converted to UTC and stripped of its zone here,
nowhere else.
"""

from __future__ import annotations

import datetime as dt
from typing import overload

__all__ = ["parse_instant", "to_naive_utc", "utc_now"]


def utc_now(*, seconds: bool = False) -> dt.datetime:
    """The current instant as naive UTC; ``seconds=True`` drops the microseconds (for ids and
    cut-offs printed to people)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return now.replace(microsecond=0) if seconds else now


@overload
def to_naive_utc(value: dt.datetime) -> dt.datetime: ...
@overload
def to_naive_utc(value: None) -> None: ...
def to_naive_utc(value: dt.datetime | None) -> dt.datetime | None:
    """``value`` as naive UTC: an aware value is converted to UTC, a naive one is taken to be UTC
    already and returned as it is; None stays None."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def parse_instant(value: str) -> dt.datetime:
    """``2026-01-31`` (midnight UTC of that day) or a full ISO timestamp, as naive UTC.

    Raises
    ------
    ValueError
        ``value`` is neither; the message names the value and the accepted forms.
    """
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO date (YYYY-MM-DD) or timestamp") from None
    return to_naive_utc(parsed)
