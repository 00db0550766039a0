"""Review flags: which estimates a moderator should look at, and why (stable codes + Russian)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from features.schema import KEYS, Feat
from models.competence.codes import FLAG_TEXT_RU, FlagCode
from models.competence.columns import CompetenceColumns as CC
from models.competence.config import FlagConfig

Flag = dict[str, Any]


def _flag(code: FlagCode, **params: Any) -> Flag:
    return {"code": code.value, "params": params, "text_ru": FLAG_TEXT_RU[code].format(**params)}


def review_flags(
    predictions: pd.DataFrame,
    features: pd.DataFrame,
    config: FlagConfig,
    rating_percentile: np.ndarray,
    previous: pd.DataFrame | None = None,
    diploma_gap: np.ndarray | None = None,
) -> list[list[Flag]]:
    """Flags of each prediction row (aligned by position with ``features``).

    Parameters
    ----------
    predictions
        Output of :meth:`~models.competence.model.CompetenceModel.predict`.
    features
        The feature rows the predictions came from (same order).
    config
        Thresholds.
    rating_percentile
        The rule-based rating of each row as a percentile among rated participants (NaN: unrated).
    previous
        Earlier estimates (``participant_id, direction, competence``) to detect large changes.
    diploma_gap
        Places to the nearest diploma boundary of the current season's rating (NaN: unrated).
    """
    comp = predictions[CC.COMPETENCE].to_numpy(np.float64)
    lower = predictions[CC.LOWER].to_numpy(np.float64)
    upper = predictions[CC.UPPER].to_numpy(np.float64)
    cold = predictions[CC.COLD_START].to_numpy(bool)
    verified = features[Feat.VERIFIED_SHARE].to_numpy(np.float64)
    elsewhere = np.nan_to_num(features[Feat.N_DIRECTIONS].to_numpy(np.float64), nan=0.0)
    n_records = np.nan_to_num(features[Feat.N_RECORDS].to_numpy(np.float64), nan=0.0)
    results = 100.0 * features[Feat.PERF_MEAN].to_numpy(np.float64)
    gap = np.full(len(comp), np.nan) if diploma_gap is None else np.asarray(diploma_gap, float)
    before = np.full(len(comp), np.nan)
    if previous is not None and not previous.empty:
        prev = previous.set_index(
            [previous[KEYS[0]].astype("object"), previous[KEYS[1]].astype("object")]
        )[CC.COMPETENCE]
        prev = prev[~prev.index.duplicated(keep="last")]
        key = pd.MultiIndex.from_arrays(
            [predictions[KEYS[0]].astype("object"), predictions[KEYS[1]].astype("object")]
        )
        before = prev.reindex(key).to_numpy(np.float64, na_value=np.nan)
    out: list[list[Flag]] = []
    for i in range(len(comp)):
        flags: list[Flag] = []
        if cold[i]:
            flags.append(_flag(FlagCode.COLD_START))
            if elsewhere[i] > 0:  # the estimate moves with the other directions' abilities
                flags.append(_flag(FlagCode.OTHER_DIRECTIONS, n_directions=int(elsewhere[i])))
        if upper[i] - lower[i] > config.wide_interval:
            flags.append(
                _flag(FlagCode.WIDE_INTERVAL, lower=float(lower[i]), upper=float(upper[i]))
            )
        if not np.isnan(before[i]) and abs(comp[i] - before[i]) > config.large_change:
            flags.append(_flag(FlagCode.LARGE_CHANGE, change=float(comp[i] - before[i])))
        rating = rating_percentile[i]
        if not np.isnan(rating) and abs(comp[i] - rating) > config.rating_disagreement:
            flags.append(
                _flag(FlagCode.RATING_DISAGREEMENT, competence=float(comp[i]), rating=float(rating))
            )
        if not cold[i] and not np.isnan(verified[i]) and verified[i] < config.unverified_share:
            flags.append(_flag(FlagCode.MOSTLY_UNVERIFIED, share=float(verified[i])))
        if (
            n_records[i] >= config.min_records_results
            and not np.isnan(results[i])
            and abs(comp[i] - results[i]) > config.results_disagreement
        ):
            flags.append(
                _flag(
                    FlagCode.FAR_FROM_RESULTS, competence=float(comp[i]), results=float(results[i])
                )
            )
        if n_records[i] == 1 and comp[i] >= config.single_record_from:
            flags.append(_flag(FlagCode.SINGLE_RECORD, competence=float(comp[i])))
        if not np.isnan(gap[i]) and gap[i] <= config.diploma_places:
            flags.append(_flag(FlagCode.DIPLOMA_BOUNDARY, gap=float(gap[i])))
        out.append(flags)
    return out
