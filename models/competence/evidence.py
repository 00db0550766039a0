"""Evidence behind an estimate: the features and the achievements that moved it most.

Features: LightGBM's per-row contributions (``pred_contrib``), the largest in absolute value.
Achievements: each record's effect on the calibrated ability, ``theta - theta_without_it``, by the
one-step (Newton) leave-one-out approximation ``w a (1 - F_lo - F_hi) / information``: exact
enough to rank records, and one vectorised pass for any number of participants.
Each item carries a stable code, its parameters and the default Russian sentence.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from features.activity_stats import KINDS, LEVELS, RESULTS, ActivityStats
from features.calibration import N_KINDS, Calibration
from features.irt import derivatives
from features.participant import ParticipantBlock
from features.schema import BY_NAME, KEYS, Feat
from footprint.columns import Columns as C
from footprint.enums import RESULT_RANK, RU_LABELS, Level, Result
from models.competence.codes import EVIDENCE_TEXT_RU, EvidenceCode
from models.competence.model import CompetenceModel

Item = dict[str, Any]


def _fmt(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "нет данных"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


_PERCENTILES = {Feat.PERF_MEAN, Feat.PERF_MAX, Feat.PERF_RECENT, Feat.PERF_WEIGHTED}
_SHARES = {Feat.VERIFIED_SHARE, Feat.TEAM_SHARE, Feat.DIRECTION_SHARE}
_DAYS = {Feat.TENURE_DAYS, Feat.DAYS_SINCE_LAST, Feat.DAYS_SINCE_FIRST}
_LOGITS = {
    Feat.ABILITY,
    Feat.ABILITY_OTHER,
    Feat.DIFFICULTY_MEAN,
    Feat.DIFFICULTY_MAX,
    Feat.DIFFICULTY_PRIZE_MAX,
}
_LEVELS = {Feat.BEST_LEVEL_PRIZE, Feat.MAX_LEVEL}
_RESULT_OF_SCORE = {5 - RESULT_RANK[r]: r for r in Result}
_LEVEL_OF_INDEX = dict(enumerate(Level))


def feature_value_ru(name: str, value: float | None) -> str:
    """A feature's value as a moderator reads it: with its unit, in plain Russian.

    Percentiles and shares (0-1) become percent, days say «дн.», abilities and difficulties (on
    the calibration's logit scale) say what 0 means, coded results and levels get their names.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "нет данных"
    v = float(value)
    if name in _PERCENTILES:
        return f"{100 * v:.0f} % участников мероприятия позади"
    if name == Feat.PERF_TREND:
        return f"{100 * v:+.0f} п. п. к прежним результатам"
    if name in _SHARES:
        return f"{100 * v:.0f} %"
    if name in _DAYS:
        return f"{v:.0f} дн."
    if name == Feat.GRADE:
        return f"{v:.0f} класс"
    if name == Feat.DECLARED_INTEREST:
        return "да" if v > 0 else "нет"
    if name == Feat.BEST_RESULT:
        result = _RESULT_OF_SCORE.get(round(v))
        return f"«{RU_LABELS[result]}»" if result is not None else "нет"
    if name in _LEVELS:
        level = _LEVEL_OF_INDEX.get(round(v))
        return f"«{RU_LABELS[level]}»" if level is not None else "нет"
    if name in _LOGITS:
        return f"{v:+.2f} (0 — средний уровень по шкале калибровки)"
    if name == Feat.ABILITY_SE:
        return f"±{v:.2f} по шкале калибровки"
    if name == Feat.ABILITY_Z:
        return f"{v:+.1f} стандартного отклонения от среднего для класса"
    if name in (Feat.RATING_SCORE_CURRENT, Feat.RATING_SCORE_PREVIOUS):
        return f"{v:.0f} из 100"
    if name in (Feat.RATING_POINTS_CURRENT, Feat.RATING_POINTS_PREVIOUS):
        return f"{v:.1f} балла"
    return _fmt(v)


def feature_evidence(model: CompetenceModel, features: pd.DataFrame, top: int) -> list[list[Item]]:
    """Top ``top`` feature contributions of each row (input order), largest first."""
    out: list[list[Item]] = [[] for _ in range(len(features))]
    dir_col = features[KEYS[1]].to_numpy(dtype=object)
    names = model.features_
    x = features[list(names)].to_numpy(np.float64)
    for direction in model.directions_:
        idx = np.flatnonzero(dir_col == direction)
        if len(idx) == 0:
            continue
        values = x[idx]
        contrib = model.contributions_of(values, direction)[:, :-1]
        order = np.argsort(-np.abs(contrib), axis=1)[:, :top]
        for r, i in enumerate(idx):
            items = []
            for j in order[r]:
                c = float(contrib[r, j])
                if c == 0.0:
                    continue
                code = EvidenceCode.FEATURE_RAISES if c > 0 else EvidenceCode.FEATURE_LOWERS
                spec = BY_NAME[names[j]]
                params = {
                    "feature": spec.name,
                    "label": spec.label_ru,
                    "value": feature_value_ru(spec.name, float(values[r, j])),
                }
                items.append(
                    {
                        "code": code.value,
                        "feature": spec.name,
                        "value": None if np.isnan(values[r, j]) else float(values[r, j]),
                        "contribution": round(c, 4),
                        "text_ru": EVIDENCE_TEXT_RU[code].format(**params),
                    }
                )
            out[i] = items
    return out


def achievement_evidence(
    achievements: pd.DataFrame,
    block: ParticipantBlock,
    stats: ActivityStats,
    calibration: Calibration,
    top: int,
) -> dict[tuple[str, str], list[Item]]:
    """The ``top`` records that moved each (participant, direction) ability most.

    Parameters
    ----------
    achievements
        The participants' records, as given to the feature function.
    block
        What :func:`features.participant.participant_block` computed from them (responses,
        abilities), so nothing is computed twice.
    stats
        Activity statistics carrying calibrated difficulties.
    calibration
        The calibration the features were computed with.
    """
    r, theta, se = block.responses, block.ability, block.ability_se
    pids = r.participant_ids
    kind_all = np.where(stats.kind_code < 0, N_KINDS - 1, stats.kind_code)
    effect = np.zeros(len(r))
    for d, fit in enumerate(calibration.fits):
        m = r.direction == d
        kind = kind_all[r.act[m]]
        a = fit.kinds.discrimination[kind]
        c_lo, c_hi = fit.kinds.bounds(kind, r.category[m])
        _, d1, _ = derivatives(
            a * (theta[r.person[m], d] - stats.difficulty[r.act[m], d]), c_lo, c_hi
        )
        effect[m] = r.weight[m] * a * d1 * se[r.person[m], d] ** 2
    ach_id = achievements[C.ACHIEVEMENT_ID].astype("object").to_numpy()
    achieved = achievements[C.ACHIEVED_AT].to_numpy("datetime64[D]")
    kind_code = stats.kind_code[r.act]
    level_code = stats.level_code[r.act]
    out: dict[tuple[str, str], list[Item]] = {}
    order = np.lexsort((-np.abs(effect), r.direction, r.person))
    for j in order:
        key = (str(pids[r.person[j]]), stats.directions[r.direction[j]])
        items = out.setdefault(key, [])
        if len(items) >= top or effect[j] == 0:
            continue
        code = EvidenceCode.ACHIEVEMENT_RAISES if effect[j] > 0 else EvidenceCode.ACHIEVEMENT_LOWERS
        result = RESULTS[r.result_code[j]] if r.result_code[j] >= 0 else ""
        params = {
            "result": RU_LABELS.get(result, result).capitalize(),
            "kind": RU_LABELS.get(KINDS[kind_code[j]], "") if kind_code[j] >= 0 else "",
            "level": RU_LABELS.get(LEVELS[level_code[j]], "") if level_code[j] >= 0 else "",
            "date": str(achieved[r.row[j]]),
        }
        items.append(
            {
                "code": code.value,
                "achievement_id": str(ach_id[r.row[j]]),
                "effect": round(float(effect[j]), 4),
                "params": params,
                "text_ru": EVIDENCE_TEXT_RU[code].format(**params),
            }
        )
    return out
