"""Selection on validation: the split never touches test rows, the EASE path scores what the
model scores, and a seed gives the same choice."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import ConfigError
from models.recommend.dataset import dataset_from_interactions
from models.recommend.ease import EASEConfig
from training.recommend.evaluate import (
    LogColumns,
    LogSplitConfig,
    build_model,
    log_relevant,
    score_log_split,
)
from training.recommend.select import (
    SelectionConfig,
    ease_path_lists,
    evaluate_interactions_selected,
    lambda_grid,
    parse_overrides,
    select_log_settings,
    validation_split,
)
from training.recommend.split import user_temporal_split

COLS = LogColumns("user", "item", "t")
SMALL = SelectionConfig(
    ease_lambda_points=3,
    half_life_fractions=(0.25, 0.5),
    als_factors=(4, 8),
    als_regularization=(0.1,),
    als_iterations=(5,),
    als_alpha=(1.0,),
    als_budget=2,
)


def _log(seed: int = 0, users: int = 60, items: int = 30) -> pd.DataFrame:
    """Two taste groups over the items, each user drifting along their group's items in time."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(users):
        group = u % 2
        pool = np.arange(items)[np.arange(items) % 2 == group]
        n = int(rng.integers(6, 14))
        picks = rng.choice(pool, size=min(n, len(pool)), replace=False)
        extra = rng.choice(items, size=2, replace=False)
        for step, item in enumerate([*picks, *extra]):
            rows.append(
                {
                    "user": f"u{u}",
                    "item": f"i{item}",
                    "t": 1000 * u + step * 10 + int(rng.integers(0, 5)),
                }
            )
    return pd.DataFrame(rows).drop_duplicates(["user", "item"]).reset_index(drop=True)


def test_validation_is_cut_from_training_rows_and_precedes_test_per_user() -> None:
    frame = _log()
    train, test = user_temporal_split(frame, "user", "t", 0.2, 0)
    fit, val = validation_split(train, COLS, 0.25, 0)
    assert set(val.index) <= set(train.index)
    assert not set(val.index) & set(test.index)
    assert not set(fit.index) & set(val.index)
    assert set(fit.index) | set(val.index) == set(train.index)
    last_val = val.groupby("user")["t"].max()
    first_test = test.groupby("user")["t"].min()
    both = last_val.index.intersection(first_test.index)
    assert len(both) > 0
    assert (last_val[both] <= first_test[both]).all()
    last_fit = fit.groupby("user")["t"].max()
    first_val = val.groupby("user")["t"].min()
    assert (last_fit[first_val.index] <= first_val).all()


def test_ease_path_lists_match_the_fitted_model() -> None:
    frame = _log(1)
    train, test = user_temporal_split(frame, "user", "t", 0.2, 0)
    users, _ = log_relevant(train, test, COLS)
    lam = 7.0
    path = ease_path_lists(train, users, COLS, (lam,), {"binary": None}, 5)[("binary", lam)]
    data = dataset_from_interactions(train, "user", "item")
    cfg = LogSplitConfig(ease=EASEConfig(regularization=lam))
    recs = build_model("ease", cfg).fit(data).recommend(users, k=5, reasons=False)
    for user, listed in zip(users, path, strict=True):
        mine = recs[recs["participant_id"] == user]
        scores = mine["score"].to_numpy(float)
        # items clearly above the k-th score are in the path's list, in the same order
        # (items tied with the k-th, e.g. zero scores, may be any of the tied ones)
        clear = mine["activity_id"].astype(str).to_numpy()[scores > scores[-1] + 1e-4]
        assert listed[: len(clear)] == clear.tolist()
        assert len(listed) == len(mine)


def test_selection_is_reproducible_and_chooses_from_the_grid() -> None:
    frame = _log(2)
    train, _ = user_temporal_split(frame, "user", "t", 0.2, 0)
    cfg = LogSplitConfig(models=("popular", "ease", "ease_recency", "als"), k=5)
    a_cfg, a = select_log_settings(train, COLS, cfg, SMALL)
    b_cfg, b = select_log_settings(train, COLS, cfg, SMALL)
    assert a.chosen == b.chosen and a_cfg == b_cfg
    assert a_cfg.ease.regularization in {
        t["regularization"] for t in a.trials if t["model"] == "ease"
    }
    assert a_cfg.ease_recency is not None
    assert a_cfg.recency_half_life == a.chosen["ease_recency"]["half_life"]
    assert len([t for t in a.trials if t["model"] == "als"]) == 2
    best = max((t for t in a.trials if t["model"] == "ease"), key=lambda t: t["ndcg@5"])
    assert a.chosen["ease"]["validation_ndcg@5"] == best["ndcg@5"]


def test_explicit_settings_are_kept_and_not_searched() -> None:
    frame = _log(3)
    train, _ = user_temporal_split(frame, "user", "t", 0.2, 0)
    fixed = parse_overrides(["ease.lambda=42", "als.factors=6"])
    cfg = LogSplitConfig(models=("ease", "als"), k=5)
    chosen, record = select_log_settings(train, COLS, cfg, SMALL, fixed)
    assert chosen.ease.regularization == 42.0
    assert {t["regularization"] for t in record.trials if t["model"] == "ease"} == {42.0}
    assert chosen.als.factors == 6
    assert {t["factors"] for t in record.trials if t["model"] == "als"} == {6}


def test_bad_overrides_name_the_item() -> None:
    with pytest.raises(ConfigError, match=r"ease\.lamda"):
        parse_overrides(["ease.lamda=3"])
    with pytest.raises(ConfigError, match="abc"):
        parse_overrides(["ease.lambda=abc"])


def test_lambda_grid_follows_the_data_scale() -> None:
    assert lambda_grid(np.array([10.0, 30.0]), 4) == (20.0, 200.0, 2000.0, 20000.0)
    assert lambda_grid(np.array([1.0]), 4)[0] == 1.0


def test_the_report_puts_validation_scores_beside_test_scores() -> None:
    frame = _log(4)
    report = evaluate_interactions_selected(
        frame, COLS, LogSplitConfig(models=("popular", "ease"), k=5), SMALL
    )
    assert set(report.table) == {"popular", "ease"}
    for row in report.table.values():
        assert "ndcg@5" in row and "validation_ndcg@5" in row
    assert (
        report.params["ease"]["regularization"]
        == report.info["selection"]["ease"]["regularization"]
    )
    assert report.info["selection.validation_rows"] > 0
    plain, _ = score_log_split(
        *user_temporal_split(frame, "user", "t", 0.2, 0),
        COLS,
        LogSplitConfig(
            models=("ease",),
            k=5,
            ease=EASEConfig(regularization=report.params["ease"]["regularization"]),
        ),
    )
    assert plain["ease"]["ndcg@5"] == pytest.approx(report.table["ease"]["ndcg@5"])
