"""The real shape of messy input, injected on request (``--messy``) into all-string tables.

Kinds of mess, each counted so a test or the ingestion report can check it was caught:
duplicates of ``events`` achievements re-exported by the platform; children known to ``events``
under an alias id (with the alias in ``platform/identities``); missing scores; records still
pending; consent withdrawals; and malformed rows (unparseable grade, bad date, unknown enum value,
unknown activity id, missing required field, score above ``max_score``). Malformed rows of one file
are disjoint, so every bad row has exactly one defect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from footprint.columns import Columns as C
from footprint.enums import ConsentStatus, ModerationStatus
from simulator import clock
from simulator.config import MessyRates
from simulator.export import RECORD_PREFIX, prefixed
from simulator.kinds import Source
from simulator.population import Population
from simulator.write import ISO


class Mess(StrEnum):
    """Kinds of injected mess (keys of the manifest's ``messy`` section)."""

    DUPLICATE_ACROSS_SOURCES = "duplicate_across_sources"
    ALIAS_ID = "alias_id"
    MISSING_SCORE = "missing_score"
    EXTRA_PENDING = "extra_pending"
    CONSENT_WITHDRAWAL = "consent_withdrawal"
    UNPARSEABLE_GRADE = "unparseable_grade"
    BAD_DATE = "bad_date"
    UNKNOWN_ENUM = "unknown_enum"
    UNKNOWN_ACTIVITY = "unknown_activity"
    MISSING_REQUIRED = "missing_required"
    SCORE_ABOVE_MAX = "score_above_max"


MALFORMED_ACHIEVEMENT: tuple[Mess, ...] = (
    Mess.BAD_DATE,
    Mess.UNKNOWN_ENUM,
    Mess.UNKNOWN_ACTIVITY,
    Mess.MISSING_REQUIRED,
    Mess.SCORE_ABOVE_MAX,
)
BAD_GRADES = ("8-й", "VIII", "восьмой", "10 кл.", "седьмой класс")
BAD_DATES = ("2023-02-30", "31.12.2023", "вчера", "2024-13-01T10:00:00", "20231301")
BAD_RESULTS = ("champion", "лауреат", "winner!")
BAD_STATUSES = ("approved", "на проверке")
REQUIRED_ACHIEVEMENT = (C.PARTICIPANT_ID, C.ACTIVITY_ID, C.RESULT, C.ACHIEVED_AT)


@dataclass
class MessReport:
    """How many rows of each kind of mess were injected, in total and per file."""

    totals: dict[str, int] = field(default_factory=lambda: {m.value: 0 for m in Mess})
    by_file: dict[str, dict[str, int]] = field(default_factory=dict)

    def count(self, file: str, mess: Mess, n: int) -> None:
        self.totals[mess.value] += n
        per_file = self.by_file.setdefault(file, {})
        per_file[mess.value] = per_file.get(mess.value, 0) + n


def _set(
    table: pa.Table, column: str, rows: np.ndarray, values: list[str | None] | pa.Array
) -> pa.Table:
    """Replace ``column`` at ``rows`` (indices) with ``values``."""
    mask = np.zeros(table.num_rows, dtype=bool)
    mask[rows] = True
    col = table.column(column).combine_chunks()
    order = np.argsort(rows, kind="stable")
    vals = pa.array(values, pa.string()) if isinstance(values, list) else values
    new = pc.replace_with_mask(col, pa.array(mask), vals.take(pa.array(order)))
    return table.set_column(table.column_names.index(column), column, new)


def _pick(
    rng: np.random.Generator, pool: np.ndarray, share: float, n_rows: int
) -> tuple[np.ndarray, np.ndarray]:
    """``round(share * n_rows)`` rows from ``pool`` (fewer if the pool is smaller), and the rest."""
    k = min(len(pool), round(share * n_rows))
    chosen = rng.choice(pool, size=k, replace=False) if k else np.zeros(0, dtype=np.int64)
    return np.sort(chosen), np.setdiff1d(pool, chosen)


def duplicate_events(
    events: pa.Table, share: float, rng: np.random.Generator, first: int = 1
) -> pa.Table:
    """Platform re-export of a share of ``events`` achievements under platform record ids
    (numbered from ``first``: a chunk of a bigger world continues the previous chunk's numbers)."""
    rows, _ = _pick(rng, np.arange(events.num_rows), share, events.num_rows)
    dup = events.take(pa.array(rows))
    ids = prefixed(RECORD_PREFIX[Source.PLATFORM], np.arange(first, first + len(rows)), 8)
    return dup.set_column(dup.column_names.index(C.SOURCE_RECORD_ID), C.SOURCE_RECORD_ID, ids)


def alias_events(
    events: pa.Table,
    pop: Population,
    share: float,
    rng: np.random.Generator,
    offset: int = 0,
) -> tuple[pa.Table, pa.Table, int]:
    """Replace the ids of a share of participants by ``ev-`` aliases in ``events`` rows.

    Alias numbers are ``offset .. offset + participants - 1`` (a chunk's own range).

    Returns the new table, the identity map (source, alias, canonical id) of aliased participants
    who appear in ``events``, and the number of rows changed.
    """
    n = pop.size
    aliased = rng.random(n) < share
    alias = prefixed("ev-", offset + rng.permutation(n), 7)
    canon = pa.array(pop.ids, pa.string())
    index = pc.index_in(events.column(C.PARTICIPANT_ID), value_set=canon).to_numpy(
        zero_copy_only=False
    )
    rows = np.flatnonzero(aliased[index])
    events = _set(events, C.PARTICIPANT_ID, rows, alias.take(pa.array(index[rows])))
    people = np.unique(index[rows])
    identities = pa.table(
        {
            C.SOURCE: pa.array([Source.EVENTS.value] * len(people), pa.string()),
            C.SOURCE_PARTICIPANT_ID: alias.take(pa.array(people)),
            C.PARTICIPANT_ID: canon.take(pa.array(people)),
        }
    )
    return events, identities, len(rows)


def consents(
    pop: Population, share: float, export_at: np.datetime64, rng: np.random.Generator
) -> pa.Table:
    """Consent withdrawals of a share of participants, some time between registration and export."""
    who = np.flatnonzero(rng.random(pop.size) < share)
    span = (export_at - pop.registered_at[who]).astype(np.int64) / 86_400
    when = clock.add_days(pop.registered_at[who], rng.random(len(who)) * span)
    return pa.table(
        {
            C.PARTICIPANT_ID: pa.array(pop.ids[who], pa.string()),
            C.CONSENT_STATUS: pa.array([ConsentStatus.WITHDRAWN.value] * len(who), pa.string()),
            C.CHANGED_AT: pc.strftime(pa.array(when, pa.timestamp("s")), format=ISO),
        }
    )


def mess_participants(
    table: pa.Table, rate: float, rng: np.random.Generator, report: MessReport, name: str
) -> pa.Table:
    """Unparseable grades in a share ``rate`` of participant rows."""
    rows, _ = _pick(rng, np.arange(table.num_rows), rate, table.num_rows)
    values = [BAD_GRADES[i] for i in rng.integers(0, len(BAD_GRADES), size=len(rows))]
    report.count(name, Mess.UNPARSEABLE_GRADE, len(rows))
    return _set(table, C.GRADE, rows, values)


def mess_achievements(
    table: pa.Table,
    activity_ids: pa.Array,
    max_score: np.ndarray,
    rates: MessyRates,
    rng: np.random.Generator,
    report: MessReport,
    name: str,
) -> pa.Table:
    """Malformed rows, missing scores and extra pending records in one achievements table.

    ``activity_ids`` and ``max_score`` describe the catalogue (NaN = not scored).
    """
    n = table.num_rows
    free = np.arange(n)
    score = table.column(C.SCORE)
    has_score = pc.is_valid(score).to_numpy(zero_copy_only=False)
    where = pc.index_in(table.column(C.ACTIVITY_ID), value_set=activity_ids)
    where = pc.fill_null(where, -1).to_numpy(zero_copy_only=False)
    cap = np.where(where >= 0, max_score[np.maximum(where, 0)], np.nan)
    pending = pc.fill_null(pc.equal(table.column(C.STATUS), ModerationStatus.PENDING.value), True)
    pending = pending.to_numpy(zero_copy_only=False)
    for mess in MALFORMED_ACHIEVEMENT:
        if mess is Mess.SCORE_ABOVE_MAX:
            pool = free[has_score[free] & ~np.isnan(cap[free])]
        elif mess is Mess.UNKNOWN_ENUM:  # a settled row, so the bad status is its only defect
            pool = free[~pending[free]]
        else:
            pool = free
        rows, _ = _pick(rng, pool, rates.malformed, n)
        free = np.setdiff1d(free, rows)
        report.count(name, mess, len(rows))
        table = _malform(table, mess, rows, cap, rng)
    rows, _ = _pick(rng, free[has_score[free]], rates.missing_score, int(has_score.sum()))
    free = np.setdiff1d(free, rows)
    table = _set(table, C.SCORE, rows, [None] * len(rows))
    report.count(name, Mess.MISSING_SCORE, len(rows))
    rows, _ = _pick(rng, free[~pending[free]], rates.extra_pending, int((~pending).sum()))
    table = _set(table, C.STATUS, rows, [ModerationStatus.PENDING.value] * len(rows))
    table = _set(table, C.STATUS_CHANGED_AT, rows, [None] * len(rows))
    report.count(name, Mess.EXTRA_PENDING, len(rows))
    return table


def _malform(
    table: pa.Table, mess: Mess, rows: np.ndarray, cap: np.ndarray, rng: np.random.Generator
) -> pa.Table:
    k = len(rows)
    if k == 0:
        return table
    if mess is Mess.BAD_DATE:
        half = rng.random(k) < 0.5
        bad = [BAD_DATES[i] for i in rng.integers(0, len(BAD_DATES), size=k)]
        table = _set(
            table, C.ACHIEVED_AT, rows[half], [b for b, h in zip(bad, half, strict=True) if h]
        )
        return _set(
            table, C.RECORDED_AT, rows[~half], [b for b, h in zip(bad, half, strict=True) if not h]
        )
    if mess is Mess.UNKNOWN_ENUM:
        half = rng.random(k) < 0.5
        res = [BAD_RESULTS[i] for i in rng.integers(0, len(BAD_RESULTS), size=int(half.sum()))]
        sts = [BAD_STATUSES[i] for i in rng.integers(0, len(BAD_STATUSES), size=int((~half).sum()))]
        return _set(_set(table, C.RESULT, rows[half], res), C.STATUS, rows[~half], sts)
    if mess is Mess.UNKNOWN_ACTIVITY:
        return _set(
            table, C.ACTIVITY_ID, rows, prefixed("a-unknown-", rng.integers(0, 10**6, size=k), 6)
        )
    if mess is Mess.MISSING_REQUIRED:
        which = rng.integers(0, len(REQUIRED_ACHIEVEMENT), size=k)
        for j, column in enumerate(REQUIRED_ACHIEVEMENT):
            table = _set(table, column, rows[which == j], [None] * int((which == j).sum()))
        return table
    over = np.round(cap[rows] * rng.uniform(1.05, 1.5, size=k), 1)
    return _set(table, C.SCORE, rows, pc.cast(pa.array(over), pa.string()))
