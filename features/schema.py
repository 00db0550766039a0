"""The feature schema: every per-participant feature's name, dtype, meaning and Russian label.

One list that the feature function follows, training logs (as JSON, next to each model) and
serving checks (:func:`check_features`), so a model never silently receives a renamed, missing or
retyped column. The Russian labels and stable codes are what moderators and the platform see when
an estimate is explained by its features.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Final

import pandas as pd

from core.errors import TalentError
from footprint.columns import Columns as C
from footprint.enums import RU_LABELS, ActivityKind, Level, Result

SCHEMA_VERSION: Final = 1
KEYS: Final[tuple[str, ...]] = (C.PARTICIPANT_ID, C.DIRECTION)


class FeatureSchemaError(TalentError):
    """A feature frame does not match the schema the model was trained with."""


@dataclass(frozen=True)
class FeatureSpec:
    """One feature: ``name`` (also its stable code), dtype, meaning (English), label (Russian)."""

    name: str
    dtype: str
    meaning: str
    label_ru: str


def _f(name: str, meaning: str, label_ru: str) -> FeatureSpec:
    return FeatureSpec(name, "float64", meaning, label_ru)


class Feat:
    """Feature names, each spelled once (per-kind/level/result counts are built from enums)."""

    GRADE = "grade"
    TENURE_DAYS = "tenure_days"
    DECLARED_INTEREST = "declared_interest"
    N_RECORDS = "n_records"
    WEIGHTED_RECORDS = "weighted_records"
    BEST_RESULT = "best_result"
    BEST_LEVEL_PRIZE = "best_level_prize"
    MAX_LEVEL = "max_level"
    N_RECENT = "n_recent_365d"
    RECENCY_ACTIVITY = "recency_activity"
    DAYS_SINCE_LAST = "days_since_last"
    DAYS_SINCE_FIRST = "days_since_first"
    PERF_MEAN = "perf_mean"
    PERF_MAX = "perf_max"
    PERF_RECENT = "perf_recent_mean"
    PERF_TREND = "perf_trend"
    PERF_WEIGHTED = "perf_weighted"
    VERIFIED_SHARE = "verified_share"
    N_REJECTED = "n_rejected"
    TEAM_SHARE = "team_share"
    N_DIRECTIONS = "n_directions_active"
    DIRECTION_SHARE = "direction_share"
    ALL_RECORDS = "all_records"
    DIFFICULTY_MEAN = "difficulty_mean"
    DIFFICULTY_MAX = "difficulty_max"
    DIFFICULTY_PRIZE_MAX = "difficulty_prize_max"
    ABILITY = "ability"
    ABILITY_SE = "ability_se"
    ABILITY_Z = "ability_z"
    ABILITY_OTHER = "ability_other_mean"
    RATING_POINTS_CURRENT = "rating_points_current"
    RATING_SCORE_CURRENT = "rating_score_current"
    RATING_POINTS_PREVIOUS = "rating_points_previous"
    RATING_SCORE_PREVIOUS = "rating_score_previous"

    @staticmethod
    def kind(kind: str) -> str:
        return f"n_kind_{kind}"

    @staticmethod
    def level(level: str) -> str:
        return f"n_level_{level}"

    @staticmethod
    def result(result: str) -> str:
        return f"n_result_{result}"


RATING_COLUMNS: Final[tuple[str, ...]] = (
    Feat.RATING_POINTS_CURRENT,
    Feat.RATING_SCORE_CURRENT,
    Feat.RATING_POINTS_PREVIOUS,
    Feat.RATING_SCORE_PREVIOUS,
)
"""Columns of the optional rating frame passed to the feature function (with the keys)."""

FEATURES: Final[tuple[FeatureSpec, ...]] = (
    _f(Feat.GRADE, "school grade at the cut-off", "класс"),
    _f(Feat.TENURE_DAYS, "days since registration on the platform", "стаж на платформе (дней)"),
    _f(
        Feat.DECLARED_INTEREST,
        "1 if the participant declared interest in the direction",
        "заявленный интерес к направлению",
    ),
    _f(Feat.N_RECORDS, "records (non-rejected) in the direction", "число достижений в направлении"),
    _f(
        Feat.WEIGHTED_RECORDS,
        "records weighted by the activity's direction weight",
        "число достижений с учётом веса направления",
    ),
    *(
        _f(Feat.kind(k), f"weighted records of kind {k}", f"достижения: {RU_LABELS[k]}")
        for k in ActivityKind
    ),
    *(
        _f(
            Feat.level(lv),
            f"weighted records at level {lv}",
            f"достижения уровня «{RU_LABELS[lv]}»",
        )
        for lv in Level
    ),
    *(
        _f(Feat.result(r), f"weighted records with result {r}", f"результат «{RU_LABELS[r]}»")
        for r in Result
    ),
    _f(
        Feat.BEST_RESULT,
        "best result: 5 winner .. 0 not completed; -1 without records",
        "лучший результат",
    ),
    _f(
        Feat.BEST_LEVEL_PRIZE,
        "highest level (0 school .. 4 international) of a win or prize; -1 none",
        "наивысший уровень победы или призового места",
    ),
    _f(Feat.MAX_LEVEL, "highest level of any record; -1 none", "наивысший уровень мероприятия"),
    _f(Feat.N_RECENT, "records in the last 365 days", "достижения за последний год"),
    _f(
        Feat.RECENCY_ACTIVITY,
        "sum of direction weights x exp(-age / 180 days)",
        "недавняя активность",
    ),
    _f(
        Feat.DAYS_SINCE_LAST,
        "days since the latest record (NaN without records)",
        "дней с последнего достижения",
    ),
    _f(
        Feat.DAYS_SINCE_FIRST,
        "days since the first record (NaN without records)",
        "дней с первого достижения",
    ),
    _f(
        Feat.PERF_MEAN,
        "mean performance (score percentile in the activity, or result mid-rank)",
        "средний процентиль результатов",
    ),
    _f(Feat.PERF_MAX, "best performance", "лучший процентиль результата"),
    _f(Feat.PERF_RECENT, "mean performance in the last 365 days", "средний процентиль за год"),
    _f(
        Feat.PERF_TREND,
        "mean performance in the last 365 days minus before",
        "динамика результатов",
    ),
    _f(
        Feat.PERF_WEIGHTED, "recency-weighted mean performance", "взвешенный по давности процентиль"
    ),
    _f(
        Feat.VERIFIED_SHARE,
        "share of records verified by moderators (NaN without records)",
        "доля подтверждённых достижений",
    ),
    _f(Feat.N_REJECTED, "records rejected by moderators", "отклонённые достижения"),
    _f(Feat.TEAM_SHARE, "share of records from team activities", "доля командных результатов"),
    _f(
        Feat.N_DIRECTIONS, "directions with at least one record", "число направлений с достижениями"
    ),
    _f(
        Feat.DIRECTION_SHARE,
        "share of the participant's weighted records in this direction",
        "доля направления в активности",
    ),
    _f(Feat.ALL_RECORDS, "records in all directions", "всего достижений"),
    _f(
        Feat.DIFFICULTY_MEAN,
        "mean calibrated difficulty of the activities entered",
        "средняя сложность мероприятий",
    ),
    _f(
        Feat.DIFFICULTY_MAX,
        "highest calibrated difficulty entered",
        "наибольшая сложность мероприятия",
    ),
    _f(
        Feat.DIFFICULTY_PRIZE_MAX,
        "highest calibrated difficulty with a win or prize",
        "наибольшая сложность мероприятия с победой или призом",
    ),
    _f(
        Feat.ABILITY,
        "calibrated ability (graded response model, logits)",
        "калиброванная способность",
    ),
    _f(Feat.ABILITY_SE, "standard error of the ability", "неопределённость способности"),
    _f(
        Feat.ABILITY_Z, "(ability - grade prior mean) / prior sd", "способность относительно класса"
    ),
    _f(
        Feat.ABILITY_OTHER,
        "mean ability in the other directions",
        "способности в других направлениях",
    ),
    _f(
        Feat.RATING_POINTS_CURRENT,
        "rating raw points, season of the cut-off so far (NaN if none)",
        "баллы рейтинга текущего сезона",
    ),
    _f(
        Feat.RATING_SCORE_CURRENT,
        "rating score 0-100, season of the cut-off so far",
        "оценка рейтинга текущего сезона",
    ),
    _f(
        Feat.RATING_POINTS_PREVIOUS,
        "rating raw points, previous season",
        "баллы рейтинга прошлого сезона",
    ),
    _f(
        Feat.RATING_SCORE_PREVIOUS,
        "rating score 0-100, previous season",
        "оценка рейтинга прошлого сезона",
    ),
)

FEATURE_NAMES: Final[tuple[str, ...]] = tuple(f.name for f in FEATURES)
BY_NAME: Final[dict[str, FeatureSpec]] = {f.name: f for f in FEATURES}


def schema_records() -> list[dict[str, str]]:
    """The schema as plain records (for JSON files and MLflow)."""
    return [asdict(f) for f in FEATURES]


def schema_hash(names: tuple[str, ...] = FEATURE_NAMES) -> str:
    """Short hash of the names and dtypes in order: equal hashes mean compatible frames."""
    payload = json.dumps([[n, BY_NAME[n].dtype] for n in names])
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def check_features(frame: pd.DataFrame, names: tuple[str, ...] = FEATURE_NAMES) -> None:
    """Raise :class:`FeatureSchemaError` unless ``frame`` has the keys and ``names`` (with dtypes).

    Extra columns are allowed (they are ignored by the models); a missing or retyped one is not.
    """
    missing = [c for c in (*KEYS, *names) if c not in frame.columns]
    if missing:
        raise FeatureSchemaError(
            f"feature frame lacks {missing}; recompute the features with "
            "features.participant.participant_features"
        )
    dtypes = frame.dtypes
    wrong = [
        f"{n}: {dtypes[n]} (expected {BY_NAME[n].dtype})"
        for n in names
        if str(dtypes[n]) != BY_NAME[n].dtype
    ]
    if wrong:
        raise FeatureSchemaError(f"feature dtypes differ from the schema: {'; '.join(wrong)}")
