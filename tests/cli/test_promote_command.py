"""``talent promote --config``: every gated model with its own gate, each champion exported to its
own folder, and the champion re-evaluated on the challenger's snapshot when they differ.

Two tiny pipeline runs on different simulated worlds (and a re-evaluation run) in one tracking
store; about a minute on two cores.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import joblib
import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.training.pipeline_world import promotable_config, write_config
from training.bundles import file_sha256, record_checksum
from training.config import PipelineConfig
from training.pipeline import PipelineResult, run_pipeline
from training.registry import (
    CHAMPION,
    metric_key,
    register_bundle,
    version_info,
)

runner = CliRunner()
COMPETENCE, RECOMMEND = "talent-competence", "talent-recommend"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    import mlflow

    root = tmp_path_factory.mktemp("promote")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        mp.setenv("TALENT_DATA_DIR", str(root / "data"))
        mp.chdir(root)
        mlflow.set_tracking_uri(uri)
        yield root


def _promote(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["promote", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def first(root: Path) -> tuple[PipelineConfig, PipelineResult, int, str]:
    """World A trained and promoted: both models' first champions."""
    cfg = promotable_config(root / "bundles", world_seed=3)
    result = run_pipeline(cfg)
    code, out = _promote("--config", str(write_config(cfg, root / "a.toml")))
    return cfg, result, code, out


@pytest.mark.slow
def test_promote_handles_and_exports_every_gated_model(
    root: Path, first: tuple[PipelineConfig, PipelineResult, int, str]
) -> None:
    _, result, code, out = first
    assert code == 0, out
    assert f"{COMPETENCE}: champion" in out and f"{RECOMMEND}: champion" in out
    for name, folder in ((COMPETENCE, "competence"), (RECOMMEND, "recommend")):
        champion = version_info(name, CHAMPION)
        assert champion is not None and champion.version == result.versions[name]
        served = root / "data" / "models" / folder
        bundle = served / (served / "latest.txt").read_text().strip()
        assert bundle.name == champion.bundle_file
        assert file_sha256(bundle) == champion.sha256
        assert (served / f"{bundle.name}.sha256").read_text().split()[0] == champion.sha256


def test_model_option_restricts_to_one_and_an_unknown_model_is_an_error(
    root: Path, first: tuple[PipelineConfig, PipelineResult, int, str]
) -> None:
    config = str(root / "a.toml")
    code, out = _promote("--config", config, "--model", RECOMMEND)
    assert code == 0 and "is already the champion" in out
    assert RECOMMEND in out and COMPETENCE not in out
    code, out = _promote("--config", config, "--model", "talent-nothing")
    assert code == 2 and "no gated metric" in out


def test_reevaluation_compares_on_the_challengers_snapshot(
    root: Path, first: tuple[PipelineConfig, PipelineResult, int, str]
) -> None:
    import mlflow

    _, result_a, _, _ = first
    # a challenger on another world (another snapshot) with other competence settings
    cfg_b = promotable_config(root / "bundles", world_seed=4)
    booster = cfg_b.competence.model.booster.model_copy(update={"n_estimators": 30})
    model = cfg_b.competence.model.model_copy(update={"booster": booster})
    cfg_b = cfg_b.model_copy(
        update={"competence": cfg_b.competence.model_copy(update={"model": model})}
    )
    result_b = run_pipeline(cfg_b)
    assert result_b.snapshot_id != result_a.snapshot_id
    config = str(write_config(cfg_b, root / "b.toml"))

    code, out = _promote("--config", config, "--no-reevaluate")
    assert code == 1 and "different snapshots" in out
    for name in (COMPETENCE, RECOMMEND):
        assert version_info(name, CHAMPION).version == result_a.versions[name]  # type: ignore[union-attr]

    code, out = _promote("--config", config)
    assert code in (0, 1), out
    assert "re-evaluated on the challenger's snapshot" in out
    decisions = mlflow.search_runs(experiment_names=["promotion"])
    decisions = decisions[decisions["params.reevaluation_run"].fillna("none") != "none"]
    assert sorted(decisions["params.model"]) == [COMPETENCE, RECOMMEND]
    assert set(decisions["params.same_snapshot"]) == {"True"}
    # one re-evaluation run served both models (they come from the same pipeline run)
    (rerun_id,) = set(decisions["params.reevaluation_run"])
    rerun = mlflow.MlflowClient().get_run(rerun_id)
    assert rerun.data.tags["snapshot_id"] == result_b.snapshot_id
    labels = rerun.data.tags["reevaluation_of"]
    for name in (COMPETENCE, RECOMMEND):
        assert f"{name} v{result_a.versions[name]}" in labels
    # the champion's own config (20 rounds), not the challenger's (30), on the challenger's data
    assert rerun.data.params["competence.model.booster.n_estimators"] == "20"
    assert rerun.data.tags["reevaluation.champion_run"] == result_a.run_id
    # the recommender split does not depend on the competence settings: on the same snapshot
    # the re-run reproduces the challenger's figures exactly, so both were evaluated alike
    key = metric_key("recommend.popular.ndcg@10")
    assert rerun.data.metrics[key] == pytest.approx(result_b.metrics["recommend.popular.ndcg@10"])
    # the gate compared the challenger with the re-run's figures, not the champion's old ones
    for _, row in decisions.iterrows():
        table = json.loads(
            Path(
                mlflow.artifacts.download_artifacts(
                    run_id=row["run_id"], artifact_path="comparison.json"
                )
            ).read_text()
        )
        for gate_row in table["rows"]:
            assert gate_row["champion"] == pytest.approx(
                rerun.data.metrics[metric_key(gate_row["metric"])]
            )
    competence_key = metric_key("competence.all.spearman_label.model")
    assert rerun.data.metrics[competence_key] != pytest.approx(
        result_a.metrics["competence.all.spearman_label.model"]
    )  # another snapshot, other figures
    # nothing was registered by the re-evaluation
    client = mlflow.MlflowClient()
    assert len(client.search_model_versions(f"name = '{COMPETENCE}'")) == 2
    # every evaluated recommender candidate was registered by each of the two runs
    assert (
        len(client.search_model_versions(f"name = '{RECOMMEND}'"))
        == len(result_a.candidates) + len(result_b.candidates)
        == 4
    )
    # each model moved (or not) on its own gate; the exit code says whether any was refused
    passed = {
        row["params.model"]: row["metrics.gate_passed"] == 1.0 for _, row in decisions.iterrows()
    }
    for name, ok in passed.items():
        champion = version_info(name, CHAMPION)
        assert champion is not None
        assert champion.version == (result_b if ok else result_a).versions[name]
    assert code == (0 if all(passed.values()) else 1)


def _register(root: Path, name: str, tag: str, metrics: dict[str, float]) -> str:
    import mlflow

    path = root / "fake" / f"{name}-{tag}.joblib"
    path.parent.mkdir(exist_ok=True)
    joblib.dump({"tag": tag}, path)
    sha = record_checksum(path)
    mlflow.set_experiment("pipeline")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(path), artifact_path="bundle")
        return register_bundle(
            name, run.info.run_id, mlflow.get_artifact_uri("bundle"), path, sha, "snap-x", metrics
        )


def test_each_model_has_its_own_gate_and_any_refusal_exits_1(root: Path) -> None:
    comp, rec = "x-competence", "x-recommend"
    cfg = promotable_config(root / "bundles")
    gated = [
        {"name": "competence.all.spearman_label.model", "model": comp},
        {"name": "recommend.popular.ndcg@10", "model": rec},
    ]
    cfg = cfg.model_copy(
        update={
            "promotion": cfg.promotion.model_validate(
                {"competence_model": comp, "recommend_model": rec, "gated": gated}
            )
        }
    )
    config = str(write_config(cfg, root / "x.toml"))
    spearman = "competence.all.spearman_label.model"
    _register(root, comp, "one", {spearman: 0.6})
    code, _ = _promote("--config", config, "--model", comp, "--export-dir", str(root / "xc"))
    assert code == 0
    _register(root, comp, "worse", {spearman: 0.5})
    _register(root, rec, "one", {"recommend.popular.ndcg@10": 0.3})
    code, out = _promote(
        "--config",
        config,
        "--export-dir",
        str(root / "xc"),
        "--recommend-export-dir",
        str(root / "xr"),
    )
    assert code == 1, out
    assert f"not promoted: {comp}" in out and f"promoted: {rec}" in out
    assert (root / "xc" / "latest.txt").read_text().strip() == f"{comp}-one.joblib"
    assert (root / "xr" / "latest.txt").read_text().strip() == f"{rec}-one.joblib"
    assert version_info(rec, CHAMPION) is not None
