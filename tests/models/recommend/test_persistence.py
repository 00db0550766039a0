"""The recommender file: a header and a zlib-compressed pickle; files joblib wrote before still
load; a damaged or foreign file is a clear error."""

from __future__ import annotations

from pathlib import Path

import joblib
import pandas as pd
import pytest

from footprint.errors import TalentError
from models.recommend.base import BUNDLE_HEADER, Recommender
from models.recommend.dataset import RecommendDataset
from models.recommend.popular import PopularRecommender


@pytest.fixture
def model(tiny: RecommendDataset) -> PopularRecommender:
    return PopularRecommender().fit(tiny)


def _answers(model: Recommender, dataset: RecommendDataset) -> pd.DataFrame:
    return model.recommend(list(dataset.participant_ids[:5]), k=3)


def test_save_writes_the_header_and_load_reads_it_back(
    model: PopularRecommender, tiny: RecommendDataset, tmp_path: Path,
) -> None:
    path = model.save(tmp_path / "popular.joblib")
    assert path.read_bytes().startswith(BUNDLE_HEADER)
    pd.testing.assert_frame_equal(_answers(Recommender.load(path), tiny), _answers(model, tiny))


@pytest.mark.parametrize("piece", [1, 7, 4096])
def test_the_file_is_read_back_in_pieces(
    model: PopularRecommender, tiny: RecommendDataset, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, piece: int,
) -> None:
    """Loading inflates the stream a piece at a time (the GIL is released between pieces): any
    piece size gives the same model, whatever the unpickler's read sizes."""
    import models.recommend.base as base

    path = model.save(tmp_path / "popular.joblib")
    monkeypatch.setattr(base, "READ_PIECE", piece)
    pd.testing.assert_frame_equal(_answers(Recommender.load(path), tiny), _answers(model, tiny))


@pytest.mark.parametrize("keep", [60, 100, 1000, -1])
def test_a_truncated_stream_is_refused_as_damaged(
    model: PopularRecommender, tmp_path: Path, keep: int,
) -> None:
    path = model.save(tmp_path / "popular.joblib")
    data = path.read_bytes()
    path.write_bytes(data[:keep] if keep > 0 else data[:-3])
    with pytest.raises(TalentError, match="is damaged"):
        Recommender.load(path)


@pytest.mark.parametrize("piece", [1, 1 << 20])
def test_a_wrong_stream_checksum_is_refused_as_damaged(
    model: PopularRecommender, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece: int,
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


def test_a_file_joblib_wrote_still_loads(
    model: PopularRecommender, tiny: RecommendDataset, tmp_path: Path,
) -> None:
    path = tmp_path / "old.joblib"
    joblib.dump({"class": "PopularRecommender", "model": model}, path, compress=3)
    pd.testing.assert_frame_equal(_answers(PopularRecommender.load(path), tiny),
                                  _answers(model, tiny))


def test_a_truncated_file_is_refused_as_damaged(
    model: PopularRecommender, tmp_path: Path,
) -> None:
    path = model.save(tmp_path / "popular.joblib")
    path.write_bytes(path.read_bytes()[: len(BUNDLE_HEADER) + 100])
    with pytest.raises(TalentError, match="is damaged"):
        Recommender.load(path)


def test_a_file_of_another_class_is_refused(model: PopularRecommender, tmp_path: Path) -> None:
    from models.recommend.ease import EASERecommender

    path = model.save(tmp_path / "popular.joblib")
    with pytest.raises(TalentError, match="does not hold a EASERecommender"):
        EASERecommender.load(path)


def test_a_loaded_re_ranker_is_freed_with_its_dataset_by_reference_counting(
    sim_dataset: RecommendDataset, tmp_path: Path,
) -> None:
    """A serving worker switching bundles drops the old one: nothing (no cache, no reference
    cycle) may keep it or its dataset alive. The re-ranker's edition-size cache held datasets
    strongly before."""
    import gc
    import weakref

    from models.recommend.als import ALSConfig
    from models.recommend.rerank import RerankConfig, RerankRecommender

    config = RerankConfig(n_estimators=10, max_groups=1_000, als=ALSConfig(factors=8, iterations=3))
    path = RerankRecommender(config).fit(sim_dataset).save(tmp_path / "rerank.joblib")
    loaded = Recommender.load(path)
    assert len(_answers(loaded, loaded.dataset_)) > 0  # every cache filled
    model_ref, dataset_ref = weakref.ref(loaded), weakref.ref(loaded.dataset_)
    gc.disable()  # reference counting alone
    try:
        del loaded
        assert model_ref() is None and dataset_ref() is None
    finally:
        gc.enable()


def test_a_re_ranker_is_saved_without_its_decision_points(
    sim_dataset: RecommendDataset, tmp_path: Path,
) -> None:
    """The decision points only feed the fit; the file leaves them out, the answers (and
    plans' dataset) stay the same, and the dataset shared by the re-ranker and its base models is
    still one object after loading."""
    from models.recommend.als import ALSConfig
    from models.recommend.rerank import RerankConfig, RerankRecommender

    assert sim_dataset.decisions
    config = RerankConfig(n_estimators=10, max_groups=1_000, als=ALSConfig(factors=8, iterations=3))
    fitted = RerankRecommender(config).fit(sim_dataset)
    path = fitted.save(tmp_path / "rerank.joblib")
    loaded = Recommender.load(path)
    assert isinstance(loaded, RerankRecommender)
    assert loaded.dataset_.decisions == ()
    assert fitted.dataset_.decisions, "saving must not change the fitted model"
    assert all(base.dataset_ is loaded.dataset_ for base in loaded.bases_.values())
    assert loaded.dataset_.item_ids is loaded.bases_["content"].item_ids_
    pids = list(sim_dataset.participant_ids[::50][:20])
    for as_of in (None, sim_dataset.as_of):
        pd.testing.assert_frame_equal(loaded.recommend(pids, k=5, as_of=as_of),
                                      fitted.recommend(pids, k=5, as_of=as_of))
    # smaller than the same model pickled with its decision points
    import pickle
    import zlib
    whole = zlib.compress(pickle.dumps({"class": "RerankRecommender", "model": fitted},
                                       protocol=5), 3)
    assert path.stat().st_size < 0.8 * len(whole)
