"""LightGBM per direction: the following window's ability, reported on 0-100 with an interval.

Per direction the model learns ``E[label | features]`` where the label is the ability a
participant shows in the window after the cut-off (:mod:`training.competence.labels`), with the
calibrated
ability among the features. The prediction is a value on the logit scale; it is reported as a
competence on 0-100 through a *reference distribution*: the population's predicted values each
blurred by its own uncertainty, i.e. an estimate of how the competence itself is spread in the
population. ``competence = 100 x F_ref(value)``, so a competence of 80 means "above about 80% of
the participants", and the true competence mapped the same way (its population percentile) is
what the interval should contain.

The interval is ``F_ref(value -+ z sd)`` with ``sd = beta x ability_se``: the calibration's
posterior standard error says how uncertain the participant's competence is (few records,
conflicting results, no records at all), and ``beta``, the slope of the predicted value on the
calibrated ability over the population, converts it from ability units into the units of the
value. (A held-out residual check, ``residual_scale``, is kept as a diagnostic: residuals against
the next window's noisy label mostly measure the label's noise, which made it a poor estimator of
the width on the simulator.)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy.stats import norm, spearmanr

from core.logs import get_logger
from features.schema import FEATURE_NAMES, KEYS, Feat, check_features
from models.competence.base import Estimator
from models.competence.columns import CompetenceColumns as CC
from models.competence.config import Bands, CompetenceConfig
from models.competence.dataset import CompetenceDataset

log = get_logger(__name__)
PARALLEL_PREDICT_ROWS = 5_000

PREDICTION_COLUMNS: tuple[str, ...] = (
    KEYS[0],
    KEYS[1],
    CC.COMPETENCE,
    CC.LOWER,
    CC.UPPER,
    CC.LEVEL,
    CC.LEVEL_TITLE,
    CC.COLD_START,
    CC.N_RECORDS,
    CC.VALUE,
    CC.VALUE_SD,
)
REFERENCE_POINTS = 2001
K_BOUNDS = (0.05, 4.0)
MIN_TRAIN_ROWS = 30


@dataclass(frozen=True)
class DirectionFit:
    """What the model keeps per direction."""

    booster: lgb.Booster
    variance_scale: float
    residual_scale: float
    reference: np.ndarray
    fallback_se: float
    n_train: int
    rating_reference: np.ndarray | None
    ability_only: bool = False
    """True when LightGBM did not beat the calibrated ability on the held-out participants: the
    value is then ``ability_map[0] + ability_map[1] x ability`` (the same scale, intervals and
    evidence machinery), so a stage that adds nothing is not served."""
    ability_map: tuple[float, float] = (0.0, 1.0)
    ability_mean: float = 0.0
    holdout_spearman: tuple[float, float] = (float("nan"), float("nan"))
    """(LightGBM, calibrated ability) Spearman with the label on the held-out participants."""
    other_map: tuple[float, float] | None = None
    """For rows without records in the direction but with records in others: ``a + b x
    ability_other_mean`` when that beat LightGBM on such held-out participants, else None."""
    other_spearman: tuple[float, float] = (float("nan"), float("nan"))
    """(LightGBM, mean ability in the other directions) Spearman on those held-out rows."""

    @property
    def estimator(self) -> str:
        return "ability" if self.ability_only else "lightgbm"


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3 or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
        return float("nan")
    return float(spearmanr(x[ok], y[ok]).statistic)


def band_of(competence: np.ndarray, bands: Bands) -> np.ndarray:
    """Index of the band each competence falls in."""
    lowers = np.array([b.lower for b in bands.band])
    return np.clip(np.searchsorted(lowers, competence, side="right") - 1, 0, len(lowers) - 1)


def _holdout_mask(ids: pd.Series, share: float, seed: int) -> np.ndarray:
    """A participant-level split that does not depend on row order or other participants."""
    hashed = pd.util.hash_pandas_object(
        ids.astype("object").reset_index(drop=True), index=False, hash_key=f"{seed:016d}"
    )
    return (hashed.to_numpy(np.uint64) % np.uint64(10_000)) < np.uint64(int(share * 10_000))


def best_rating_score(features: pd.DataFrame) -> np.ndarray:
    """The better of the current and previous season's rating score (NaN when unrated)."""
    both = features[[Feat.RATING_SCORE_CURRENT, Feat.RATING_SCORE_PREVIOUS]].to_numpy(np.float64)
    out = np.full(len(both), np.nan)
    rated = ~np.isnan(both).all(axis=1)
    out[rated] = np.nanmax(both[rated], axis=1)
    return out


def _rating_reference(features: pd.DataFrame) -> np.ndarray | None:
    score = best_rating_score(features)
    score = score[~np.isnan(score)]
    return np.quantile(score, np.linspace(0, 1, 101)) if len(score) >= 10 else None


class CompetenceModel(Estimator[CompetenceConfig]):
    """Competence per direction (LightGBM) with intervals and level bands.

    Fitted attributes: ``fits_`` (direction -> :class:`DirectionFit`), ``features_`` (the
    feature names in training order), ``directions_``.
    """

    config_class: ClassVar = CompetenceConfig

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(self.config.features) if self.config.features else FEATURE_NAMES

    def _booster_params(self) -> dict[str, Any]:
        b = self.config.booster
        return {
            "objective": "regression",
            "learning_rate": b.learning_rate,
            "num_leaves": b.num_leaves,
            "min_data_in_leaf": b.min_child_samples,
            "bagging_fraction": b.subsample,
            "bagging_freq": 1 if b.subsample < 1 else 0,
            "feature_fraction": b.colsample_bytree,
            "lambda_l2": b.reg_lambda,
            "num_threads": b.n_jobs,
            "seed": self.config.seed,
            "verbosity": -1,
            "deterministic": True,
            "force_row_wise": True,
        }

    def _train(self, x: np.ndarray, y: np.ndarray, w: np.ndarray) -> lgb.Booster:
        data = lgb.Dataset(
            x, y, weight=w, feature_name=list(self.feature_names), free_raw_data=True
        )
        return lgb.train(
            self._booster_params(), data, num_boost_round=self.config.booster.n_estimators
        )

    def _fit(self, data: CompetenceDataset) -> None:
        started = time.perf_counter()
        names = self.feature_names
        fits: dict[str, DirectionFit] = {}
        directions = tuple(pd.unique(data.features[KEYS[1]].astype("object")))
        for direction in directions:
            part = data.direction(direction)
            x_all = part.features[list(names)].to_numpy(np.float64)
            y = part.labels[CC.LABEL].to_numpy(np.float64)
            se_y = part.labels[CC.LABEL_SE].to_numpy(np.float64)
            labelled = ~np.isnan(y)
            if labelled.sum() < MIN_TRAIN_ROWS:
                log.warning(
                    "direction skipped: too few labelled rows",
                    direction=direction,
                    rows=int(labelled.sum()),
                )
                continue
            se_x = part.features[Feat.ABILITY_SE].to_numpy(np.float64)
            fallback_se = (
                float(np.nanmedian(se_x[part.features[Feat.N_RECORDS] == 0]))
                if (part.features[Feat.N_RECORDS] == 0).any()
                else 1.0
            )
            fallback_se = fallback_se if np.isfinite(fallback_se) else 1.0
            se_x = np.where(np.isnan(se_x), fallback_se, se_x)
            weight = 1.0 / (np.nan_to_num(se_y, nan=1.0) ** 2 + 0.5)
            hold = (
                _holdout_mask(part.features[KEYS[0]], self.config.holdout_share, self.config.seed)
                & labelled
            )
            train = labelled & ~hold
            residual_scale = float("nan")
            theta = part.features[Feat.ABILITY].to_numpy(np.float64)
            rho = (float("nan"), float("nan"))
            if hold.sum() >= MIN_TRAIN_ROWS and train.sum() >= MIN_TRAIN_ROWS:
                probe = self._train(x_all[train], y[train], weight[train])
                pred_hold = probe.predict(x_all[hold], num_threads=self.config.booster.n_jobs)
                resid = y[hold] - pred_hold
                excess = float(np.mean(resid**2) - np.mean(se_y[hold] ** 2))
                residual_scale = excess / float(np.mean(se_x[hold] ** 2))
                rho = (
                    _spearman(np.asarray(pred_hold, np.float64), y[hold]),
                    _spearman(theta[hold], y[hold]),
                )
            ability_only = (
                self.config.ability_fallback
                and Feat.ABILITY in names
                and np.isfinite(rho[1])
                and not rho[0] > rho[1] + self.config.min_gain
            )
            booster = self._train(x_all[labelled], y[labelled], weight[labelled])
            ok_l = labelled & np.isfinite(theta)
            slope, intercept = (
                np.polyfit(theta[ok_l], y[ok_l], 1, w=np.sqrt(weight[ok_l]))
                if ok_l.sum() > 2
                else (1.0, 0.0)
            )
            theta_mean = float(np.nanmean(theta)) if np.isfinite(theta).any() else 0.0
            if ability_only:
                value = intercept + slope * np.nan_to_num(theta, nan=theta_mean)
                log.info(
                    "direction serves the calibrated ability: LightGBM did not beat it on "
                    "the held-out participants",
                    direction=direction,
                    spearman_lightgbm=round(rho[0], 4),
                    spearman_ability=round(rho[1], 4),
                )
            else:
                value = np.asarray(booster.predict(x_all, num_threads=self.config.booster.n_jobs))
            other_map, other_rho = None, (float("nan"), float("nan"))
            elsewhere = self._elsewhere(x_all)
            if (
                elsewhere is not None
                and hold.sum() >= MIN_TRAIN_ROWS
                and train.sum() >= MIN_TRAIN_ROWS
            ):
                other = x_all[:, names.index(Feat.ABILITY_OTHER)]
                hm = elsewhere[hold] & np.isfinite(other[hold])
                if hm.sum() >= MIN_TRAIN_ROWS:
                    src = pred_hold if not ability_only else theta[hold]
                    other_rho = (
                        _spearman(src[hm], y[hold][hm]),
                        _spearman(other[hold][hm], y[hold][hm]),
                    )
                    lab = labelled & elsewhere & np.isfinite(other)
                    if other_rho[1] > other_rho[0] and lab.sum() > 2:
                        b, a = np.polyfit(other[lab], y[lab], 1, w=np.sqrt(weight[lab]))
                        other_map = (float(a), float(b))
                        value = np.where(elsewhere & np.isfinite(other), a + b * other, value)
                        log.info(
                            "rows without records in the direction follow the other "
                            "directions' ability",
                            direction=direction,
                            spearman_model=round(other_rho[0], 4),
                            spearman_other=round(other_rho[1], 4),
                        )
            ok = np.isfinite(theta)
            beta = (
                float(np.cov(value[ok], theta[ok])[0, 1] / max(np.var(theta[ok]), 1e-9))
                if ok.sum() > 2
                else 1.0
            )
            scale = float(np.clip(beta**2, *K_BOUNDS))
            sd = np.sqrt(scale) * se_x
            rng = np.random.default_rng(self.config.seed)
            draws = (
                value[:, None]
                + sd[:, None] * rng.standard_normal((len(value), self.config.reference_draws))
            ).ravel()
            reference = np.quantile(draws, np.linspace(0, 1, REFERENCE_POINTS))
            fits[direction] = DirectionFit(
                booster,
                scale,
                residual_scale,
                reference,
                fallback_se,
                int(labelled.sum()),
                _rating_reference(part.features),
                bool(ability_only),
                (float(intercept), float(slope)),
                theta_mean,
                rho,
                other_map,
                other_rho,
            )
            log.info(
                "competence direction fitted",
                direction=direction,
                labelled=int(labelled.sum()),
                rows=len(value),
                variance_scale=round(scale, 3),
                residual_scale=round(residual_scale, 3),
            )
        self.fits_ = fits
        self.features_ = names
        self.directions_ = tuple(fits)
        log.info(
            "competence model fitted",
            directions=len(fits),
            seconds=round(time.perf_counter() - started, 2),
        )

    def to_scale(self, direction: str, value: np.ndarray) -> np.ndarray:
        """Values (logits) onto 0-100 through the direction's reference distribution."""
        ref = self.fits_[direction].reference
        return 100.0 * np.interp(value, ref, np.linspace(0, 1, len(ref)))

    def rating_percentile(self, direction: str, features: pd.DataFrame) -> np.ndarray:
        """The rule-based rating of each row as a percentile (0-100) among rated participants at
        training time; NaN for unrated rows or when the model saw too few ratings."""
        ref = self.fits_[direction].rating_reference
        score = best_rating_score(features)
        if ref is None:
            return np.full(len(score), np.nan)
        # mid-rank among ties (many participants share the same capped score)
        lo = np.searchsorted(ref, score, "left")
        hi = np.searchsorted(ref, score, "right")
        pct = 100.0 * (lo + hi) / 2 / len(ref)
        return np.where(np.isnan(score), np.nan, pct)

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        """Estimates for feature rows (any directions the model knows; others are dropped).

        Returns
        -------
        pandas.DataFrame
            :data:`PREDICTION_COLUMNS`, one row per input row of a known direction, input order.
        """
        self.check_fitted()
        check_features(features, self.features_)
        z = float(norm.ppf(0.5 + self.config.interval_level / 2))
        dir_col = features[KEYS[1]].to_numpy(dtype=object)
        keep = np.isin(dir_col, np.asarray(self.directions_, dtype=object))
        x = features[list(self.features_)].to_numpy(np.float64)[keep]
        dirs = dir_col[keep]
        se_x = features[Feat.ABILITY_SE].to_numpy(np.float64)[keep]
        value = np.empty(len(x))
        sd = np.empty(len(x))
        comp, lower, upper = np.empty(len(x)), np.empty(len(x)), np.empty(len(x))
        for direction, fit in self.fits_.items():
            m = dirs == direction
            if not m.any():
                continue
            value[m] = self._value(fit, x[m])
            sd[m] = np.sqrt(fit.variance_scale) * np.where(
                np.isnan(se_x[m]), fit.fallback_se, se_x[m]
            )
            comp[m] = self.to_scale(direction, value[m])
            lower[m] = self.to_scale(direction, value[m] - z * sd[m])
            upper[m] = self.to_scale(direction, value[m] + z * sd[m])
        bands = self.config.bands.band
        band = band_of(comp, self.config.bands)
        n_rec = features[Feat.N_RECORDS].to_numpy(np.float64)[keep]
        return pd.DataFrame(
            {
                KEYS[0]: pd.array(features[KEYS[0]].to_numpy(dtype=object)[keep], dtype="string"),
                KEYS[1]: pd.array(dirs, dtype="string"),
                CC.COMPETENCE: comp,
                CC.LOWER: lower,
                CC.UPPER: upper,
                CC.LEVEL: pd.array(
                    np.asarray([b.code for b in bands], dtype=object)[band], dtype="string"
                ),
                CC.LEVEL_TITLE: pd.array(
                    np.asarray([b.title_ru for b in bands], dtype=object)[band], dtype="string"
                ),
                CC.COLD_START: n_rec == 0,
                CC.N_RECORDS: n_rec.astype(np.int64),
                CC.VALUE: value,
                CC.VALUE_SD: sd,
            },
            columns=list(PREDICTION_COLUMNS),
        )

    def contributions(self, features: pd.DataFrame, direction: str) -> np.ndarray:
        """LightGBM per-row contributions (rows x features, plus the bias in the last column),
        on the logit scale, for feature rows of one direction."""
        self.check_fitted()
        return self.contributions_of(features[list(self.features_)].to_numpy(np.float64), direction)

    def contributions_of(self, x: np.ndarray, direction: str) -> np.ndarray:
        """:meth:`contributions` for a matrix already in ``features_`` order (a direction that
        serves the calibrated ability has one contribution, the ability's, and the bias)."""
        self.check_fitted()
        fit = self.fits_[direction]
        if fit.ability_only:
            out = np.zeros((len(x), len(self.features_) + 1))
            j = self.features_.index(Feat.ABILITY)
            a, b = fit.ability_map
            out[:, j] = b * (np.nan_to_num(x[:, j], nan=fit.ability_mean) - fit.ability_mean)
            out[:, -1] = a + b * fit.ability_mean
        else:
            out = np.asarray(
                fit.booster.predict(x, pred_contrib=True, num_threads=self._threads(len(x)))
            )
        rows = self._other_rows(fit, x)
        if rows.any():  # these rows' value is a line in the other directions' ability
            assert fit.other_map is not None
            a, b = fit.other_map
            out = out.copy()
            out[rows] = 0.0
            out[rows, self.features_.index(Feat.ABILITY_OTHER)] = (
                b * x[rows, self.features_.index(Feat.ABILITY_OTHER)]
            )
            out[rows, -1] = a
        return out

    def _elsewhere(self, x: np.ndarray) -> np.ndarray | None:
        """Rows with no record in the direction and records in another (None when the features
        needed to tell are not used)."""
        names = self.feature_names
        if not {Feat.N_RECORDS, Feat.N_DIRECTIONS, Feat.ABILITY_OTHER} <= set(names):
            return None
        n_own = np.nan_to_num(x[:, names.index(Feat.N_RECORDS)], nan=0.0)
        n_dirs = np.nan_to_num(x[:, names.index(Feat.N_DIRECTIONS)], nan=0.0)
        return (n_own == 0) & (n_dirs > 0)

    def _other_rows(self, fit: DirectionFit, x: np.ndarray) -> np.ndarray:
        if fit.other_map is None:
            return np.zeros(len(x), bool)
        elsewhere = self._elsewhere(x)
        other = x[:, self.features_.index(Feat.ABILITY_OTHER)]
        return np.zeros(len(x), bool) if elsewhere is None else elsewhere & np.isfinite(other)

    def _value(self, fit: DirectionFit, x: np.ndarray) -> np.ndarray:
        if fit.ability_only:
            theta = x[:, self.features_.index(Feat.ABILITY)]
            a, b = fit.ability_map
            value = a + b * np.nan_to_num(theta, nan=fit.ability_mean)
        else:
            value = np.asarray(fit.booster.predict(x, num_threads=self._threads(len(x))))
        rows = self._other_rows(fit, x)
        if rows.any():
            assert fit.other_map is not None
            a, b = fit.other_map
            value = np.where(rows, a + b * x[:, self.features_.index(Feat.ABILITY_OTHER)], value)
        return value

    @property
    def estimators(self) -> dict[str, str]:
        """What each direction serves: ``lightgbm`` or ``ability`` (the calibrated ability)."""
        self.check_fitted()
        return {d: f.estimator for d, f in self.fits_.items()}

    def _threads(self, rows: int) -> int:
        """Threads for predicting ``rows`` rows: one for the service's small requests (starting
        threads costs more than it saves there), ``booster.n_jobs`` for batches."""
        return self.config.booster.n_jobs if rows >= PARALLEL_PREDICT_ROWS else 1
