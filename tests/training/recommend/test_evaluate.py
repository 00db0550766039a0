"""The evaluation tables: every model and baseline, on both splits."""

from __future__ import annotations

import datetime as dt

import numpy as np

from models.recommend.als import ALSConfig
from models.recommend.rerank import RerankConfig
from tests.models.recommend.conftest import tiny_log
from tests.training.recommend_world import small_world  # noqa: F401 - a fixture
from training.recommend.evaluate import (
    LogSplitConfig,
    SimSplitConfig,
    evaluate_interactions,
    evaluate_simulator,
)
from training.simworld import SimWorld

METRICS = {"recall@10", "ndcg@10", "map@10", "coverage", "novelty", "seconds"}


def test_interaction_log_table(rng: np.random.Generator) -> None:
    log = tiny_log(rng)
    log["ts"] = rng.random(len(log))
    report = evaluate_interactions(log, "user", "item", "ts", None, LogSplitConfig())
    assert set(report.table) == {"popular", "als", "ease", "ease_recency"}
    for row in report.table.values():
        assert set(row) == METRICS
    # two taste groups: EASE should beat popularity
    assert report.table["ease"]["ndcg@10"] > report.table["popular"]["ndcg@10"]
    # without a time column there is no recency to weigh by
    untimed = evaluate_interactions(log, "user", "item", None, None, LogSplitConfig())
    assert "ease_recency" not in untimed.table


def test_simulator_split_table(small_world: SimWorld) -> None:  # noqa: F811
    cfg = SimSplitConfig(
        cutoffs=(dt.datetime(2024, 10, 1),),
        decision_offsets_days=(365, 304),
        max_queries=300,
        ability_sample=1_000,
    )
    report = evaluate_simulator(
        small_world.snapshot,
        cfg,
        {"rerank": RerankConfig(n_estimators=30, max_groups=1_500, als=ALSConfig(iterations=5))},
    )
    assert set(report.table) == set(cfg.models)
    assert report.info["queries"] > 50
    for row in report.table.values():
        assert set(row) == METRICS
        assert 0 <= row["ndcg@10"] <= 1
    # any sensible model beats chance on this split
    assert report.table["popular_direction"]["recall@10"] > 0.3
    name, value = report.best_single()
    assert name != "rerank" and value > 0


def test_report_is_logged_to_mlflow(tmp_path: object, monkeypatch: object) -> None:
    import mlflow

    from training.recommend.evaluate import RecommendReport, log_report

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)  # type: ignore[attr-defined]
    report = RecommendReport(
        table={"ease": {"ndcg@10": 0.15, "recall@10": 0.08}}, params={"k": 10}, info={"rows": 100}
    )
    run_id = log_report(report, "test run")
    run = mlflow.get_run(run_id)
    assert run.data.metrics["ease.ndcg_at_10"] == 0.15
    assert run.data.params["k"] == "10"


def test_default_cutoffs_follow_the_configured_months() -> None:
    from types import SimpleNamespace

    import pydantic
    import pytest

    from training.recommend.evaluate import SimSplitConfig, default_cutoffs

    snap = SimpleNamespace(as_of=dt.datetime(2026, 6, 1))
    assert default_cutoffs(snap) == (
        dt.datetime(2025, 10, 1),
        dt.datetime(2025, 12, 1),  # type: ignore[arg-type]
        dt.datetime(2026, 2, 1),
        dt.datetime(2026, 4, 1),
    )
    assert default_cutoffs(snap, (4, 12)) == (
        dt.datetime(2025, 12, 1),  # type: ignore[arg-type]
        dt.datetime(2026, 4, 1),
    )
    # 1 April 2026 is less than 60 days before 15 May: the season before
    early = SimpleNamespace(as_of=dt.datetime(2026, 5, 15))
    assert default_cutoffs(early, (12, 4))[-1] == dt.datetime(2025, 4, 1)  # type: ignore[arg-type]
    with pytest.raises(pydantic.ValidationError, match="each month at most once"):
        SimSplitConfig(cutoff_months=(12, 12))
