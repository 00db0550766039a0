"""The talent index: what a university search reads, as arrays over the consenting participants.

Built once per live snapshot (and whenever participants newly give the ``university_search``
scope) from moderator-verified data only:

- verified achievements per participant, direction and activity level (an activity of several
  directions counts in each);
- contest diplomas (winner / prize-winner) of the current and the previous season, from the
  official rating (verified achievements of verified accounts);
- competence per direction with its interval, estimated by the served bundle on the verified
  achievements alone (:meth:`serving.services.competence.CompetenceService.estimate` with
  ``verified_only``);
- the trend per direction: official rating points of the current season minus those of the
  previous one.

A query (:func:`search`) is a few vectorised passes over these arrays (no store access), so its
cost does not depend on how the footprint is stored. Rows are sorted by participant id, which
makes the row number the final tie-break of every ranking.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd

from footprint.columns import Columns as C
from footprint.enums import Level, ModerationStatus
from models.competence.columns import CompetenceColumns as CC
from models.competence.config import Bands
from models.rating.codes import Diploma
from serving.errors import InvalidInputError

LEVELS: tuple[str, ...] = tuple(level.value for level in Level)
# fewer verified achievements than this marks a candidate "few records" (shown, never hidden)
FEW_RECORDS = 3
DIPLOMA_CODES: dict[str, int] = {Diploma.NONE: 0, Diploma.PRIZE_WINNER: 1, Diploma.WINNER: 2}
DIPLOMA_NAMES = {v: k for k, v in DIPLOMA_CODES.items()}
_LAST = 1e18  # sort key of a candidate without a score: after everyone with one


class RankBy(StrEnum):
    """``overall``: by the conservative score. ``within_region``: every region's best first, then
    every region's second, ... (ties by score), so one strong region cannot fill the first page."""

    OVERALL = "overall"
    WITHIN_REGION = "within_region"


@dataclass(frozen=True)
class TalentFilters:
    """A search's filters; all optional, combined with AND."""

    direction: str | None = None
    min_level: str | None = None
    min_competence: float | None = None
    diploma_season: str | None = None
    grade_min: int | None = None
    grade_max: int | None = None
    region: str | None = None
    online_only: bool = False
    min_growth: float | None = None
    rank_by: RankBy = RankBy.OVERALL

    def signature(self) -> str:
        text = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class TalentIndex:
    """Arrays over the participants who had the scope when it was built (rows sorted by id)."""

    generation: int
    consent_key: frozenset[str]
    as_of: dt.datetime
    seasons: tuple[str, str]  # (current, previous)
    directions: tuple[str, ...]
    model_version: str
    pids: np.ndarray  # object, sorted
    grade: np.ndarray  # int
    regions: np.ndarray  # object, the distinct region codes
    region_code: np.ndarray  # int, index into regions
    online_only: np.ndarray  # bool
    n_verified: np.ndarray  # int
    level_counts: np.ndarray  # int (n, directions, levels)
    competence: np.ndarray  # float (n, directions), nan where none
    lower: np.ndarray
    upper: np.ndarray
    band: np.ndarray  # object (n, directions)
    diploma: np.ndarray  # int8 (n, 2 seasons, directions)
    points: np.ndarray  # float (n, 2 seasons, directions)
    band_titles: dict[str, str] = field(default_factory=dict)
    row_of: dict[str, int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.pids)


def build_index(
    *,
    generation: int,
    consent_key: frozenset[str],
    as_of: dt.datetime,
    participants: pd.DataFrame,
    achievements: pd.DataFrame,
    activities: pd.DataFrame,
    activity_directions: pd.DataFrame,
    estimates: pd.DataFrame,
    ratings: tuple[pd.DataFrame, pd.DataFrame],
    seasons: tuple[str, str],
    directions: tuple[str, ...],
    bands: Bands,
    model_version: str,
) -> TalentIndex:
    """The index over ``participants`` (already restricted to the consenting ones).

    ``achievements`` may hold any status: only verified ones are counted here. ``estimates`` are
    the bundle's rows (participant, direction, competence, lower, upper, level); ``ratings`` the
    official rating tables of the two ``seasons``.
    """
    par = participants.sort_values(C.PARTICIPANT_ID, kind="stable").reset_index(drop=True)
    pids = par[C.PARTICIPANT_ID].astype(object).to_numpy()
    n, n_dir = len(pids), len(directions)
    row_of = {str(p): i for i, p in enumerate(pids)}
    dir_of = {d: j for j, d in enumerate(directions)}
    level_of = {lv: k for k, lv in enumerate(LEVELS)}
    regions, region_code = np.unique(
        par[C.REGION].astype(object).fillna("").to_numpy(), return_inverse=True
    )

    status = achievements[C.STATUS].to_numpy(dtype=object)
    ach = achievements.loc[
        status == ModerationStatus.VERIFIED.value,
        [C.ACHIEVEMENT_ID, C.PARTICIPANT_ID, C.ACTIVITY_ID],
    ]
    ach = ach[ach[C.PARTICIPANT_ID].astype(object).isin(row_of)]
    act = activities[[C.ACTIVITY_ID, C.LEVEL, C.FORMAT]]
    ach = ach.merge(act, on=C.ACTIVITY_ID, how="inner")
    rows = ach[C.PARTICIPANT_ID].astype(object).map(row_of).to_numpy(np.int64)
    n_verified = np.bincount(rows, minlength=n)
    offline = np.bincount(
        rows, weights=(ach[C.FORMAT].to_numpy(dtype=object) != "online"), minlength=n
    )
    online_only = (n_verified > 0) & (offline == 0)

    long = ach[[C.PARTICIPANT_ID, C.ACTIVITY_ID, C.LEVEL]].merge(
        activity_directions[[C.ACTIVITY_ID, C.DIRECTION]], on=C.ACTIVITY_ID, how="inner"
    )
    long = long[long[C.DIRECTION].astype(object).isin(dir_of)]
    level_counts = np.zeros((n, n_dir, len(LEVELS)), np.int32)
    if not long.empty:
        np.add.at(
            level_counts,
            (
                long[C.PARTICIPANT_ID].astype(object).map(row_of).to_numpy(np.int64),
                long[C.DIRECTION].astype(object).map(dir_of).to_numpy(np.int64),
                long[C.LEVEL].astype(object).map(level_of).fillna(0).to_numpy(np.int64),
            ),
            1,
        )

    competence = np.full((n, n_dir), np.nan)
    lower, upper = competence.copy(), competence.copy()
    band = np.full((n, n_dir), None, dtype=object)
    if not estimates.empty:
        est = estimates[
            estimates[C.PARTICIPANT_ID].astype(object).isin(row_of)
            & estimates[C.DIRECTION].astype(object).isin(dir_of)
        ]
        i = est[C.PARTICIPANT_ID].astype(object).map(row_of).to_numpy(np.int64)
        j = est[C.DIRECTION].astype(object).map(dir_of).to_numpy(np.int64)
        competence[i, j] = est[CC.COMPETENCE].to_numpy(np.float64)
        lower[i, j] = est[CC.LOWER].to_numpy(np.float64)
        upper[i, j] = est[CC.UPPER].to_numpy(np.float64)
        band[i, j] = est[CC.LEVEL].to_numpy(dtype=object)

    diploma = np.zeros((n, 2, n_dir), np.int8)
    points = np.zeros((n, 2, n_dir))
    for s, table in enumerate(ratings):
        if table.empty:
            continue
        t = table[
            table[C.PARTICIPANT_ID].astype(object).isin(row_of)
            & table[C.DIRECTION].astype(object).isin(dir_of)
        ]
        i = t[C.PARTICIPANT_ID].astype(object).map(row_of).to_numpy(np.int64)
        j = t[C.DIRECTION].astype(object).map(dir_of).to_numpy(np.int64)
        diploma[i, s, j] = (
            t["diploma"].astype(object).map(DIPLOMA_CODES).fillna(0).to_numpy(np.int8)
        )
        points[i, s, j] = t["raw_points"].to_numpy(np.float64)

    return TalentIndex(
        generation=generation,
        consent_key=consent_key,
        as_of=as_of,
        seasons=seasons,
        directions=directions,
        model_version=model_version,
        pids=pids,
        grade=par[C.GRADE].to_numpy(np.int64, na_value=0),
        regions=regions,
        region_code=region_code.astype(np.int64),
        online_only=online_only,
        n_verified=n_verified,
        level_counts=level_counts,
        competence=competence,
        lower=lower,
        upper=upper,
        band=band,
        diploma=diploma,
        points=points,
        band_titles={b.code: b.title_ru for b in bands.band},
        row_of=row_of,
    )


@dataclass(frozen=True)
class Cursor:
    signature: str
    keys: tuple[float, ...]
    participant_id: str

    def encode(self) -> str:
        raw = json.dumps({"f": self.signature, "k": list(self.keys), "p": self.participant_id})
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            data = json.loads(raw)
            return cls(str(data["f"]), tuple(float(k) for k in data["k"]), str(data["p"]))
        except (ValueError, KeyError, TypeError):
            raise InvalidInputError(
                "курсор повреждён; начните поиск заново", ("query", "cursor")
            ) from None


@dataclass(frozen=True)
class SearchResult:
    rows: np.ndarray  # index rows of this page, in order
    scores: np.ndarray
    region_ranks: np.ndarray
    matching: int
    next_cursor: str | None
    spread: dict[str, list[dict[str, object]]]


def _spread(
    values: np.ndarray,
    page: np.ndarray,
    matching: np.ndarray,
    population: np.ndarray,
    labels: np.ndarray | None = None,
) -> list[dict[str, object]]:
    """Counts and shares per value (non-negative integer codes) of the page, the matches and
    the population; one ``bincount`` each."""
    size = int(values.max()) + 1 if len(values) else 0
    counts = [np.bincount(values[rows], minlength=size) for rows in (page, matching, population)]
    totals = [len(page), len(matching), len(population)]
    out: list[dict[str, object]] = []
    for v in np.flatnonzero(counts[2]):
        a, b, c = (int(k[v]) for k in counts)
        out.append(
            {
                "value": str(labels[v]) if labels is not None else int(v),
                "shown": a,
                "shown_share": round(a / totals[0], 4) if totals[0] else 0.0,
                "matching": b,
                "matching_share": round(b / totals[1], 4) if totals[1] else 0.0,
                "population": c,
                "population_share": round(c / totals[2], 4),
            }
        )
    return out


def search(
    index: TalentIndex,
    consenting: np.ndarray,
    filters: TalentFilters,
    *,
    limit: int,
    cursor: str | None,
    bands: Bands,
) -> SearchResult:
    """One page of candidates. ``consenting``: a boolean mask over the index rows of those whose
    scope is in force now (a withdrawal since the build drops them here)."""
    signature = filters.signature()
    after = Cursor.decode(cursor) if cursor else None
    if after is not None and after.signature != signature:
        raise InvalidInputError(
            "курсор относится к другому поиску; начните поиск заново", ("query", "cursor")
        )
    j = None
    if filters.direction is not None:
        if filters.direction not in index.directions:
            raise InvalidInputError("неизвестное направление", ("query", "direction"))
        j = index.directions.index(filters.direction)
    mask = consenting.copy()
    if filters.region is not None:
        mask &= index.regions[index.region_code] == filters.region
    if filters.grade_min is not None:
        mask &= index.grade >= filters.grade_min
    if filters.grade_max is not None:
        mask &= index.grade <= filters.grade_max
    if filters.online_only:
        mask &= index.online_only
    lower = (
        index.lower[:, j]
        if j is not None
        else np.nanmax(np.where(np.isnan(index.lower), -np.inf, index.lower), axis=1)
    )
    lower = np.where(np.isinf(lower), np.nan, lower)
    threshold = filters.min_competence
    if filters.min_level is not None:
        found = [b.lower for b in bands.band if b.code == filters.min_level]
        if not found:
            raise InvalidInputError(
                "неизвестный уровень; известные: " + ", ".join(b.code for b in bands.band),
                ("query", "min_level"),
            )
        threshold = max(threshold or 0.0, found[0])
    if threshold is not None:
        with np.errstate(invalid="ignore"):
            mask &= lower >= threshold
    if filters.diploma_season is not None:
        if filters.diploma_season not in index.seasons:
            raise InvalidInputError(
                "дипломы известны за сезоны " + ", ".join(index.seasons),
                ("query", "diploma_season"),
            )
        s = index.seasons.index(filters.diploma_season)
        dip = index.diploma[:, s, j] if j is not None else index.diploma[:, s, :].max(axis=1)
        mask &= dip > 0
    if filters.min_growth is not None:
        trend = index.points[:, 0, :] - index.points[:, 1, :]
        growth = trend[:, j] if j is not None else trend.max(axis=1)
        mask &= growth >= filters.min_growth

    matching = np.flatnonzero(mask)
    score = lower[matching]
    key_score = np.where(np.isnan(score), _LAST, -score)
    order = np.lexsort((matching, key_score))  # by score, then participant id
    ranked = matching[order]
    key_score = key_score[order]
    # rank within region along the overall order (1 = the region's best)
    reg = index.region_code[ranked]
    by_region = np.lexsort((np.arange(len(ranked)), reg))
    starts = np.r_[0, np.flatnonzero(np.diff(reg[by_region])) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(ranked)]))
    region_rank = np.empty(len(ranked), np.int64)
    region_rank[by_region] = np.arange(len(ranked)) - group_start + 1
    if filters.rank_by is RankBy.WITHIN_REGION:
        second = np.lexsort((np.arange(len(ranked)), region_rank))
        ranked, key_score, region_rank = ranked[second], key_score[second], region_rank[second]
        keys: tuple[np.ndarray, ...] = (region_rank.astype(np.float64), key_score)
    else:
        keys = (key_score,)

    start = 0
    if after is not None and len(ranked):
        pid = index.pids[ranked]
        later = np.zeros(len(ranked), bool)
        equal = np.ones(len(ranked), bool)
        for k, value in zip(keys, after.keys, strict=True):
            later |= equal & (k > value)
            equal &= k == value
        later |= equal & (pid > after.participant_id)
        start = int(np.argmax(later)) if later.any() else len(ranked)
    page = ranked[start : start + limit]
    end = start + len(page)
    next_cursor = None
    if end < len(ranked) and len(page):
        last = end - 1
        next_cursor = Cursor(
            signature, tuple(float(k[last]) for k in keys), str(index.pids[ranked[last]])
        ).encode()
    population = np.flatnonzero(consenting)
    spread = {
        "regions": _spread(index.region_code, page, matching, population, index.regions),
        "grades": _spread(index.grade, page, matching, population),
    }
    scores = lower[page]
    return SearchResult(page, scores, region_rank[start:end], len(matching), next_cursor, spread)


def candidate(
    index: TalentIndex, row: int, score: float, region_rank: int | None
) -> dict[str, object]:
    """One candidate with the evidence behind the score (all of it verified)."""
    dirs = []
    for j, d in enumerate(index.directions):
        counts = index.level_counts[row, j]
        rated = index.points[row, :, j].any()
        if np.isnan(index.competence[row, j]) and not counts.any() and not rated:
            continue
        band = index.band[row, j]
        dirs.append(
            {
                "direction": d,
                "competence": _num(index.competence[row, j]),
                "lower": _num(index.lower[row, j]),
                "upper": _num(index.upper[row, j]),
                "level": band,
                "level_title_ru": index.band_titles.get(band) if band else None,
                "verified_by_level": {
                    lv: int(c) for lv, c in zip(LEVELS, counts, strict=True) if c
                },
                "points_current": round(float(index.points[row, 0, j]), 2),
                "points_previous": round(float(index.points[row, 1, j]), 2),
                "trend": round(float(index.points[row, 0, j] - index.points[row, 1, j]), 2),
            }
        )
    diplomas = [
        {
            "season": index.seasons[s],
            "direction": index.directions[j],
            "diploma": DIPLOMA_NAMES[int(index.diploma[row, s, j])],
        }
        for s in range(2)
        for j in range(len(index.directions))
        if index.diploma[row, s, j] > 0
    ]
    n = int(index.n_verified[row])
    return {
        "participant_id": str(index.pids[row]),
        "grade": int(index.grade[row]),
        "region": str(index.regions[index.region_code[row]]),
        "score": _num(score),
        "region_rank": region_rank,
        "verified_achievements": n,
        "few_records": n < FEW_RECORDS,
        "online_only": bool(index.online_only[row]),
        "directions": dirs,
        "diplomas": diplomas,
    }


def _num(value: float) -> float | None:
    return None if value is None or np.isnan(value) else round(float(value), 2)
