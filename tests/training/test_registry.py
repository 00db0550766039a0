"""The promotion gate on registered versions with known metrics (no training needed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import joblib
import pytest

from training.bundles import record_checksum
from training.config import GatedMetric
from training.registry import (
    CHAMPION,
    PromotionError,
    export_bundle,
    promote,
    register_bundle,
    version_info,
)


def gated(model: str) -> tuple[GatedMetric, ...]:
    return (GatedMetric(name="competence.all.spearman_label.model", model=model),
            GatedMetric(name="competence.seconds.total", higher_is_better=False, tolerance=1.0,
                        model=model))


@pytest.fixture(scope="module", autouse=True)
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One tracking store for the module (creating one takes seconds); a model name per test."""
    import mlflow

    root = tmp_path_factory.mktemp("registry")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        mp.chdir(root)
        mlflow.set_tracking_uri(uri)
        yield


def _register(tmp_path: Path, tag: str, spearman: float, seconds: float = 10.0,
              snapshot: str = "snap-a", name: str = "m") -> str:
    import mlflow

    path = tmp_path / "out" / f"competence-{tag}.joblib"
    path.parent.mkdir(exist_ok=True)
    joblib.dump({"tag": tag}, path)
    sha = record_checksum(path)
    mlflow.set_experiment("pipeline")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(path), artifact_path="bundle")
        uri = mlflow.get_artifact_uri("bundle")
        return register_bundle(name, run.info.run_id, uri, path, sha, snapshot,
                               {"competence.all.spearman_label.model": spearman,
                                "competence.seconds.total": seconds})


def test_first_challenger_becomes_champion_and_is_exported(tmp_path: Path) -> None:
    name = "first_challenger_becomes_champion_and_is_exported"
    v1 = _register(tmp_path, "one", 0.60, name=name)
    result = promote(name, gated(name), export_dir=tmp_path / "serve")
    assert result.promoted and result.champion is None and result.challenger == v1
    assert (tmp_path / "serve" / "latest.txt").read_text().strip() == "competence-one.joblib"
    assert (tmp_path / "serve" / "competence-one.joblib.sha256").is_file()
    # serving's own file source finds the champion and its checksum in the exported folder
    from serving.bundles import FileSource

    ref = FileSource(tmp_path / "serve").resolve()
    assert ref.path.name == "competence-one.joblib"
    assert ref.sha256 == version_info(name, CHAMPION).sha256  # type: ignore[union-attr]


def test_gate_refuses_a_worse_model_and_accepts_a_better_one(tmp_path: Path) -> None:
    name = "gate_refuses_a_worse_model_and_accepts_a_better_one"
    v1 = _register(tmp_path, "one", 0.60, name=name)
    promote(name, gated(name))
    _register(tmp_path, "worse", 0.55, name=name)
    refused = promote(name, gated(name))
    assert not refused.promoted and refused.champion == v1
    assert [r.passed for r in refused.rows] == [False, True]
    champion = version_info(name, CHAMPION)
    assert champion is not None and champion.version == v1
    v3 = _register(tmp_path, "better", 0.62, name=name, seconds=10.5)  # slower, within tolerance
    accepted = promote(name, gated(name))
    assert accepted.promoted and accepted.champion == v1 and accepted.challenger == v3
    champion = version_info(name, CHAMPION)
    assert champion is not None and champion.version == v3


def test_different_snapshots_are_not_compared_unless_forced(tmp_path: Path) -> None:
    name = "different_snapshots_are_not_compared_unless_forced"
    import mlflow

    _register(tmp_path, "one", 0.60, name=name)
    promote(name, gated(name))
    v2 = _register(tmp_path, "other", 0.90, name=name, snapshot="snap-b")
    assert not promote(name, gated(name)).promoted
    forced = promote(name, gated(name), force=True)
    assert forced.promoted and forced.forced and not forced.same_snapshot
    runs = mlflow.search_runs(experiment_names=["promotion"])
    assert set(runs["params.force"]) == {"True", "False"}
    tags = mlflow.MlflowClient().get_model_version(name, v2).tags
    assert tags["promoted_by_force"] == "true"


def test_no_challenger_is_an_error() -> None:
    name = "no_challenger_is_an_error"
    with pytest.raises(PromotionError, match="no challenger"):
        promote(name, gated(name))


def test_export_refuses_a_tampered_registered_bundle(tmp_path: Path) -> None:
    name = "export_refuses_a_tampered_registered_bundle"
    from training.bundles import BundleIntegrityError
    from training.registry import CHALLENGER

    _register(tmp_path, "one", 0.60, name=name)
    info = version_info(name, CHALLENGER)
    assert info is not None
    local = Path(info.source.removeprefix("file://")) / info.bundle_file
    local.write_bytes(local.read_bytes()[:-5])
    with pytest.raises(BundleIntegrityError):
        export_bundle(info, tmp_path / "serve")
    assert not (tmp_path / "serve" / "latest.txt").exists()
