"""Evaluation of competence estimates on any table of dated scores (``--scores``).

Protocol (no result at or after a target's time point reaches its estimate):

1. Each participant's last time point is held out: one test target per direction recorded there.
2. Held-out time points are evaluated in blocks (each distinct time point when there are at most
   ``max_blocks``, else quantile blocks). For a block starting at ``b``, everything is fitted on
   visits before ``b``; a test target's features use every visit before its own time.
3. Settings (the recency decay, then the estimator: calibrated ability, ridge, LightGBM) are chosen
   on a validation split cut from those earlier time points only: the last ``validation_share``
   of the targets before ``b`` (at least one whole time point), the model fitted on the rest.
   A more complex estimator is chosen only when it beats the simpler one by ``min_gain``.
4. Predictive intervals on the recorded scale: the next result is forecast as
   ``mean_prev + growth x gap + sd_prev x z_hat`` (the direction's last time point's mean and sd,
   the mean within-participant growth per unit of time before the cut), and split-conformal
   quantiles per records bucket are taken on the validation targets' residuals, each divided by
   ``sd_prev x sqrt(ability_sd^2 + sigma^2)`` (normalised conformal: without it, on egsingle,
   calibration at earlier years with fewer records over-covered the last year: 95.2%, with it
   93.4%).

Spearman correlations are computed within each (direction, held-out time point) and averaged
weighted by rows, so growth between time points does not count as skill.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from core.errors import TalentError
from core.logs import get_logger
from features.score_calibration import ScorePrior, abilities, fit_prior
from features.score_features import ScoreFeat, target_features
from features.score_history import ScoreTable, Visits, history, standardized, visits
from models.competence.conformal import GroupConformal, bucket_of
from models.competence.score_model import KINDS, ScoreModel, ScoreModelConfig
from training.competence.evaluation import RECORD_BUCKETS, spearman

log = get_logger(__name__)

ESTIMATE = "estimate"
BASELINES: dict[str, str] = {
    "last_result": "the last result in the direction",
    "mean_past": "the mean of past results in the direction",
    "mean_other_directions": "the mean standardised result over the other directions",
    "ability": "the calibrated ability alone (correlated prior)",
    "ability_independent": "the calibrated ability with directions independent",
}
MIN_ROWS = 50
MIN_GROUP = 10


class ScoreEvalConfig(BaseModel):
    """Settings of the protocol (grids searched on validation, never on the test)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    level: float = Field(0.9, gt=0.5, lt=1)
    decays: tuple[float, ...] = (0.0, 0.3, 1.0)
    kinds: tuple[str, ...] = KINDS
    min_gain: float = Field(0.003, ge=0)
    """Validation Spearman a more complex estimator must add to be chosen."""
    max_blocks: int = Field(6, ge=1)
    validation_share: float = Field(0.2, gt=0, lt=0.9)
    model: ScoreModelConfig = ScoreModelConfig()


@dataclass(frozen=True)
class ScoreEvaluation:
    """The flat report and the per-target rows behind it (no participant ids)."""

    report: dict[str, float | str]
    rows: pd.DataFrame


def grouped_spearman(score: np.ndarray, y: np.ndarray, groups: np.ndarray) -> tuple[float, int]:
    """Spearman within each group (of at least ``MIN_GROUP`` rows), averaged weighted by rows."""
    total, weight = 0.0, 0
    for g in pd.unique(groups):
        m = groups == g
        if m.sum() < MIN_GROUP:
            continue
        r = spearman(score[m], y[m])
        if np.isfinite(r):
            ok = int((np.isfinite(score[m]) & np.isfinite(y[m])).sum())
            total, weight = total + r * ok, weight + ok
    return (total / weight if weight else float("nan")), weight


@dataclass(frozen=True)
class _Targets:
    """Targets (index into visits) with their features under one decay and prior."""

    idx: np.ndarray
    x: pd.DataFrame
    ability_independent: np.ndarray
    hist_value: np.ndarray  # last value in the direction
    mean_value: np.ndarray


def _targets(
    v: Visits,
    idx: np.ndarray,
    decay: float,
    prior: ScorePrior,
    independent: ScorePrior | None = None,
) -> _Targets:
    p, d, t = v.participant[idx], v.direction[idx], v.time[idx]
    h = history(v, p, t, decay)
    ab, sd = abilities(h, prior)
    x = target_features(h, ab, sd, d, t)
    rows = np.arange(len(idx))
    ind = (
        abilities(h, independent)[0][rows, d]
        if independent is not None
        else np.full(len(idx), np.nan)
    )
    n = h.n[rows, d]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_value = np.where(n > 0, h.sum_value[rows, d] / n, np.nan)
    return _Targets(idx, x, ind, h.last_value[rows, d], mean_value)


class _Forecast:
    """Location and scale of a direction's results at a time, as of before it."""

    def __init__(self, v: Visits, cut: float) -> None:
        frame = pd.DataFrame({"d": v.direction, "t": v.time, "v": v.value})
        g = frame.groupby(["d", "t"], sort=True)["v"].agg(["mean", "std", "size"]).reset_index()
        self.points = g
        self.growth = np.zeros(v.n_directions)
        before = v.take(v.time < cut)
        order = np.lexsort((before.time, before.direction, before.participant))
        p, d = before.participant[order], before.direction[order]
        t, x = before.time[order], before.value[order]
        same = (p[1:] == p[:-1]) & (d[1:] == d[:-1]) & (t[1:] > t[:-1])
        rate = (x[1:] - x[:-1])[same] / (t[1:] - t[:-1])[same]
        for k in range(v.n_directions):
            r = rate[d[1:][same] == k]
            self.growth[k] = float(np.mean(r)) if len(r) else 0.0

    def at(self, d: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        loc, scale = np.full(len(d), np.nan), np.full(len(d), np.nan)
        for k in np.unique(d):
            pts = self.points[self.points["d"] == k]
            times = pts["t"].to_numpy(np.float64)
            m = d == k
            j = np.searchsorted(times, t[m], side="left") - 1
            ok = j >= 0
            jj = np.clip(j, 0, None)
            mean = pts["mean"].to_numpy(np.float64)[jj] + self.growth[k] * (t[m] - times[jj])
            sd = np.nan_to_num(pts["std"].to_numpy(np.float64)[jj], nan=1.0)
            loc[m] = np.where(ok, mean, np.nan)
            scale[m] = np.where(ok, np.maximum(sd, 1e-9), np.nan)
        return loc, scale


def _spread(t: _Targets, prior: ScorePrior, direction: np.ndarray) -> np.ndarray:
    """Expected spread of the next z around its estimate: the ability's posterior variance plus
    the direction's noise (normalised conformal: the quantile is taken of residuals divided by
    it, so calibration targets with fewer records transfer to test targets with more)."""
    return np.sqrt(t.x[ScoreFeat.ABILITY_SD].to_numpy(np.float64) ** 2 + prior.sigma2[direction])


def _fit_predict(
    cfg: ScoreModelConfig, kind: str, train: _Targets, z_train: np.ndarray, test: _Targets
) -> np.ndarray:
    model = ScoreModel(cfg.model_copy(update={"kind": kind})).fit((train.x, z_train))
    return model.predict(test.x)


def _select(
    v: Visits,
    z: np.ndarray,
    fit_idx: np.ndarray,
    val_idx: np.ndarray,
    cut: float,
    cfg: ScoreEvalConfig,
) -> tuple[str, float, dict[str, float]]:
    """(kind, decay, validation scores) chosen on the validation targets."""
    prior = fit_prior(v.take(v.time < cut))
    groups = _group_keys(v, val_idx)
    scores: dict[str, float] = {}
    best_decay, best = cfg.decays[0], -np.inf
    probe = "ridge" if "ridge" in cfg.kinds else cfg.kinds[0]
    by_decay = {}
    for decay in cfg.decays:
        tr, va = _targets(v, fit_idx, decay, prior), _targets(v, val_idx, decay, prior)
        by_decay[decay] = (tr, va)
        pred = _fit_predict(cfg.model, probe, tr, z[fit_idx], va)
        r, _ = grouped_spearman(pred, z[val_idx], groups)
        scores[f"decay_{decay:g}.{probe}"] = r
        if r > best + 1e-9:
            best_decay, best = decay, r
    tr, va = by_decay[best_decay]
    chosen, chosen_r = None, -np.inf
    for kind in cfg.kinds:  # in increasing complexity
        pred = _fit_predict(cfg.model, kind, tr, z[fit_idx], va)
        r, _ = grouped_spearman(pred, z[val_idx], groups)
        scores[f"{kind}"] = r
        if chosen is None or r >= chosen_r + cfg.min_gain:
            chosen, chosen_r = kind, r
    assert chosen is not None
    return chosen, best_decay, scores


def _group_keys(v: Visits, idx: np.ndarray) -> np.ndarray:
    return (
        v.direction[idx].astype(str).astype(object) + "@" + v.time[idx].astype(str).astype(object)
    )


def _blocks(held_times: np.ndarray, max_blocks: int) -> list[np.ndarray]:
    """Groups of distinct held-out times, in time order."""
    distinct = np.unique(held_times)
    if len(distinct) <= max_blocks:
        return [np.array([t]) for t in distinct]
    edges = np.unique(np.quantile(held_times, np.linspace(0, 1, max_blocks + 1)))
    which = np.clip(np.searchsorted(edges, distinct, side="right") - 1, 0, len(edges) - 2)
    return [distinct[which == b] for b in np.unique(which)]


def evaluate_scores(table: ScoreTable, cfg: ScoreEvalConfig | None = None) -> ScoreEvaluation:
    """Hold out every participant's last time point and report estimates against baselines."""
    cfg = cfg or ScoreEvalConfig()
    started = time.perf_counter()
    z_rec = standardized(table)
    v = visits(table, z_rec)
    z = v.z
    last = pd.Series(v.time).groupby(v.participant).transform("max").to_numpy()
    held = v.time == last
    blocks = _blocks(v.time[held], cfg.max_blocks)
    multi = len(np.unique(v.time[held])) > cfg.max_blocks
    parts: list[pd.DataFrame] = []
    report: dict[str, float | str] = {}
    skipped = 0
    for b, times in enumerate(blocks):
        start = float(times.min())
        test_idx = np.flatnonzero(held & np.isin(v.time, times))
        before = np.flatnonzero(v.time < start)
        if len(before) < 2 * MIN_ROWS:
            log.warning(
                "held-out time point skipped: too few earlier results to fit on",
                block=b,
                time=start,
                earlier=len(before),
                targets=len(test_idx),
            )
            skipped += len(test_idx)
            continue
        order = before[np.argsort(v.time[before], kind="stable")]
        cut = float(v.time[order[int(len(order) * (1 - cfg.validation_share))]])
        fit_idx, val_idx = before[v.time[before] < cut], before[v.time[before] >= cut]
        if len(fit_idx) < MIN_ROWS or len(val_idx) < MIN_ROWS:
            log.warning(
                "held-out time point skipped: no validation split before it",
                block=b,
                time=start,
                fit=len(fit_idx),
                validation=len(val_idx),
            )
            skipped += len(test_idx)
            continue
        kind, decay, val_scores = _select(v, z, fit_idx, val_idx, cut, cfg)
        # conformal scores: the chosen settings, fitted before the validation cut
        prior_val = fit_prior(v.take(v.time < cut))
        tr, va = _targets(v, fit_idx, decay, prior_val), _targets(v, val_idx, decay, prior_val)
        z_val = _fit_predict(cfg.model, kind, tr, z[fit_idx], va)
        loc, scale = _Forecast(v, cut).at(v.direction[val_idx], v.time[val_idx])
        norm = scale * _spread(va, prior_val, v.direction[val_idx])
        resid = np.abs(v.value[val_idx] - (loc + scale * z_val)) / norm
        conformal = GroupConformal.fit(
            resid, bucket_of(va.x[ScoreFeat.N_OWN].to_numpy()), cfg.level
        )
        # refit on everything before the block, estimate the held-out targets
        prior = fit_prior(v.take(v.time < start))
        independent = fit_prior(v.take(v.time < start), correlated=False)
        tr = _targets(v, before, decay, prior)
        te = _targets(v, test_idx, decay, prior, independent)
        z_hat = _fit_predict(cfg.model, kind, tr, z[before], te)
        loc, scale = _Forecast(v, start).at(v.direction[test_idx], v.time[test_idx])
        norm = scale * _spread(te, prior, v.direction[test_idx])
        buckets = bucket_of(te.x[ScoreFeat.N_OWN].to_numpy())
        half = conformal.half_width(buckets) * norm
        centre = loc + scale * z_hat
        parts.append(
            pd.DataFrame(
                {
                    "direction": np.asarray(table.directions, dtype=object)[v.direction[test_idx]],
                    "time": v.time[test_idx],
                    "block": b,
                    "bucket": buckets,
                    "value": v.value[test_idx],
                    "z": z[test_idx],
                    ESTIMATE: z_hat,
                    "prediction": centre,
                    "lower": centre - half,
                    "upper": centre + half,
                    "last_result": te.hist_value,
                    "mean_past": te.mean_value,
                    "mean_other_directions": te.x[ScoreFeat.OTHER_MEAN_Z].to_numpy(),
                    "ability": te.x[ScoreFeat.ABILITY].to_numpy(),
                    "ability_independent": te.ability_independent,
                }
            )
        )
        report[f"settings.block{b}.time"] = start
        report[f"settings.block{b}.kind"] = kind
        report[f"settings.block{b}.decay"] = decay
        report |= {f"settings.block{b}.validation.{k}": val for k, val in val_scores.items()}
        for i, a in enumerate(table.directions):
            for j, c in enumerate(table.directions):
                if i < j:
                    report[f"settings.block{b}.correlation.{a}.{c}"] = float(
                        prior.correlation[i, j]
                    )
        log.info(
            "held-out time point estimated",
            block=b,
            time=start,
            targets=len(test_idx),
            kind=kind,
            decay=decay,
        )
    if not parts:
        raise TalentError(
            "no held-out time point could be evaluated: every participant's last "
            "time point needs earlier results of others to fit and validate on"
        )
    rows = pd.concat(parts, ignore_index=True)
    report |= _summarise(rows, multi)
    report["rows.skipped"] = float(skipped)
    report["seconds.total"] = time.perf_counter() - started
    return ScoreEvaluation(report, rows)


def _summarise(rows: pd.DataFrame, by_block: bool) -> dict[str, float | str]:
    out: dict[str, float | str] = {}
    when = rows["block"] if by_block else rows["time"]
    group = rows["direction"].astype(str) + "@" + when.astype(str)
    y = rows["value"].to_numpy(np.float64)
    inside = (y >= rows["lower"].to_numpy()) & (y <= rows["upper"].to_numpy())
    names = [ESTIMATE, *BASELINES]
    for direction in [*sorted(rows["direction"].unique()), "all"]:
        dm = (
            np.ones(len(rows), bool)
            if direction == "all"
            else (rows["direction"] == direction).to_numpy()
        )
        for bucket in [*(b[0] for b in RECORD_BUCKETS), "any"]:
            m = dm & ((rows["bucket"] == bucket).to_numpy() if bucket != "any" else True)
            key = f"{direction}.n{bucket}"
            out[f"{key}.count"] = float(m.sum())
            if not m.any():
                continue
            for name in names:
                out[f"{key}.spearman.{name}"] = grouped_spearman(
                    rows[name].to_numpy(np.float64)[m], y[m], group.to_numpy()[m]
                )[0]
            ok = m & np.isfinite(rows["lower"].to_numpy())
            out[f"{key}.coverage"] = float(inside[ok].mean()) if ok.any() else float("nan")
            out[f"{key}.interval_width"] = (
                float((rows["upper"] - rows["lower"]).to_numpy()[ok].mean())
                if ok.any()
                else float("nan")
            )
    return out
