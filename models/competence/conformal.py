"""Split-conformal predictive intervals, one quantile per group (Mondrian conformal).

Calibrated on held-out *future* records: the model is fitted on records before a validation
time point, the scores ``|result - prediction| / scale`` of that time point's results give, per
group (number of earlier records: 0, 1, 2-4, 5+), the ``ceil((n + 1) level) / n`` empirical
quantile. A new result of a group falls in ``prediction -+ q_group x scale`` with probability at
least ``level`` when calibration and new results are exchangeable; a group with too few
calibration results uses the pooled quantile. Hand-written: it is a quantile per group, clearer
here than a library's wrapper around a model it would have to refit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_GROUP = 30
RECORD_BUCKETS: tuple[tuple[str, int, int], ...] = (
    ("0", 0, 0),
    ("1", 1, 1),
    ("2-4", 2, 4),
    ("5+", 5, 10**9),
)
"""Groups by the number of earlier records in the direction: (name, lowest, highest)."""


def bucket_of(n: np.ndarray) -> np.ndarray:
    """Records bucket label ("0", "1", "2-4", "5+") of each count."""
    out = np.empty(len(n), dtype=object)
    for name, lo, hi in RECORD_BUCKETS:
        out[(n >= lo) & (n <= hi)] = name
    return out


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """The finite-sample conformal quantile of ``scores`` (inf when there are too few)."""
    s = np.sort(scores[np.isfinite(scores)])
    k = int(np.ceil((len(s) + 1) * level))
    return float(s[k - 1]) if 0 < k <= len(s) else float("inf")


@dataclass(frozen=True)
class GroupConformal:
    """Quantile of the normalised absolute residual per group, and the pooled one."""

    level: float
    quantiles: dict[str, float]
    pooled: float
    counts: dict[str, int]

    @classmethod
    def fit(cls, scores: np.ndarray, groups: np.ndarray, level: float) -> GroupConformal:
        """Quantiles from calibration ``scores`` (``|y - y_hat| / scale``) and their groups."""
        quantiles, counts = {}, {}
        for g in np.unique(groups):
            m = groups == g
            counts[str(g)] = int(m.sum())
            if m.sum() >= MIN_GROUP:
                quantiles[str(g)] = conformal_quantile(scores[m], level)
        return cls(level, quantiles, conformal_quantile(scores, level), counts)

    def half_width(self, groups: np.ndarray) -> np.ndarray:
        """Half-width in units of the scale for each row's group."""
        return np.array([self.quantiles.get(str(g), self.pooled) for g in groups], np.float64)
