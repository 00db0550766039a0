"""No database password reaches MLflow: a pipeline config whose store URL holds one leaves no trace
of it in the runs' params, tags and artifacts, the registered versions or anywhere under the
tracking root; the logged config.toml still reads back, and a re-evaluation asks for
store = "default" instead of trying the hidden password."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.training.pipeline_world import tiny_config
from training.pipeline import PipelineResult, load_source, run_pipeline
from training.redaction import is_redacted, redact, redact_text, redact_url

PASSWORD = "Pa55@w/rd#tal"  # unencoded "@", "/" and "#": the hard cases
STORE = f"postgresql+psycopg://talent:{PASSWORD}@db.internal:5432/talent"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg://user:secret@host/db", "postgresql+psycopg://user:***@host/db"),
        (STORE, "postgresql+psycopg://talent:***@db.internal:5432/talent"),
        (
            "postgresql://h:5432/db?sslmode=require&password=x&user=u",
            "postgresql://h:5432/db?sslmode=require&password=***&user=u",
        ),
        ("postgresql://user@host/db", "postgresql://user@host/db"),
        ("sqlite:////tmp/a@b.db", "sqlite:////tmp/a@b.db"),
        ("sqlite:///C:/data/x@y.db", "sqlite:///C:/data/x@y.db"),
        ("default", "default"),
        ("data/snapshots/abc", "data/snapshots/abc"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected
    assert is_redacted(redact_url(url)) == (expected != url)


def test_redact_nested_data_and_text() -> None:
    from sqlalchemy.engine import make_url

    data: dict[str, Any] = {
        "snapshot": {"store": STORE, "as_of": "2026-01-01"},
        "n": 3,
        "models": ["a", STORE],
        "auth": {"password": "x"},
    }
    out = redact(data)
    assert PASSWORD not in str(out) and out["auth"] == {"password": "***"}
    assert out["n"] == 3 and out["models"][0] == "a"
    assert data["snapshot"]["store"] == STORE  # the input is not modified
    # the same form make_url writes for an ordinary password
    url = "postgresql+psycopg://u:plain@h:5432/d"
    assert redact_url(url) == make_url(url).render_as_string(hide_password=True)
    text = f"store {STORE}, and 'http://a:b@c/x'."
    assert redact_text(text) == (
        "store postgresql+psycopg://talent:***@db.internal:5432/talent, and 'http://a:***@c/x'."
    )


@pytest.fixture(scope="module")
def tracked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PipelineResult, Path]]:
    """The tiny pipeline with a password in its store URL, on the simulated world's snapshot
    (handed in: there is no database behind the URL), tracked and registered."""
    root = tmp_path_factory.mktemp("redaction")
    world = tiny_config(root / "bundles")
    loaded = load_source(world.snapshot)
    config = tiny_config(
        root / "bundles", snapshot={"store": STORE, "as_of": "2026-06-01T00:00:00"}
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
        mp.chdir(root)
        yield run_pipeline(config, loaded=loaded), root


def _forms() -> list[bytes]:
    return [
        PASSWORD.encode(),
        urllib.parse.quote(PASSWORD, safe="").encode(),
        urllib.parse.quote_plus(PASSWORD).encode(),
    ]


def test_no_password_in_runs_artifacts_or_registry(
    tracked: tuple[PipelineResult, Path], tmp_path: Path
) -> None:
    import mlflow

    result, root = tracked
    assert result.run_id is not None
    client = mlflow.MlflowClient()
    parent = client.get_run(result.run_id)
    runs = mlflow.search_runs([parent.info.experiment_id], output_format="list")
    assert len(runs) >= 7  # the parent and its stages
    for run in runs:
        text = str(run.data.params) + str(run.data.tags) + str(run.info.run_name)
        assert not any(f.decode() in text for f in _forms()), run.info.run_name
        folder = Path(
            mlflow.artifacts.download_artifacts(
                run_id=run.info.run_id, dst_path=str(tmp_path / run.info.run_id)
            )
        )
        for path in folder.rglob("*"):
            if path.is_file():
                assert not any(f in path.read_bytes() for f in _forms()), path
    versions = client.search_model_versions()
    assert {v.name for v in versions} == {"talent-competence", "talent-recommend"}
    for version in versions:
        assert not any(f.decode() in str(version.tags) + str(version.source) for f in _forms())
    # the tracking database and every file under the tracking root, whatever MLflow keeps
    for path in root.rglob("*"):
        if path.is_file():
            assert not any(f in path.read_bytes() for f in _forms()), path
    # the store is still named, with the password hidden, in config.toml and the params
    config = mlflow.artifacts.load_text(f"runs:/{result.run_id}/config.toml")
    assert 'store = "postgresql+psycopg://talent:***@db.internal:5432/talent"' in config


def test_logged_config_reads_back_and_reevaluation_asks_for_the_default_store(
    tracked: tuple[PipelineResult, Path],
) -> None:
    from training.reevaluate import SnapshotRebuildError, logged_config, rebuild_snapshot
    from training.registry import CHALLENGER, version_info

    result, _ = tracked
    assert result.run_id is not None
    config = logged_config(result.run_id, "the run")
    assert config.snapshot.store is not None and is_redacted(config.snapshot.store)
    info = version_info("talent-competence", CHALLENGER)
    assert info is not None
    with pytest.raises(
        SnapshotRebuildError, match=r'store = "default" with the URL in TALENT_DATABASE_URL'
    ):
        rebuild_snapshot(info)
