"""The graded-response (cumulative logit) model's arithmetic, vectorised over responses.

For a response in ordinal category ``y`` (0 .. K-1) of a person with ability ``theta`` to an item
(activity) with difficulty ``b`` of kind ``g``::

    P(Y >= k) = sigmoid(a_g * (theta - b) - c_gk),   k = 1 .. K-1,  c_g1 < ... < c_g,K-1
    P(Y = y)  = P(Y >= y) - P(Y >= y + 1)

(Samejima's graded response model with a discrimination ``a_g`` and thresholds ``c_g`` shared by
the activities of one kind, and a difficulty per activity.) The log-likelihood is concave in
``eta = a (theta - b)``: its first derivative is ``1 - F_y - F_{y+1}`` and minus its second is
``f_y + f_{y+1}`` with ``F_k = P(Y >= k)`` and ``f = F (1 - F)``, so Newton steps on abilities and
difficulties need only sums over responses (``np.bincount``), which is what makes the 250,000
participant world tractable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

BIG = 40.0
"""Stand-in for an infinite threshold: sigmoid(+-40) is 1 or 0 to double precision."""


@dataclass(frozen=True)
class KindParams:
    """Discrimination (kinds) and ordered thresholds (kinds x K-1) of the model."""

    discrimination: np.ndarray
    thresholds: np.ndarray

    @property
    def n_categories(self) -> int:
        return self.thresholds.shape[1] + 1

    @classmethod
    def initial(cls, n_kinds: int, n_categories: int) -> KindParams:
        """a = 1.7 and thresholds at the logits of equal category shares (a sensible start)."""
        k = np.arange(1, n_categories) / n_categories
        c = np.log(k / (1 - k))
        return cls(np.full(n_kinds, 1.7), np.tile(c, (n_kinds, 1)))

    def bounds(self, kind: np.ndarray, category: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Thresholds below and above each response's category (-BIG / +BIG at the ends)."""
        padded = np.hstack(
            [
                np.full((len(self.thresholds), 1), -BIG),
                self.thresholds,
                np.full((len(self.thresholds), 1), BIG),
            ]
        )
        return padded[kind, category], padded[kind, category + 1]


def derivatives(
    eta: np.ndarray, c_lo: np.ndarray, c_hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log-likelihood, its derivative and minus its second derivative with respect to ``eta``."""
    f_lo = expit(eta - c_lo)
    f_hi = expit(eta - c_hi)
    p = np.clip(f_lo - f_hi, 1e-300, None)
    return np.log(p), 1.0 - f_lo - f_hi, f_lo * (1 - f_lo) + f_hi * (1 - f_hi)


def newton_abilities(
    person: np.ndarray,
    n_person: int,
    b: np.ndarray,
    a: np.ndarray,
    c_lo: np.ndarray,
    c_hi: np.ndarray,
    weight: np.ndarray,
    prior_mean: np.ndarray,
    prior_var: float,
    theta: np.ndarray | None = None,
    n_iter: int = 20,
) -> tuple[np.ndarray, np.ndarray]:
    """MAP abilities of ``n_person`` persons and their standard errors, item parameters fixed.

    Parameters
    ----------
    person
        Person index of each response.
    b, a, c_lo, c_hi
        Per response: difficulty, discrimination and the thresholds around its category.
    weight
        Likelihood weight of each response (direction weight x recency).
    prior_mean
        Normal prior mean of each person (by grade); ``prior_var`` its common variance.
    theta
        Starting values (the prior means when None).
    n_iter
        Newton steps. Always all of them (no early stop on the largest step), so a person's
        result does not depend on who else is in the batch.

    Returns
    -------
    theta, se
        The posterior mode and ``1 / sqrt(information + 1 / prior_var)``. A person without
        responses keeps the prior: mean and standard deviation.
    """
    theta = (prior_mean if theta is None else theta).astype(np.float64).copy()
    precision = 1.0 / prior_var
    info = np.full(n_person, precision)
    for _ in range(n_iter):
        _, d1, d2 = derivatives(a * (theta[person] - b), c_lo, c_hi)
        grad = np.bincount(person, weights=weight * a * d1, minlength=n_person)
        info = np.bincount(person, weights=weight * a * a * d2, minlength=n_person) + precision
        step = np.clip((grad - (theta - prior_mean) * precision) / info, -1.0, 1.0)
        theta += step
    _, _, d2 = derivatives(a * (theta[person] - b), c_lo, c_hi)
    info = np.bincount(person, weights=weight * a * a * d2, minlength=n_person) + precision
    return theta, 1.0 / np.sqrt(info)


def kind_objective(
    params: np.ndarray,
    x: np.ndarray,
    kind: np.ndarray,
    category: np.ndarray,
    weight: np.ndarray,
    n_kinds: int,
    n_categories: int,
    ridge: float = 1e-3,
) -> tuple[float, np.ndarray]:
    """Weighted negative log-likelihood and gradient in the kind parameters.

    ``params`` packs per kind ``log a`` then ``c_1, log(c_2 - c_1), ...`` (so thresholds stay
    ordered and ``a`` positive); ``x = theta - b`` per response. A small ridge keeps kinds without
    responses at a defined value.
    """
    kp = unpack(params, n_kinds, n_categories)
    a = kp.discrimination[kind]
    c_lo, c_hi = kp.bounds(kind, category)
    eta = a * x
    f_lo, f_hi = expit(eta - c_lo), expit(eta - c_hi)
    p = np.clip(f_lo - f_hi, 1e-300, None)
    nll = -float(np.sum(weight * np.log(p)))
    d_eta = weight * (1.0 - f_lo - f_hi)
    g_a = np.bincount(kind, weights=d_eta * x, minlength=n_kinds)
    m = n_categories - 1
    dens_lo, dens_hi = f_lo * (1 - f_lo) / p, f_hi * (1 - f_hi) / p
    g_flat = np.zeros(n_kinds * m)
    lo_ok, hi_ok = category >= 1, category <= m - 1
    g_flat += np.bincount(
        kind[lo_ok] * m + category[lo_ok] - 1,
        weights=-weight[lo_ok] * dens_lo[lo_ok],
        minlength=n_kinds * m,
    )
    g_flat += np.bincount(
        kind[hi_ok] * m + category[hi_ok],
        weights=weight[hi_ok] * dens_hi[hi_ok],
        minlength=n_kinds * m,
    )
    g_c = g_flat.reshape(n_kinds, m)
    # chain rule to the packed parameters (gradient of the log-likelihood, then negated)
    raw = params.reshape(n_kinds, n_categories)
    grad = np.empty_like(raw)
    grad[:, 0] = g_a * kp.discrimination
    tail = np.cumsum(g_c[:, ::-1], axis=1)[:, ::-1]  # sum over j >= k
    grad[:, 1] = tail[:, 0]
    grad[:, 2:] = tail[:, 1:] * np.exp(raw[:, 2:])
    default = pack(KindParams.initial(n_kinds, n_categories))
    nll += ridge * float(np.sum((params - default) ** 2))
    return nll, -grad.ravel() + 2 * ridge * (params - default)


def pack(kp: KindParams) -> np.ndarray:
    """Kind parameters as the unconstrained vector :func:`kind_objective` optimises."""
    c = kp.thresholds
    return np.hstack(
        [np.log(kp.discrimination)[:, None], c[:, :1], np.log(np.maximum(np.diff(c, axis=1), 1e-6))]
    ).ravel()


def unpack(params: np.ndarray, n_kinds: int, n_categories: int) -> KindParams:
    """Inverse of :func:`pack`."""
    raw = params.reshape(n_kinds, n_categories)
    c = np.cumsum(np.hstack([raw[:, 1:2], np.exp(raw[:, 2:])]), axis=1)
    return KindParams(np.exp(raw[:, 0]), c)
