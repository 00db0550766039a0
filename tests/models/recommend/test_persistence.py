"""The recommender file: a header and a zlib-compressed pickle of the fitted parameters (no
dataset); files of the earlier, dataset-carrying shape are refused; a damaged or foreign file is a
clear error."""

from __future__ import annotations

from pathlib import Path

import joblib
import pandas as pd
import pytest

from core.errors import TalentError
from models.recommend.base import BUNDLE_HEADER, Recommender
from models.recommend.dataset import DecisionPoint, RecommendDataset
from models.recommend.popular import PopularRecommender


@pytest.fixture
def model(tiny: RecommendDataset) -> PopularRecommender:
    return PopularRecommender().fit(tiny)


def _answers(model: Recommender, dataset: RecommendDataset) -> pd.DataFrame:
    return model.recommend(list(dataset.participant_ids[:5]), k=3, dataset=dataset)


def test_save_writes_the_header_and_load_reads_it_back(
    model: PopularRecommender,
    tiny: RecommendDataset,
    tmp_path: Path,
) -> None:
    path = model.save(tmp_path / "popular.joblib")
    assert path.read_bytes().startswith(BUNDLE_HEADER)
    pd.testing.assert_frame_equal(_answers(Recommender.load(path), tiny), _answers(model, tiny))


@pytest.mark.parametrize("piece", [1, 7, 4096])
def test_the_file_is_read_back_in_pieces(
    model: PopularRecommender,
    tiny: RecommendDataset,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    piece: int,
) -> None:
    """Loading inflates the stream a piece at a time (the GIL is released between pieces): any
    piece size gives the same model, whatever the unpickler's read sizes."""
    import models.recommend.base as base

    path = model.save(tmp_path / "popular.joblib")
    monkeypatch.setattr(base, "READ_PIECE", piece)
    pd.testing.assert_frame_equal(_answers(Recommender.load(path), tiny), _answers(model, tiny))


@pytest.mark.parametrize("keep", [0.1, 0.3, 0.7, -1])
def test_a_truncated_stream_is_refused_as_damaged(
    model: PopularRecommender,
    tmp_path: Path,
    keep: float,
) -> None:
    # a parameters-only popularity model is a few hundred bytes: cut at shares of its length
    path = model.save(tmp_path / "popular.joblib")
    data = path.read_bytes()
    path.write_bytes(
        data[: max(int(keep * len(data)), len(BUNDLE_HEADER) + 1)] if keep > 0 else data[:-3]
    )
    with pytest.raises(TalentError, match="is damaged"):
        Recommender.load(path)


@pytest.mark.parametrize("piece", [1, 1 << 20])
def test_a_wrong_stream_checksum_is_refused_as_damaged(
    model: PopularRecommender,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    piece: int,
) -> None:
    """The last bytes are the stream's checksum, read after the model itself (with one-byte
    pieces the unpickler never reads that far on its own)."""
    import models.recommend.base as base

    monkeypatch.setattr(base, "READ_PIECE", piece)
    path = model.save(tmp_path / "popular.joblib")
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(TalentError, match="is damaged"):
        Recommender.load(path)


@pytest.mark.parametrize("shape", ["joblib", "pickle5+zlib"])
def test_a_file_of_the_dataset_carrying_shape_is_refused(
    model: PopularRecommender,
    tmp_path: Path,
    shape: str,
) -> None:
    """Files written before 2026-12-03 carried the training dataset (participant ids and
    histories): they are refused with the way out (retrain), never loaded."""
    import pickle
    import zlib

    path = tmp_path / "old.joblib"
    if shape == "joblib":
        joblib.dump({"class": "PopularRecommender", "model": model}, path, compress=3)
    else:
        payload = pickle.dumps({"class": "PopularRecommender", "model": model}, protocol=5)
        path.write_bytes(b"talent-recommender pickle5+zlib\n" + zlib.compress(payload))
    with pytest.raises(TalentError, match="retrain"):
        PopularRecommender.load(path)


def test_a_truncated_file_is_refused_as_damaged(
    model: PopularRecommender,
    tmp_path: Path,
) -> None:
    path = model.save(tmp_path / "popular.joblib")
    path.write_bytes(path.read_bytes()[: len(BUNDLE_HEADER) + 20])
    with pytest.raises(TalentError, match="is damaged"):
        Recommender.load(path)


def test_a_file_of_another_class_is_refused(model: PopularRecommender, tmp_path: Path) -> None:
    from models.recommend.ease import EASERecommender

    path = model.save(tmp_path / "popular.joblib")
    with pytest.raises(TalentError, match="does not hold a EASERecommender"):
        EASERecommender.load(path)


def test_a_loaded_re_ranker_is_freed_by_reference_counting(
    sim_dataset: RecommendDataset,
    sim_decisions: tuple[DecisionPoint, ...],
    tmp_path: Path,
) -> None:
    """A serving worker switching bundles drops the old one: nothing (no cache, no reference
    cycle) may keep it alive, and the values derived from a dataset live on that dataset, not
    in the model (the re-ranker's edition-size cache held datasets strongly before)."""
    import gc
    import weakref

    from models.recommend.als import ALSConfig
    from models.recommend.rerank import RerankConfig, RerankRecommender

    config = RerankConfig(n_estimators=10, max_groups=1_000, als=ALSConfig(factors=8, iterations=3))
    path = (
        RerankRecommender(config).fit(sim_dataset, sim_decisions).save(tmp_path / "rerank.joblib")
    )
    loaded = Recommender.load(path)
    assert len(_answers(loaded, sim_dataset)) > 0  # every cache filled
    model_ref = weakref.ref(loaded)
    gc.disable()  # reference counting alone
    try:
        del loaded
        assert model_ref() is None
    finally:
        gc.enable()


def test_a_re_ranker_fitted_on_other_features_is_refused_with_a_clear_error(
    sim_dataset: RecommendDataset,
    sim_decisions: tuple[DecisionPoint, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bundle from a version with another feature list must not reach LightGBM's bare shape
    error (the service's smoke check shows this message when it refuses the bundle)."""
    import models.recommend.rerank as rerank
    from models.recommend.als import ALSConfig

    config = rerank.RerankConfig(
        n_estimators=10, max_groups=1_000, als=ALSConfig(factors=8, iterations=3)
    )
    path = (
        rerank.RerankRecommender(config)
        .fit(sim_dataset, sim_decisions)
        .save(tmp_path / "rerank.joblib")
    )
    loaded = Recommender.load(path)
    assert len(_answers(loaded, sim_dataset)) > 0  # this version's own features: answers
    monkeypatch.setattr(rerank, "FEATURES", (*rerank.FEATURES, "added_later"))
    with pytest.raises(TalentError, match=r"added_later differ.*retrain"):
        _answers(loaded, sim_dataset)


def test_a_re_ranker_file_holds_no_dataset(
    sim_dataset: RecommendDataset,
    sim_decisions: tuple[DecisionPoint, ...],
    tmp_path: Path,
) -> None:
    """The re-ranker and its base models are saved without any dataset (the one they were
    fitted on, its decision points): the answers on the same data stay the same, and the file is
    a fraction of the model pickled with its training dataset (the shape before 2026-12-03)."""
    import pickle
    import zlib

    from models.recommend.als import ALSConfig
    from models.recommend.rerank import RerankConfig, RerankRecommender

    config = RerankConfig(n_estimators=10, max_groups=1_000, als=ALSConfig(factors=8, iterations=3))
    fitted = RerankRecommender(config).fit(sim_dataset, sim_decisions)
    path = fitted.save(tmp_path / "rerank.joblib")
    loaded = Recommender.load(path)
    assert isinstance(loaded, RerankRecommender)
    for model in (loaded, *loaded.bases_.values()):
        assert not any(isinstance(v, RecommendDataset) for v in vars(model).values())
    assert loaded.ability_model is not None  # the content feature's item parameters
    pids = list(sim_dataset.participant_ids[::50][:20])
    for as_of in (None, sim_dataset.as_of):
        pd.testing.assert_frame_equal(
            loaded.recommend(pids, k=5, as_of=as_of, dataset=sim_dataset),
            fitted.recommend(pids, k=5, as_of=as_of),
        )
    with_data = zlib.compress(
        pickle.dumps(
            {"model": fitted, "data": sim_dataset, "decisions": sim_decisions}, protocol=5
        ),
        3,
    )
    assert path.stat().st_size < 0.5 * len(with_data)
