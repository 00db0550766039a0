"""Abilities from standardised scores with a prior correlated across directions.

The continuous counterpart of :mod:`features.calibration` for tables of scores: each visit's z
(:mod:`features.score_history`) is the participant's latent level in the direction plus noise,
``z = theta_d + e`` with ``e ~ N(0, sigma_d^2)``, and the levels of one participant are jointly
normal across directions, ``theta ~ N(0, Sigma)``. Both are estimated from the data:

- ``sigma_d^2``: the pooled within-participant variance of visits' z in the direction (it holds
  measurement noise and change over time: both make an old record a weaker witness);
- ``Sigma``: the variance of participants' mean z minus the noise share, and the covariance of
  mean z between two directions over participants with records in both (noise is independent
  across directions, so the covariance needs no correction); made positive definite.

The posterior mean of ``theta`` given all of a participant's records (recency-weighted counts
as effective numbers of observations) is the *calibrated ability*; for a direction without
records it moves with the other directions through ``Sigma`` and keeps a wide posterior sd.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.score_history import History, Visits

MIN_SHARED = 30
"""Participants with records in both directions needed to estimate a covariance (else 0)."""
CHUNK = 20_000


@dataclass(frozen=True)
class ScorePrior:
    """``sigma2`` (noise variance per direction) and ``cov`` (prior covariance, D x D)."""

    sigma2: np.ndarray
    cov: np.ndarray

    @property
    def correlation(self) -> np.ndarray:
        sd = np.sqrt(np.diag(self.cov))
        return self.cov / np.outer(sd, sd)


def fit_prior(v: Visits, correlated: bool = True) -> ScorePrior:
    """Estimate noise variances and the prior covariance from visits (all before a cut-off).

    ``correlated=False`` keeps the covariance diagonal (directions independent), the comparison
    the cross-direction evidence is measured against.
    """
    n_d = v.n_directions
    n_p = int(v.participant.max()) + 1 if len(v) else 0
    key = v.participant * n_d + v.direction
    cnt = np.bincount(key, minlength=n_p * n_d).reshape(n_p, n_d)
    tot = np.bincount(key, weights=v.z, minlength=n_p * n_d).reshape(n_p, n_d)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = tot / cnt
    dev = v.z - mean.ravel()[key]
    ss = np.bincount(v.direction, weights=dev**2, minlength=n_d)
    df = np.bincount(v.direction, weights=(cnt.ravel()[key] > 1).astype(float), minlength=n_d)
    df -= np.array([(cnt[:, d] > 1).sum() for d in range(n_d)], dtype=float)
    sigma2 = np.where(df > 0, ss / np.maximum(df, 1), 0.5)
    sigma2 = np.clip(sigma2, 0.05, 0.95)
    var = np.empty(n_d)
    for d in range(n_d):
        has = cnt[:, d] > 0
        if has.sum() > 2:
            var[d] = np.var(mean[has, d]) - sigma2[d] * np.mean(1.0 / cnt[has, d])
        else:
            var[d] = 1.0 - sigma2[d]
    var = np.clip(var, 0.05, None)
    cov = np.diag(var)
    if correlated:
        for a in range(n_d):
            for b in range(a + 1, n_d):
                both = (cnt[:, a] > 0) & (cnt[:, b] > 0)
                if both.sum() < MIN_SHARED:
                    continue
                c = float(np.cov(mean[both, a], mean[both, b])[0, 1])
                r = float(np.clip(c / np.sqrt(var[a] * var[b]), -0.95, 0.95))
                cov[a, b] = cov[b, a] = r * np.sqrt(var[a] * var[b])
        vals, vecs = np.linalg.eigh(cov)
        cov = (vecs * np.clip(vals, 1e-3, None)) @ vecs.T
    return ScorePrior(sigma2, cov)


def abilities(h: History, prior: ScorePrior) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and sd of every target's level in every direction (targets x D).

    Precision ``Sigma^-1 + diag(w_d / sigma_d^2)``, mean ``precision^-1 (w z_bar / sigma^2)``,
    with ``w`` the recency-weighted number of earlier visits; solved in chunks of batched D x D
    systems.
    """
    n_t, n_d = h.w.shape
    inv_cov = np.linalg.inv(prior.cov)
    mean = np.empty((n_t, n_d))
    sd = np.empty((n_t, n_d))
    for start in range(0, n_t, CHUNK):
        sl = slice(start, start + CHUNK)
        info = h.w[sl] / prior.sigma2
        prec = inv_cov[None, :, :] + info[:, :, None] * np.eye(n_d)[None, :, :]
        post = np.linalg.inv(prec)
        rhs = h.wz[sl] / prior.sigma2
        mean[sl] = np.einsum("nij,nj->ni", post, rhs)
        sd[sl] = np.sqrt(np.einsum("nii->ni", post))
    return mean, sd
