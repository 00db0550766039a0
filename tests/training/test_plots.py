"""Run plots: the aggregate tables on frames whose answers are known, empty input refused with a
clear error, and a pipeline run on a tiny world logging every plot into its stage's child run."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.errors import EmptyInputError
from features.schema import KEYS, Feat
from models.competence.columns import CompetenceColumns as CC
from tests.training.pipeline_world import tiny_config
from training import plots as P
from training.competence import diagnostics as D
from training.pipeline import PipelineResult, run_pipeline
from training.recommend.metrics import ndcg_per_query, ranking_metrics


def _frames(
    n: int = 200, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Two directions; the estimate is the true percentile plus noise; records 0..6."""
    rng = np.random.default_rng(seed)
    dirs = np.repeat(["python", "robotics"], n // 2)
    truth = np.concatenate(
        [(np.argsort(np.argsort(rng.random(n // 2))) + 0.5) / (n // 2) * 100 for _ in range(2)]
    )
    comp = np.clip(truth + rng.normal(0, 5, n), 0, 100)
    n_rec = rng.integers(0, 7, n).astype(float)
    features = pd.DataFrame(
        {
            KEYS[0]: [f"p{i}" for i in range(n)],
            KEYS[1]: dirs,
            Feat.N_RECORDS: n_rec,
            Feat.RATING_POINTS_CURRENT: n_rec * 3.0,
            Feat.RATING_POINTS_PREVIOUS: 0.0,
            Feat.PERF_MEAN: 0.5,
            Feat.ABILITY: truth / 30,
        }
    )
    labels = pd.DataFrame({CC.LABEL: np.where(n_rec > 0, truth / 25, np.nan)})
    preds = pd.DataFrame(
        {
            KEYS[0]: features[KEYS[0]],
            KEYS[1]: dirs,
            CC.COMPETENCE: comp,
            CC.LOWER: np.clip(comp - 15, 0, 100),
            CC.UPPER: np.clip(comp + 15, 0, 100),
        }
    )
    return features, labels, preds, truth


def test_calibration_table_bins_and_truth() -> None:
    _, labels, preds, truth = _frames()
    table = D.calibration_table(preds, labels, truth, bins=5)
    assert set(table["direction"]) == {"python", "robotics"}
    assert table["rows"].sum() == len(preds) or (table["rows"] >= D.MIN_CELL).all()
    # the estimate is the truth plus noise: per bin the mean truth is near the mean estimate
    assert (table["mean_truth"] - table["mean_estimate"]).abs().max() < 8
    assert KEYS[0] not in table.columns  # no participant ids


def test_records_table_model_against_rating() -> None:
    features, labels, preds, truth = _frames(n=600)
    table = D.records_table(features, labels, preds, truth)
    assert set(table["records"]) == {"0", "1", "2-4", "5+"}
    assert set(table["scorer"]) == {"model", "rating_points"}
    pooled = table[(table["direction"] == D.ALL) & (table["scorer"] == "model")]
    assert (pooled["spearman_truth"] > 0.9).all()
    assert (pooled["mae_truth"] < 8).all()
    assert (pooled["bias_truth"].abs() < 3).all()  # unbiased noise, clipped at 0 and 100
    assert (pooled["coverage_truth"] > 0.9).all()  # +-15 around an error of sd 5
    rating = table[(table["direction"] == D.ALL) & (table["scorer"] == "rating_points")]
    # without records every rating is 0: no ranking at all, so no correlation to report
    assert math.isnan(rating.set_index("records").loc["0", "spearman_truth"])
    with pytest.raises(ValueError, match="unknown scorers"):
        D.records_table(features, labels, preds, truth, scorers=("nope",))


def test_distribution_table_counts_every_row() -> None:
    _, _, preds, _ = _frames()
    table = D.distribution_table(preds, bins=10)
    per = table.groupby(["direction", "quantity"])["rows"].sum()
    assert (per == 100).all()


def test_ndcg_per_query_averages_to_ranking_metrics() -> None:
    ranked = [["a", "b", "c"], ["x", "y"], ["c"]]
    relevant = [{"a", "c"}, {"q"}, {"c", "d", "e"}]
    per = ndcg_per_query(ranked, relevant, k=3)
    assert per[1] == 0.0
    assert math.isclose(per.mean(), ranking_metrics(ranked, relevant, k=3)["ndcg@3"])
    assert np.isnan(ndcg_per_query([["a"]], [set()], k=3)[0])


def test_ndcg_by_history_buckets() -> None:
    queries = pd.DataFrame(
        {
            "cutoff": "2025-02-01",
            "history": [0] * 20 + [4] * 20,
            "popular": [0.0] * 20 + [1.0] * 20,
            "ease": 0.5,
        }
    )
    table = D.ndcg_by_history(queries)
    got = table.set_index(["model", "history"])["ndcg"]
    assert got[("popular", "0 (cold)")] == 0.0 and got[("popular", "3-5")] == 1.0
    assert set(table["history"]) == {"0 (cold)", "3-5"}  # buckets without queries left out


def test_score_table_splits_chosen() -> None:
    scores = pd.DataFrame({"score": [0.0, 0.5, 1.0, 1.0], "chosen": [False, False, True, True]})
    table = D.score_table(scores, bins=2)
    assert table["chosen"].tolist() == [0, 2] and table["not_chosen"].tolist() == [1, 1]


EMPTY: dict[str, Callable[[pd.DataFrame], object]] = {
    "calibration": P.calibration_figure,
    "records": P.records_figure,
    "distributions": P.distributions_figure,
    "metrics": P.metrics_figure,
    "history": P.history_figure,
    "scores": P.scores_figure,
}


@pytest.mark.parametrize("name", sorted(EMPTY))
def test_plots_refuse_empty_input(name: str) -> None:
    with pytest.raises(EmptyInputError, match="has no rows"):
        EMPTY[name](pd.DataFrame())


def test_tables_refuse_empty_input() -> None:
    _, labels, preds, _ = _frames()
    with pytest.raises(EmptyInputError, match="predictions has no rows"):
        D.calibration_table(preds.iloc[:0], labels.iloc[:0])
    with pytest.raises(EmptyInputError, match="simulator split"):
        D.ndcg_by_history(None)
    with pytest.raises(EmptyInputError):
        D.metrics_table({})
    with pytest.raises(EmptyInputError):
        D.score_table(pd.DataFrame({"score": [np.nan], "chosen": [True]}))


def test_figures_draw_from_tables() -> None:
    features, labels, preds, truth = _frames()
    for fig in (
        P.calibration_figure(D.calibration_table(preds, labels, truth)),
        P.calibration_figure(D.calibration_table(preds, labels)),
        P.records_figure(D.records_table(features, labels, preds, truth)),
        P.records_figure(D.records_table(features, labels, preds)),
        P.distributions_figure(D.distribution_table(preds)),
    ):
        assert fig.axes
        P._pyplot().close(fig)


PLOTS = {
    "competence": {"calibration", "metric_by_records", "score_distributions"},
    "recommenders": {"metrics_per_model", "ndcg_by_history"},
    "reranker": {"rerank_scores"},
}


@pytest.fixture(scope="module")
def tracked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelineResult]:
    root = tmp_path_factory.mktemp("plots")
    config = tiny_config(root / "bundles")
    # the re-ranker too, so its score distribution is drawn
    split = config.recommend.split.model_copy(update={"models": ("popular", "ease", "rerank")})
    config = config.model_copy(
        update={"recommend": config.recommend.model_copy(update={"split": split})}
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
        mp.chdir(root)
        yield run_pipeline(config, register=False)


@pytest.mark.slow
def test_pipeline_logs_every_plot(tracked: PipelineResult) -> None:
    import mlflow

    client = mlflow.MlflowClient()
    parent = client.get_run(tracked.run_id)
    children = mlflow.search_runs(
        [parent.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{tracked.run_id}'"
    )
    by_name = dict(zip(children["tags.mlflow.runName"], children["run_id"], strict=True))
    for stage, names in PLOTS.items():
        logged = {a.path for a in client.list_artifacts(by_name[stage], "plots")}
        for name in names:
            assert {f"plots/{name}.png", f"plots/{name}.json"} <= logged, (stage, logged)
    # the tables behind the plots are aggregates: no participant id anywhere
    for stage, names in PLOTS.items():
        for name in names:
            text = Path(
                mlflow.artifacts.download_artifacts(
                    run_id=by_name[stage], artifact_path=f"plots/{name}.json"
                )
            ).read_text()
            assert '"p0' not in text, (stage, name)
    records = Path(
        mlflow.artifacts.download_artifacts(
            run_id=by_name["competence"], artifact_path="plots/metric_by_records.json"
        )
    ).read_text()
    assert "rating_points" in records and "spearman_truth" in records
