"""The competence model: the shared contract, the 0-100 scale, intervals, bands, cold start."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from core.errors import ConfigError
from features.schema import Feat
from footprint.columns import Columns as C
from models.competence.columns import CompetenceColumns as CC
from models.competence.config import Bands, load_bands
from models.competence.dataset import CompetenceDataset
from models.competence.model import PREDICTION_COLUMNS, CompetenceModel, band_of
from tests.models.competence.conftest import Setting, small_config
from tests.models.competence.contract import EstimatorContract


class TestCompetenceContract(EstimatorContract):
    columns = PREDICTION_COLUMNS

    @pytest.fixture(autouse=True)
    def _setting(self, setting: Setting) -> None:
        self.setting = setting

    def make_model(self) -> CompetenceModel:
        return CompetenceModel(small_config())

    def data(self) -> Any:
        return self.setting.dataset

    def predict_input(self) -> pd.DataFrame:
        return self.setting.dataset.features.head(60)


@pytest.fixture(scope="module")
def fitted(setting: Setting) -> CompetenceModel:
    return CompetenceModel(small_config()).fit(setting.dataset)


def test_scale_interval_and_band_are_consistent(fitted: CompetenceModel, setting: Setting) -> None:
    out = fitted.predict(setting.dataset.features)
    comp, lo, hi = (out[c].to_numpy() for c in (CC.COMPETENCE, CC.LOWER, CC.UPPER))
    assert ((lo >= 0) & (lo <= comp) & (comp <= hi) & (hi <= 100)).all()
    # on the reference population the scale is close to uniform (a population percentile)
    assert abs(np.median(comp) - 50) < 10
    band = band_of(comp, fitted.config.bands)
    assert (np.diff(band[np.argsort(comp)]) >= 0).all()
    assert set(out[CC.LEVEL]) <= {b.code for b in fitted.config.bands.band}


def test_cold_start_is_flagged_with_a_wider_interval(
    fitted: CompetenceModel, setting: Setting
) -> None:
    out = fitted.predict(setting.dataset.features)
    cold = out[CC.COLD_START].to_numpy()
    assert cold.any() and (~cold).any()
    np.testing.assert_array_equal(cold, setting.dataset.features[Feat.N_RECORDS].to_numpy() == 0)
    width = (out[CC.UPPER] - out[CC.LOWER]).to_numpy()
    many = setting.dataset.features[Feat.N_RECORDS].to_numpy() >= 5
    assert np.median(width[cold]) > 1.5 * np.median(width[many])


def test_estimates_track_the_truth(fitted: CompetenceModel, setting: Setting) -> None:
    feats = setting.dataset.features
    out = fitted.predict(feats)
    truth = setting.truth.set_index([C.PARTICIPANT_ID, C.DIRECTION])[C.TRUE_ABILITY]
    true = truth.reindex(
        pd.MultiIndex.from_arrays(
            [feats[C.PARTICIPANT_ID].astype(object), feats[C.DIRECTION].astype(object)]
        )
    )
    many = feats[Feat.N_RECORDS].to_numpy() >= 5
    rho = pd.Series(out[CC.COMPETENCE].to_numpy()[many]).corr(
        pd.Series(true.to_numpy()[many]), method="spearman"
    )
    assert rho > 0.6


def test_unknown_directions_are_dropped(fitted: CompetenceModel, setting: Setting) -> None:
    feats = setting.dataset.features.head(6).copy()
    feats[C.DIRECTION] = pd.array(["python", "chess"] * 3, dtype="string")
    out = fitted.predict(feats)
    assert list(out[C.DIRECTION]) == ["python"] * 3


def test_too_few_labels_skip_a_direction(setting: Setting) -> None:
    labels = setting.dataset.labels.copy()
    labels.loc[(setting.dataset.features[C.DIRECTION] == "robotics").to_numpy(), CC.LABEL] = np.nan
    model = CompetenceModel(small_config()).fit(CompetenceDataset(setting.dataset.features, labels))
    assert "robotics" not in model.directions_ and "python" in model.directions_


def test_bands_are_data() -> None:
    bands = load_bands()
    assert bands.band[0].lower == 0
    with pytest.raises(ValueError):
        Bands.model_validate({"band": [{"code": "a", "title_ru": "а", "lower": 10}]})
    with pytest.raises(ConfigError):
        load_bands(__import__("pathlib").Path("/nonexistent/bands.toml"))
    assert list(band_of(np.array([0.0, 24.9, 25.0, 99.0]), bands)) == [0, 0, 1, 4]


def test_ability_is_served_where_lightgbm_adds_nothing(setting: Setting) -> None:
    """Labels that are exactly a line in the calibrated ability: LightGBM cannot beat the ability
    on the held-out participants, so the direction serves the ability (issue 15, item 6)."""
    feats = setting.dataset.features
    labels = setting.dataset.labels.copy()
    theta = feats[Feat.ABILITY].to_numpy(float)
    labels[CC.LABEL] = np.where(np.isfinite(labels[CC.LABEL]), 0.5 + 2.0 * theta, np.nan)
    model = CompetenceModel(small_config()).fit(CompetenceDataset(feats, labels))
    assert set(model.estimators.values()) == {"ability"}
    fit = model.fits_["python"]
    assert fit.ability_map == pytest.approx((0.5, 2.0), abs=1e-6)
    rows = feats[feats[C.DIRECTION] == "python"].head(20)
    out = model.predict(rows)
    np.testing.assert_allclose(out[CC.VALUE], 0.5 + 2.0 * rows[Feat.ABILITY], atol=1e-9)
    contrib = model.contributions(rows, "python")
    np.testing.assert_allclose(contrib.sum(axis=1), out[CC.VALUE], atol=1e-9)
    assert np.count_nonzero(contrib[:, :-1].any(axis=0)) == 1  # only the ability moves it
    off = CompetenceModel(small_config(ability_fallback=False)).fit(
        CompetenceDataset(feats, labels)
    )
    assert set(off.estimators.values()) == {"lightgbm"}


def test_rows_resting_on_other_directions_follow_them_when_that_validates(setting: Setting) -> None:
    """Labels of participants with no record in a direction but records in others are a line in
    their mean ability elsewhere: the model serves that line for them (and says so in the
    contributions), and keeps LightGBM for everyone else."""
    feats = setting.dataset.features
    labels = setting.dataset.labels.copy()
    other = feats[Feat.ABILITY_OTHER].to_numpy(float)
    rest = ((feats[Feat.N_RECORDS] == 0) & (feats[Feat.N_DIRECTIONS] > 0)).to_numpy()
    labels.loc[rest, CC.LABEL] = 0.3 + 1.5 * other[rest]
    labels.loc[rest, CC.LABEL_SE] = 0.5
    # half the participants held out: enough of the ~100 such rows a direction to compare on
    model = CompetenceModel(small_config(holdout_share=0.5)).fit(CompetenceDataset(feats, labels))
    fit = model.fits_["python"]
    assert fit.other_map == pytest.approx((0.3, 1.5), abs=1e-6)
    rows = feats[(feats[C.DIRECTION] == "python").to_numpy() & rest].head(10)
    out = model.predict(rows)
    np.testing.assert_allclose(out[CC.VALUE], 0.3 + 1.5 * rows[Feat.ABILITY_OTHER], atol=1e-9)
    np.testing.assert_allclose(
        model.contributions(rows, "python").sum(axis=1), out[CC.VALUE], atol=1e-9
    )
