"""Turn the simulated world into the ingestion tables of docs/data-model.md (pyarrow, typed).

Columns are named by :class:`footprint.columns.Columns` and enum values come from
:mod:`footprint.enums`. String columns are built with pyarrow kernels (``take`` from small
dictionaries, joins of prefixes and numbers) so millions of rows never become Python objects.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from footprint.columns import Columns as C
from footprint.directions import Direction
from footprint.enums import ConsentScope, ConsentStatus, Format, ModerationStatus
from simulator import clock
from simulator.catalog import Activities, Edges
from simulator.kinds import KIND_SPECS, KINDS, LEVELS, Source
from simulator.population import REGION_CODES, Population
from simulator.results import RESULTS
from simulator.season import RecordArrays

TS = pa.timestamp("s")
STATUS_ORDER = (ModerationStatus.PENDING, ModerationStatus.VERIFIED, ModerationStatus.REJECTED)
"""Moderation statuses by the code the simulator draws (0 pending, 1 verified, 2 rejected)."""
REJECTED_SHARE = 0.02
UNMODERATED_SHARE = 0.02
MEAN_MODERATION_DAYS = 14.0
EVIDENCE_SHARE = 0.7
RECORD_PREFIX: dict[Source, str] = {
    Source.OLYMPIAD: "r-ol-",
    Source.COURSES: "r-co-",
    Source.EVENTS: "r-ev-",
    Source.PLATFORM: "r-pl-",
}


def prefixed(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded ``numbers`` as a string array (vectorised)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64()), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def timestamps(values: np.ndarray) -> pa.Array:
    """``datetime64[s]`` (NaT = missing) as a timestamp array."""
    return pa.array(values.astype("datetime64[s]"), type=TS, from_pandas=True)


def participants_table(pop: Population, codes: tuple[str, ...]) -> pa.Table:
    """The platform's participants: grade in the season of registration, consent given then."""
    n = pop.size
    school = prefixed("s", np.maximum(pop.school, 0), 6)
    school = pc.if_else(pa.array(pop.school >= 0), school, pa.scalar(None, pa.string()))
    masks = np.arange(1 << len(codes))
    labels = [";".join(c for b, c in enumerate(codes) if m >> b & 1) or None for m in masks]
    return pa.table(
        {
            C.PARTICIPANT_ID: pa.array(pop.ids, pa.string()),
            C.GRADE: pa.array(pop.grade_reg, pa.int16()),
            C.GRADE_YEAR: pa.array(pop.grade_year, pa.int16()),
            C.REGION: pa.array(REGION_CODES).take(pa.array(pop.region.astype(np.int64))),
            C.SCHOOL_ID: school,
            C.REGISTERED_AT: timestamps(pop.registered_at),
            C.ACCOUNT_VERIFIED_AT: timestamps(pop.verified_at),
            C.DECLARED_INTERESTS: pa.array(labels, pa.string()).take(pa.array(pop.declared)),
            C.CONSENT_STATUS: pa.array(np.full(n, ConsentStatus.GIVEN.value), pa.string()),
            C.CONSENT_CHANGED_AT: timestamps(pop.registered_at),
        }
    )


def consent_scopes_table(
    pop: Population,
    share: float,
    active: np.ndarray,
    export_at: np.datetime64,
    rng: np.random.Generator,
) -> pa.Table:
    """Consents to be found by partner universities: about ``share`` of participants, those with
    records (``active``) twice as likely as those without, given between registration and the
    export (the platform's ``consent_scopes`` export)."""
    n = pop.size
    odds = np.where(active, 2.0, 1.0)
    chance = np.minimum(1.0, share * odds * n / max(float(odds.sum()), 1.0))
    who = np.flatnonzero(rng.random(n) < chance)
    span = (export_at - pop.registered_at[who]).astype("timedelta64[s]").astype(np.int64) / 86_400
    when = clock.add_days(pop.registered_at[who], rng.random(len(who)) * np.maximum(span, 0))
    return pa.table(
        {
            C.PARTICIPANT_ID: pa.array(pop.ids[who], pa.string()),
            C.SCOPE: pa.array([ConsentScope.UNIVERSITY_SEARCH.value] * len(who), pa.string()),
            C.CONSENT_STATUS: pa.array([ConsentStatus.GIVEN.value] * len(who), pa.string()),
            C.CHANGED_AT: timestamps(when),
        }
    )


def directions_table(items: tuple[Direction, ...]) -> pa.Table:
    """The world's directions, as a deployment sends them (``directions`` entity)."""
    return pa.table(
        {
            C.CODE: pa.array([d.code for d in items], pa.string()),
            C.TITLE_RU: pa.array([d.title_ru for d in items], pa.string()),
            C.AKA_RU: pa.array([d.aka_ru for d in items], pa.string()),
        }
    )


def directions_column(weights: np.ndarray, codes: tuple[str, ...]) -> list[str]:
    """``code:weight`` pairs (weights in tenths, summing to 1) in direction-file order."""
    tenths = np.round(weights * 10).astype(int)
    return [
        ";".join(f"{codes[d]}:{t / 10:g}" for d, t in enumerate(row) if t > 0) for row in tenths
    ]


def activities_table(acts: Activities, codes: tuple[str, ...]) -> pa.Table:
    """The catalogue: every edition that ran, with the NTI list level on olympiad editions."""
    kinds = pa.array([k.value for k in KINDS])
    levels = pa.array([lvl.value for lvl in LEVELS])
    fmt = np.where(acts.offline, Format.OFFLINE.value, Format.ONLINE.value)
    region = [REGION_CODES[r] if r >= 0 else None for r in acts.region]
    return pa.table(
        {
            C.ACTIVITY_ID: pa.array(acts.activity_id, pa.string()),
            C.SERIES_ID: pa.array(acts.series_id, pa.string()),
            C.TITLE: pa.array(acts.title, pa.string()),
            C.KIND: kinds.take(pa.array(acts.kind.astype(np.int64))),
            C.DIRECTIONS: pa.array(directions_column(acts.weights, codes), pa.string()),
            C.LEVEL: levels.take(pa.array(acts.level.astype(np.int64))),
            C.FORMAT: pa.array(fmt, pa.string()),
            C.REGION: pa.array(region, pa.string()),
            C.START_AT: timestamps(acts.start_at),
            C.END_AT: timestamps(acts.end_at),
            C.REGISTRATION_DEADLINE: timestamps(acts.deadline),
            C.GRADE_MIN: pa.array(acts.grade_min, pa.int16()),
            C.GRADE_MAX: pa.array(acts.grade_max, pa.int16()),
            C.CAPACITY: pa.array(acts.capacity, pa.int64(), mask=acts.capacity < 0),
            C.MAX_SCORE: pa.array(acts.max_score, pa.float64(), from_pandas=True),
            C.IS_TEAM: pa.array(acts.is_team, pa.bool_()),
            C.OLYMPIAD_LIST_LEVEL: pa.array(acts.list_level, pa.int16(), mask=acts.list_level == 0),
            C.PUBLISHED_AT: timestamps(acts.published_at),
        }
    )


def edges_table(edges: Edges) -> pa.Table:
    return pa.table(
        {
            C.FROM_ACTIVITY_ID: pa.array(edges.from_id, pa.string()),
            C.TO_ACTIVITY_ID: pa.array(edges.to_id, pa.string()),
            C.EDGE_TYPE: pa.array(edges.edge_type, pa.string()),
        }
    )


def achievements_tables(
    records: RecordArrays,
    acts: Activities,
    pop: Population,
    export_at: np.datetime64,
    rng: np.random.Generator,
    first: dict[Source, int] | None = None,
) -> dict[Source, pa.Table]:
    """Split records by reporting source and add ids, dates, moderation status and evidence.

    Record ids of each source are numbered from ``first[source]`` (default 1), so the chunks of a
    bigger world continue each other's numbering.

    Records are created 1-10 days after the activity ends; moderation takes a few days
    (exponential), so records still under moderation at ``export_at`` (the recent ones, mostly)
    stay ``pending``; a few are rejected and a few are never looked at.
    """
    n = len(records.pid)
    achieved = acts.end_at[records.act]
    recorded = clock.add_days(achieved, rng.uniform(1.0, 10.0, size=n))
    changed = clock.add_days(recorded, 0.1 + rng.exponential(MEAN_MODERATION_DAYS, size=n))
    u = rng.random(n)
    moderated = (u >= UNMODERATED_SHARE) & (changed <= export_at)
    status = np.where(~moderated, 0, np.where(u < UNMODERATED_SHARE + REJECTED_SHARE, 2, 1))
    changed = np.where(moderated, changed, np.datetime64("NaT"))
    evidence_no = rng.integers(0, 10_000_000, size=n)
    has_evidence = rng.random(n) < EVIDENCE_SHARE
    statuses = pa.array([s.value for s in STATUS_ORDER])
    source_of_kind = np.array([list(Source).index(KIND_SPECS[k].source) for k in KINDS])
    source = source_of_kind[acts.kind[records.act]]
    ids = pa.array(pop.ids, pa.string())
    act_ids = pa.array(acts.activity_id, pa.string())
    results = pa.array([r.value for r in RESULTS])
    out: dict[Source, pa.Table] = {}
    for s_idx, src in enumerate(Source):
        rows = np.flatnonzero(source == s_idx)
        if src is Source.PLATFORM:
            continue
        rows = rows[np.lexsort((records.pid[rows], records.act[rows], recorded[rows]))]
        start = (first or {}).get(src, 1)
        team, score, rank = records.team[rows], records.score[rows], records.rank[rows]
        team_id = pc.if_else(
            pa.array(team >= 0),
            prefixed("t-", np.maximum(team, 0), 6),
            pa.scalar(None, pa.string()),
        )
        evidence = pc.if_else(
            pa.array(has_evidence[rows]),
            prefixed("doc:", evidence_no[rows], 7),
            pa.scalar(None, pa.string()),
        )
        out[src] = pa.table(
            {
                C.SOURCE_RECORD_ID: prefixed(
                    RECORD_PREFIX[src], np.arange(start, start + len(rows)), 8
                ),
                C.PARTICIPANT_ID: ids.take(pa.array(records.pid[rows])),
                C.ACTIVITY_ID: act_ids.take(pa.array(records.act[rows])),
                C.TEAM_ID: team_id,
                C.RESULT: results.take(pa.array(records.result[rows].astype(np.int64))),
                C.SCORE: pa.array(score, pa.float64(), from_pandas=True),
                C.RANK: pa.array(rank, pa.int32(), mask=rank <= 0),
                C.EVIDENCE: evidence,
                C.STATUS: statuses.take(pa.array(status[rows])),
                C.STATUS_CHANGED_AT: timestamps(changed[rows]),
                C.ACHIEVED_AT: timestamps(achieved[rows]),
                C.RECORDED_AT: timestamps(recorded[rows]),
            }
        )
    return out


def truth_table(
    ids: pa.Array, codes: tuple[str, ...], t: np.datetime64, idx: np.ndarray, theta: np.ndarray
) -> pa.Table:
    """Truth rows of one checkpoint: ability and its population percentile (0-100) per direction,
    among the participants given (registered by ``t`` and still at school)."""
    m, n_dir = theta.shape
    pct = np.empty_like(theta)
    for d in range(n_dir):
        order = np.argsort(theta[:, d], kind="stable")
        pct[order, d] = (np.arange(m) + 0.5) / m * 100.0
    return pa.table(
        {
            C.PARTICIPANT_ID: ids.take(pa.array(np.repeat(idx, n_dir))),
            C.DIRECTION: pa.array(codes).take(pa.array(np.tile(np.arange(n_dir), m))),
            C.AS_OF: pa.array(np.full(m * n_dir, t, dtype="datetime64[s]"), TS),
            C.TRUE_ABILITY: pa.array(theta.reshape(-1), pa.float64()),
            C.TRUE_COMPETENCE: pa.array(pct.reshape(-1), pa.float64()),
        }
    )
