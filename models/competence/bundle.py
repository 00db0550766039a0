"""What serving loads: activity statistics, calibration and competence model, with one ``estimate``.

The bundle runs the same code as training: :func:`features.participant.participant_features` on
the given participants' records with the stored global statistics, then the model, the evidence
and the flags. So an estimate computed online for one participant equals the batch one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from core.errors import TalentError
from features.activity_stats import ActivityStats
from features.calibration import Calibration
from features.participant import participant_block, participant_features
from features.schema import KEYS, SCHEMA_VERSION, schema_hash
from models.competence.columns import CompetenceColumns as CC
from models.competence.evidence import achievement_evidence, feature_evidence
from models.competence.flags import review_flags
from models.competence.model import CompetenceModel
from models.competence.predictive import NEXT_RESULT_COLUMNS, NextResultIntervals

BUNDLE_FORMAT = 1


def _per_row(frame: pd.DataFrame, items: list[Any]) -> pd.Series:
    """A column holding one Python object (a list of dicts) per row of ``frame``."""
    column = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    for i, value in enumerate(items):
        column.iat[i] = value
    return column


def _diploma_gap(rating: pd.DataFrame | None, pred: pd.DataFrame) -> np.ndarray | None:
    """The rating frame's places to a diploma boundary for each prediction row (or None)."""
    if rating is None or CC.DIPLOMA_GAP not in rating.columns:
        return None
    gap = rating.set_index([rating[KEYS[0]].astype("object"), rating[KEYS[1]].astype("object")])[
        CC.DIPLOMA_GAP
    ]
    gap = gap[~gap.index.duplicated(keep="last")]
    key = pd.MultiIndex.from_arrays(
        [pred[KEYS[0]].astype("object"), pred[KEYS[1]].astype("object")]
    )
    return gap.reindex(key).to_numpy(np.float64, na_value=np.nan)


@dataclass(frozen=True)
class CompetenceBundle:
    """Everything needed to estimate competence as of (or after) ``stats.as_of``.

    ``meta`` holds provenance: snapshot id, cut-offs, feature schema version and hash, model
    version, creation time. No participant rows are stored (statistics are per activity).
    """

    stats: ActivityStats
    calibration: Calibration
    model: CompetenceModel
    meta: dict[str, Any] = field(default_factory=dict)
    next_result: NextResultIntervals | None = None
    """Predictive intervals of the next year's result percentile (fitted on a held-out year);
    None in bundles trained before they existed (the columns are then NaN)."""

    @property
    def version(self) -> str:
        return str(self.meta.get("model_version", "unversioned"))

    def features(
        self,
        achievements: pd.DataFrame,
        participants: pd.DataFrame,
        as_of: dt.datetime | None = None,
        rating: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Feature rows of the given whole participants, with the bundle's statistics."""
        return participant_features(
            achievements,
            participants,
            self.stats,
            as_of or self.stats.as_of,
            self.calibration,
            rating,
        )

    def estimate(
        self,
        achievements: pd.DataFrame,
        participants: pd.DataFrame,
        as_of: dt.datetime | None = None,
        rating: pd.DataFrame | None = None,
        previous: pd.DataFrame | None = None,
        evidence: bool = True,
    ) -> pd.DataFrame:
        """Competence estimates of some whole participants, with evidence and review flags.

        Parameters
        ----------
        achievements, participants
            The participants' records and rows (snapshot frames, any subset of participants).
        as_of
            Cut-off; the bundle's when None (later cut-offs use the stored statistics as they are).
        rating
            Rating features (:func:`models.competence.rating_features.rating_frame` or stored).
        previous
            Earlier estimates, to flag large changes.
        evidence
            Add ``top_features`` and ``top_achievements`` (lists of dicts with codes and text).

        Returns
        -------
        pandas.DataFrame
            The model's prediction columns, ``model_version``, the predictive interval of the
            next year's result percentile (``next_result``, ``next_result_lower``,
            ``next_result_upper``), ``flags`` and (with evidence) the two evidence columns.
        """
        as_of = as_of or self.stats.as_of
        block = participant_block(
            achievements, participants, self.stats, as_of, self.calibration, rating
        )
        feats = block.frame
        pred = self.model.predict(feats)
        pred[CC.MODEL_VERSION] = self.version
        intervals = getattr(self, "next_result", None)  # bundles pickled before the field
        if intervals is not None:
            pred[list(NEXT_RESULT_COLUMNS)] = intervals.apply(pred)
        else:
            pred[list(NEXT_RESULT_COLUMNS)] = np.nan
        in_model = np.isin(
            feats[KEYS[1]].to_numpy(dtype=object), np.asarray(self.model.directions_, dtype=object)
        )
        known = feats[in_model].reset_index(drop=True) if not in_model.all() else feats
        rating_pct = np.full(len(known), np.nan)
        known_dirs = known[KEYS[1]].to_numpy(dtype=object)
        for direction in self.model.directions_:
            mask = known_dirs == direction
            if mask.any():
                rating_pct[mask] = self.model.rating_percentile(direction, known)[mask]
        flags = review_flags(
            pred, known, self.model.config.flags, rating_pct, previous, _diploma_gap(rating, pred)
        )
        pred[CC.FLAGS] = _per_row(pred, flags)
        if evidence:
            pred[CC.TOP_FEATURES] = _per_row(
                pred, feature_evidence(self.model, known, self.model.config.top_features)
            )
            by_key = achievement_evidence(
                achievements,
                block,
                self.stats,
                self.calibration,
                self.model.config.top_achievements,
            )
            pred[CC.TOP_ACHIEVEMENTS] = _per_row(
                pred,
                [
                    by_key.get((str(p), str(d)), [])
                    for p, d in zip(pred[KEYS[0]], pred[KEYS[1]], strict=True)
                ],
            )
        return pred

    def save(self, path: Path | str) -> Path:
        """Write the bundle (joblib, compressed)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump({"format": BUNDLE_FORMAT, "bundle": self}, path, compress=3)
        return path

    @classmethod
    def load(cls, path: Path | str) -> CompetenceBundle:
        """Read a bundle; refuses other formats and feature schemas this code cannot serve."""
        path = Path(path)
        if not path.is_file():
            raise TalentError(
                f"competence bundle {path} does not exist; train one with `talent train competence`"
            )
        payload = joblib.load(path)
        if not isinstance(payload, dict) or payload.get("format") != BUNDLE_FORMAT:
            raise TalentError(f"{path} is not a competence bundle of format {BUNDLE_FORMAT}")
        bundle: CompetenceBundle = payload["bundle"]
        meta = bundle.meta
        if meta.get("schema_version") != SCHEMA_VERSION or meta.get("schema_hash") != schema_hash(
            bundle.model.features_
        ):
            raise TalentError(f"{path} was trained with another feature schema; retrain it")
        return bundle
