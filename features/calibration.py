"""Calibration on one scale: a graded response model per direction, fitted by maximum likelihood.

Every activity gets a difficulty and every participant an ability on one logit scale per
direction, from the ordinal categories of their performances (:mod:`features.responses`), so a
prize at a national final and a win at a school contest land on the same ruler: the final's
difficulty is high because the participants who enter it are strong elsewhere.

The model is :mod:`features.irt`'s graded response model. It is fitted by penalised joint maximum
likelihood with alternating vectorised Newton steps (abilities, then difficulties) and L-BFGS on
the few per-kind parameters (discrimination, thresholds), using a subsample of responses for
those. Abilities have a normal prior whose mean depends on the grade (empirical Bayes, refitted
each round) so a participant with one record is shrunk toward their grade rather than given false
confidence; difficulties have a normal prior around the mean of their kind and level.

Once fitted, :meth:`Calibration.abilities` computes any participants' abilities with the item
parameters fixed: the same function the fit uses for its ability step, so batch and online agree.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy.optimize import minimize

from core.logs import get_logger
from features.activity_stats import KINDS, LEVELS, ActivityStats
from features.irt import (
    KindParams,
    derivatives,
    kind_objective,
    newton_abilities,
    pack,
    unpack,
)
from features.responses import ResponseConfig, Responses
from footprint.columns import Columns as C

log = get_logger(__name__)

N_KINDS = len(KINDS) + 1  # the last code stands for an unknown kind
N_LEVELS = len(LEVELS) + 1
MAX_GRADE = 13  # grades 0..12 index the prior table; 12 means "left school"


class CalibrationConfig(BaseModel):
    """Settings of the per-direction fit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    responses: ResponseConfig = ResponseConfig()
    n_iter: int = Field(40, ge=1, le=500)
    """Outer rounds (ability step, difficulty step, kind step, prior update)."""
    kind_step_every: int = Field(5, ge=1)
    kind_sample: int = Field(100_000, ge=1_000)
    """Responses drawn (seeded) to fit the per-kind parameters; all when fewer."""
    difficulty_prior_sd: float = Field(1.0, gt=0)
    """Spread of difficulties around the mean of their kind and level."""
    ability_sd: float = Field(1.0, gt=0)
    """Spread of abilities within a grade: it fixes the unit of the scale (the per-kind
    discriminations are estimated relative to it), as the latent variance does in marginal IRT."""
    tol: float = Field(1e-4, gt=0)
    """Stop when no difficulty moves more than this in a round."""
    quadrature_nodes: int = Field(5, ge=1, le=21)
    """Gauss-Hermite nodes over each ability's posterior in the item and kind steps."""
    seed: int = 0
    n_jobs: int = Field(1, ge=1, le=16)
    """Directions fitted at once, each in its own process (1: one after another in this
    process). The result does not depend on it: every random draw is made up front."""


@dataclass(frozen=True)
class DirectionCalibration:
    """Fitted parameters of one direction.

    ``activity_ids`` and ``difficulty`` hold the calibrated activities; ``series`` the mean
    difficulty of each series and ``group`` the mean per (kind code, level code), used for
    activities the fit never saw (a new edition, a new event). ``prior_mean`` is indexed by grade.
    """

    direction: str
    activity_ids: pd.Index
    difficulty: np.ndarray
    n_responses: np.ndarray
    series: pd.Series
    group: np.ndarray
    kinds: KindParams
    prior_mean: np.ndarray
    prior_sd: float


@dataclass(frozen=True)
class Calibration:
    """Per-direction graded response models fitted as of ``as_of``."""

    as_of: dt.datetime
    config: CalibrationConfig
    directions: tuple[str, ...]
    fits: tuple[DirectionCalibration, ...]

    def item_difficulty(self, stats: ActivityStats) -> np.ndarray:
        """Difficulty of every activity of ``stats`` per direction, with fallbacks.

        The activity's own calibrated difficulty; else its series' mean; else the mean of its kind
        and level; else the direction's mean (0).
        """
        out = np.zeros((len(stats.table), len(self.directions)))
        series = stats.table[C.SERIES_ID].to_numpy(dtype=object)
        kind = np.where(stats.kind_code < 0, N_KINDS - 1, stats.kind_code)
        level = np.where(stats.level_code < 0, N_LEVELS - 1, stats.level_code)
        for d, fit in enumerate(self.fits):
            value = fit.group[kind, level].copy()
            by_series = pd.Series(series).map(fit.series).to_numpy(np.float64, na_value=np.nan)
            value = np.where(np.isnan(by_series), value, by_series)
            own = fit.activity_ids.get_indexer(stats.index)
            value[own >= 0] = fit.difficulty[own[own >= 0]]
            out[:, d] = value
        return out

    def prior(self, grades: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Prior mean (persons x directions) by grade and prior standard deviation per direction."""
        g = np.clip(np.nan_to_num(grades.astype(np.float64), nan=8.0), 0, MAX_GRADE - 1)
        g = g.astype(np.int64)
        mean = (
            np.column_stack([f.prior_mean[g] for f in self.fits])
            if self.fits
            else np.zeros((len(g), 0))
        )
        return mean, np.array([f.prior_sd for f in self.fits])

    def abilities(
        self,
        responses: Responses,
        stats: ActivityStats,
        grades: np.ndarray,
        prior_sd: float | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Abilities, standard errors and response counts (persons x directions).

        Parameters
        ----------
        responses
            Responses of some whole participants (``responses.participant_ids``).
        stats
            Activity statistics carrying difficulties (:meth:`ActivityStats.with_difficulty`).
        grades
            Grade of each person (aligned with ``responses.participant_ids``).
        prior_sd
            Overrides the fitted prior's spread (a wide one gives nearly unshrunk abilities, as
            labels need).
        """
        n_person = len(responses.participant_ids)
        mean, sd = self.prior(grades)
        theta = np.empty((n_person, len(self.directions)))
        se = np.empty_like(theta)
        count = np.zeros_like(theta)
        kind_all = np.where(stats.kind_code < 0, N_KINDS - 1, stats.kind_code)
        for d, fit in enumerate(self.fits):
            r = responses.take(responses.direction == d)
            kind = kind_all[r.act]
            c_lo, c_hi = fit.kinds.bounds(kind, r.category)
            theta[:, d], se[:, d] = newton_abilities(
                r.person,
                n_person,
                stats.difficulty[r.act, d],
                fit.kinds.discrimination[kind],
                c_lo,
                c_hi,
                r.weight,
                mean[:, d],
                (prior_sd or sd[d]) ** 2,
            )
            count[:, d] = np.bincount(r.person, minlength=n_person)
        return theta, se, count


def _nodes(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Hermite nodes and weights for the expectation over a standard normal."""
    x, w = np.polynomial.hermite_e.hermegauss(n)
    return x, w / w.sum()


def _difficulty_step(
    theta: np.ndarray,
    se: np.ndarray,
    item: np.ndarray,
    n_item: int,
    b: np.ndarray,
    a: np.ndarray,
    c_lo: np.ndarray,
    c_hi: np.ndarray,
    w: np.ndarray,
    prior_mean: np.ndarray,
    prior_var: float,
    n_nodes: int,
) -> np.ndarray:
    """One Newton step on every difficulty, the likelihood averaged over each person's ability
    posterior (normal approximation, Gauss-Hermite nodes): an EM step rather than a joint-ML one,
    which avoids joint ML's bias when persons have few responses."""
    grad = -(b - prior_mean) / prior_var
    info = np.full(n_item, 1.0 / prior_var)
    for node, q in zip(*_nodes(n_nodes), strict=True):
        _, d1, d2 = derivatives(a * (theta + node * se - b[item]), c_lo, c_hi)
        grad = grad - np.bincount(item, weights=q * w * a * d1, minlength=n_item)
        info = info + np.bincount(item, weights=q * w * a * a * d2, minlength=n_item)
    return b + np.clip(grad / info, -1.0, 1.0)


def _group_means(b: np.ndarray, group: np.ndarray, n_group: int, weight: np.ndarray) -> np.ndarray:
    total = np.bincount(group, weights=weight, minlength=n_group)
    s = np.bincount(group, weights=weight * b, minlength=n_group)
    overall = float(np.sum(weight * b) / max(np.sum(weight), 1e-12))
    return np.where(total > 0, s / np.maximum(total, 1e-12), overall)


def _kind_sample(n: int, cfg: CalibrationConfig, rng: np.random.Generator) -> np.ndarray:
    """The responses the per-kind step uses (all of them when there are few)."""
    return rng.choice(n, cfg.kind_sample, replace=False) if n > cfg.kind_sample else np.arange(n)


def _fit_direction(
    direction: str,
    r: Responses,
    stats: ActivityStats,
    grades: np.ndarray,
    cfg: CalibrationConfig,
    sample: np.ndarray,
) -> DirectionCalibration:
    n_person = len(r.participant_ids)
    items, item = np.unique(r.act, return_inverse=True)
    n_item = len(items)
    kind_all = np.where(stats.kind_code < 0, N_KINDS - 1, stats.kind_code)
    level_all = np.where(stats.level_code < 0, N_LEVELS - 1, stats.level_code)
    item_group = kind_all[items] * N_LEVELS + level_all[items]
    kind = kind_all[r.act]
    grade = np.clip(np.nan_to_num(grades.astype(np.float64), nan=8.0), 0, MAX_GRADE - 1)
    grade = grade.astype(np.int64)
    active = np.bincount(r.person, minlength=n_person) > 0
    kp = KindParams.initial(N_KINDS, cfg.responses.n_categories)
    b = np.zeros(n_item)
    theta = np.zeros(n_person)
    prior_mean_g = np.zeros(MAX_GRADE)
    prior_sd = cfg.ability_sd
    group_mean = np.zeros(N_KINDS * N_LEVELS)
    n_resp_item = np.bincount(item, minlength=n_item)
    # items are calibrated on direction weights only: recency weights would temper the likelihood
    # and bias discriminations down; they matter for current abilities, not for the scale
    w = r.direction_weight

    for it in range(cfg.n_iter):
        a = kp.discrimination[kind]
        c_lo, c_hi = kp.bounds(kind, r.category)
        theta, se = newton_abilities(
            r.person,
            n_person,
            b[item],
            a,
            c_lo,
            c_hi,
            w,
            prior_mean_g[grade],
            prior_sd**2,
            theta,
            n_iter=2,
        )
        previous = b.copy()
        group_mean = _group_means(b, item_group, N_KINDS * N_LEVELS, n_resp_item.astype(float))
        for _ in range(2):
            b = _difficulty_step(
                theta[r.person],
                se[r.person],
                item,
                n_item,
                b,
                a,
                c_lo,
                c_hi,
                w,
                group_mean[item_group],
                cfg.difficulty_prior_sd**2,
                cfg.quadrature_nodes,
            )
        if it % cfg.kind_step_every == 0 or it == cfg.n_iter - 1:
            s = sample
            nodes, q = _nodes(cfg.quadrature_nodes)
            x = (
                (theta[r.person[s]] - b[item[s]])[:, None]
                + se[r.person[s]][:, None] * nodes[None, :]
            ).ravel()
            reps = len(nodes)
            res = minimize(
                kind_objective,
                pack(kp),
                jac=True,
                method="L-BFGS-B",
                args=(
                    x,
                    np.repeat(kind[s], reps),
                    np.repeat(r.category[s], reps),
                    (w[s][:, None] * q[None, :]).ravel(),
                    N_KINDS,
                    cfg.responses.n_categories,
                ),
                options={"maxiter": 20},
            )
            kp = unpack(res.x, N_KINDS, cfg.responses.n_categories)
        # empirical-Bayes prior by grade, then fix the scale's origin at the population mean
        if active.any():
            cnt = np.bincount(grade[active], minlength=MAX_GRADE)
            tot = np.bincount(grade[active], weights=theta[active], minlength=MAX_GRADE)
            overall = float(theta[active].mean())
            shrunk = (tot + 20 * overall) / (cnt + 20)
            prior_mean_g = np.where(cnt > 0, shrunk, overall)
            shift = float(np.sum(cnt * prior_mean_g) / max(cnt.sum(), 1))
            theta, b, prior_mean_g = theta - shift, b - shift, prior_mean_g - shift
            previous -= shift
            # parameter expansion (PX-EM): the within-grade spread of abilities, counting their
            # posterior variance, should equal the prior's; rescaling abilities, difficulties and
            # discriminations together keeps the likelihood and speeds up EM's slow scale drift
            resid = theta[active] - prior_mean_g[grade[active]]
            spread = float(np.sqrt(np.mean(resid**2) + np.mean(se[active] ** 2))) / prior_sd
            spread = float(np.clip(spread, 0.8, 1.25))
            theta, b, prior_mean_g = theta / spread, b / spread, prior_mean_g / spread
            kp = KindParams(kp.discrimination * spread, kp.thresholds)
            previous /= spread
        moved = float(np.abs(b - previous).max()) if n_item else 0.0
        if moved < cfg.tol and it >= cfg.kind_step_every:
            break
    group_mean = _group_means(b, item_group, N_KINDS * N_LEVELS, n_resp_item.astype(float))
    ids = stats.table[C.ACTIVITY_ID].to_numpy(dtype=object)[items]
    series = pd.Series(b).groupby(stats.table[C.SERIES_ID].to_numpy(dtype=object)[items]).mean()
    log.info(
        "calibration direction fitted",
        direction=direction,
        rounds=it + 1,
        responses=len(r),
        activities=n_item,
        participants=int(active.sum()),
        prior_sd=round(prior_sd, 3),
        last_move=round(moved, 6),
    )
    return DirectionCalibration(
        direction=direction,
        activity_ids=pd.Index(ids),
        difficulty=b,
        n_responses=n_resp_item,
        series=series,
        group=group_mean.reshape(N_KINDS, N_LEVELS),
        kinds=kp,
        prior_mean=prior_mean_g,
        prior_sd=prior_sd,
    )


def fit_calibration(
    responses: Responses,
    stats: ActivityStats,
    grades: np.ndarray,
    config: CalibrationConfig | None = None,
) -> Calibration:
    """Fit one graded response model per direction of ``stats``.

    Parameters
    ----------
    responses
        Responses of all participants known at the cut-off
        (:func:`features.responses.build_responses`).
    stats
        Activity statistics at the same cut-off.
    grades
        Grade of each participant of ``responses.participant_ids``.
    config
        Fit settings; defaults when None.

    Returns
    -------
    Calibration
        Difficulties, per-kind parameters and grade priors per direction.
    """
    cfg = config or CalibrationConfig()
    started = time.perf_counter()
    rng = np.random.default_rng(cfg.seed)
    jobs = []
    for d, name in enumerate(stats.directions):
        r = responses.take(responses.direction == d)
        if len(r) == 0:
            log.warning(
                "direction has no responses at this cut-off: its abilities are the grade "
                "prior and the model skips it",
                direction=name,
            )
        # drawn here, in direction order, so the fit is the same however many processes run it
        jobs.append((name, r, _kind_sample(len(r), cfg, rng)))
    if cfg.n_jobs > 1 and len(jobs) > 1:
        from joblib import Parallel, delayed

        run = Parallel(n_jobs=min(cfg.n_jobs, len(jobs)), backend="loky")
        fits = tuple(
            run(
                delayed(_fit_direction)(name, r, stats, grades, cfg, sample)
                for name, r, sample in jobs
            )
        )
    else:
        fits = tuple(
            _fit_direction(name, r, stats, grades, cfg, sample) for name, r, sample in jobs
        )
    log.info(
        "calibration fitted", directions=len(fits), seconds=round(time.perf_counter() - started, 2)
    )
    return Calibration(as_of=stats.as_of, config=cfg, directions=stats.directions, fits=fits)
