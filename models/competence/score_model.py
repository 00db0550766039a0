"""The next standardised result from earlier ones: the calibrated ability, ridge or LightGBM.

Three estimators of one target (the z of a participant's next result in a direction, on the
activity's scale) from :data:`features.score_features.SCORE_FEATURES`, in increasing complexity:

- ``ability``: the calibrated ability alone (the posterior mean with the correlated prior);
- ``ridge``: a ridge regression on the features (missing values as 0 plus an indicator);
- ``lightgbm``: gradient-boosted trees on the same features (missing values native).

Which one is served is chosen on a validation split cut from earlier time points
(:mod:`training.competence.score_evaluation`); the simpler one wins unless the complex one is better
by
``min_gain`` Spearman, so a stage that adds nothing is not served.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import lightgbm as lgb
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sklearn.linear_model import Ridge

from features.score_features import SCORE_FEATURES, ScoreFeat
from models.competence.base import Estimator

ScoreKind = Literal["ability", "ridge", "lightgbm"]
KINDS: tuple[ScoreKind, ...] = ("ability", "ridge", "lightgbm")


class ScoreModelConfig(BaseModel):
    """Settings of :class:`ScoreModel` (the validation step picks ``kind`` and ``decay``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ScoreKind = "lightgbm"
    decay: float = Field(0.0, ge=0)
    """Recency weight of earlier results: exp(-decay x time since), per unit of time."""
    ridge_alpha: float = Field(1.0, gt=0)
    n_estimators: int = Field(200, ge=1)
    learning_rate: float = Field(0.05, gt=0, le=1)
    num_leaves: int = Field(15, ge=2)
    min_child_samples: int = Field(50, ge=1)
    seed: int = 0


def _ridge_matrix(x: pd.DataFrame) -> np.ndarray:
    filled = x.to_numpy(np.float64, na_value=np.nan)
    missing = np.isnan(filled)
    has_own = (x[ScoreFeat.N_OWN].to_numpy(np.float64) > 0)[:, None]
    counts = np.log1p(x[[ScoreFeat.N_OWN, ScoreFeat.N_OTHER]].to_numpy(np.float64))
    return np.hstack([np.where(missing, 0.0, filled), missing.astype(float), has_own, counts])


class ScoreModel(Estimator[ScoreModelConfig]):
    """Fitted attributes: ``ridge_`` or ``booster_`` (none for ``ability``), ``kind_``."""

    config_class: ClassVar = ScoreModelConfig

    def _fit(self, data: tuple[pd.DataFrame, np.ndarray]) -> None:
        x, y = data
        cfg = self.config
        self.kind_ = cfg.kind
        if cfg.kind == "ridge":
            self.ridge_ = Ridge(alpha=cfg.ridge_alpha).fit(_ridge_matrix(x), y)
        elif cfg.kind == "lightgbm":
            params = {
                "objective": "regression",
                "learning_rate": cfg.learning_rate,
                "num_leaves": cfg.num_leaves,
                "min_data_in_leaf": cfg.min_child_samples,
                "num_threads": 1,
                "seed": cfg.seed,
                "verbosity": -1,
                "deterministic": True,
                "force_row_wise": True,
            }
            data_set = lgb.Dataset(
                x[list(SCORE_FEATURES)].to_numpy(np.float64), y, feature_name=list(SCORE_FEATURES)
            )
            self.booster_ = lgb.train(params, data_set, num_boost_round=cfg.n_estimators)

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        """Predicted z of the next result for each feature row."""
        self.check_fitted()
        if self.kind_ == "ridge":
            return np.asarray(self.ridge_.predict(_ridge_matrix(x)))
        if self.kind_ == "lightgbm":
            return np.asarray(
                self.booster_.predict(x[list(SCORE_FEATURES)].to_numpy(np.float64), num_threads=1)
            )
        return x[ScoreFeat.ABILITY].to_numpy(np.float64)
