"""The graded response arithmetic: analytic gradients, Newton abilities."""

from __future__ import annotations

import numpy as np
from scipy.optimize import check_grad

from features.irt import KindParams, kind_objective, newton_abilities, pack, unpack


def test_pack_round_trip(rng: np.random.Generator) -> None:
    kp = KindParams(np.array([0.7, 1.9]), np.sort(rng.normal(size=(2, 4)), axis=1))
    back = unpack(pack(kp), 2, 5)
    np.testing.assert_allclose(back.discrimination, kp.discrimination)
    np.testing.assert_allclose(back.thresholds, kp.thresholds)


def test_kind_gradient_matches_finite_differences(rng: np.random.Generator) -> None:
    n = 400
    x = rng.normal(size=n)
    kind = rng.integers(0, 3, n)
    cat = rng.integers(0, 5, n)
    w = rng.uniform(0.2, 1.0, n)
    params = pack(KindParams.initial(3, 5)) + rng.normal(0, 0.2, 15)
    err = check_grad(
        lambda p: kind_objective(p, x, kind, cat, w, 3, 5)[0],
        lambda p: kind_objective(p, x, kind, cat, w, 3, 5)[1],
        params,
    )
    assert err < 1e-4 * max(1.0, np.abs(kind_objective(params, x, kind, cat, w, 3, 5)[1]).max())


def test_newton_abilities_prior_only_and_symmetry() -> None:
    kp = KindParams.initial(1, 4)
    # person 0: no responses -> prior; person 1: the middle category twice at b = 0 -> about 0
    # person 2: top category -> above the prior
    person = np.array([1, 1, 2])
    cat = np.array([1, 2, 3])
    kind = np.zeros(3, dtype=int)
    lo, hi = kp.bounds(kind, cat)
    theta, se = newton_abilities(
        person,
        3,
        np.zeros(3),
        kp.discrimination[kind],
        lo,
        hi,
        np.ones(3),
        np.array([0.5, 0.0, 0.0]),
        1.0,
    )
    assert theta[0] == 0.5 and se[0] == 1.0
    assert abs(theta[1]) < 1e-6 and se[1] < 1.0
    assert theta[2] > 0.3
