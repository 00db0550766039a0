"""Per-user temporal split and the footprint's open choices."""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.recommend.split import user_temporal_split


def _log() -> pd.DataFrame:
    rows = []
    for u, n in (("a", 10), ("b", 5), ("c", 1)):
        for t in range(n):
            rows.append({"user": u, "item": f"{u}{t}", "ts": 100 - t})  # later rows are older
    return pd.DataFrame(rows)


def test_last_twenty_percent_by_time_is_test() -> None:
    train, test = user_temporal_split(_log(), "user", "ts")
    assert sorted(test[test.user == "a"]["item"]) == ["a0", "a1"]  # the two latest
    assert list(test[test.user == "b"]["item"]) == ["b0"]
    assert "c" not in set(test.user)  # one row: kept for training
    assert len(train) + len(test) == len(_log())
    for u, part in test.groupby("user"):
        assert part["ts"].min() >= train[train.user == u]["ts"].max()


def test_without_time_a_seeded_random_share() -> None:
    log = _log()
    _a1, t1 = user_temporal_split(log, "user", None, seed=3)
    _a2, t2 = user_temporal_split(log, "user", None, seed=3)
    pd.testing.assert_frame_equal(t1, t2)
    assert t1.groupby("user").size().to_dict() == {"a": 2, "b": 1}
    _, t3 = user_temporal_split(log, "user", None, seed=4)
    assert not np.array_equal(t1.index, t3.index) or len(t1) < 3
