"""The recommender bundle as an MLflow pyfunc model answers what the library answers."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
import pytest

from core.errors import TalentError
from footprint.columns import Columns as C
from models.recommend.columns import RECOMMENDATION_COLUMNS
from models.recommend.columns import RecColumns as RC
from models.recommend.dataset import dataset_from_snapshot
from models.recommend.popular import PopularRecommender
from tests.models.recommend.conftest import TINY_AS_OF, tiny_snapshot
from training.pyfunc import log_recommender


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    model = PopularRecommender().fit(dataset_from_snapshot(tiny_snapshot(), TINY_AS_OF))
    return model.save(tmp_path / "popular.joblib")


@pytest.fixture
def tracking(tmp_path: Path) -> None:
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlflow.set_experiment("pyfunc-test")


def test_pyfunc_answers_like_the_library(bundle: Path, tracking: None, tmp_path: Path) -> None:
    from footprint.snapshot import load_snapshot, write_snapshot

    tiny = tiny_snapshot()
    frames = {
        name: getattr(tiny, name)
        for name in (
            "participants",
            "activities",
            "activity_directions",
            "activity_edges",
            "achievements",
        )
    }
    folder = write_snapshot(frames, TINY_AS_OF, tmp_path / "snapshots")
    with mlflow.start_run():
        uri = log_recommender(bundle, snapshot=folder)
    model = mlflow.pyfunc.load_model(uri)
    ids = [*tiny_snapshot().participants[C.PARTICIPANT_ID].astype(str)[:3], "never-seen"]
    got = model.predict(pd.DataFrame({C.PARTICIPANT_ID: ids}), params={"k": 2})
    snap = load_snapshot(folder)
    want = PopularRecommender.load(bundle).recommend(
        ids, k=2, dataset=dataset_from_snapshot(snap, snap.as_of)
    )
    assert list(got.columns) == list(RECOMMENDATION_COLUMNS)
    assert got[C.ACTIVITY_ID].tolist() == want[C.ACTIVITY_ID].tolist()
    assert got[RC.SCORE].tolist() == pytest.approx(want[RC.SCORE].tolist())
    assert got[RC.REASON_CODES].tolist() == [list(c) for c in want[RC.REASON_CODES]]
    # k and the request instant are params; an empty as_of is the bundle's cut-off
    assert (
        len(model.predict(pd.DataFrame({C.PARTICIPANT_ID: ids[:1]}), params={"k": 1, "as_of": ""}))
        == 1
    )


def test_a_file_that_is_not_a_recommender_is_refused(tmp_path: Path, tracking: None) -> None:
    wrong = tmp_path / "wrong.joblib"
    wrong.write_bytes(b"not a bundle")
    with mlflow.start_run(), pytest.raises(Exception):  # noqa: B017 - joblib's own error
        log_recommender(wrong)
    with pytest.raises(TalentError):
        log_recommender(tmp_path / "missing.joblib")
