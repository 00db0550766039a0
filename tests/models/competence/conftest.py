"""A small fitted setting for competence-model tests: a synthetic world at one cut-off.

Labels here are the world's true abilities plus known noise (the model does not care where its
labels come from), so tests run in seconds without the training package's label machinery.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from features.activity_stats import ActivityStats
from features.calibration import Calibration, CalibrationConfig
from features.participant import participant_features
from footprint.columns import Columns as C
from footprint.frames import Snapshot
from models.competence.columns import CompetenceColumns as CC
from models.competence.config import BoosterConfig, CompetenceConfig
from models.competence.dataset import CompetenceDataset
from tests.features.world import make_world
from training.competence.cutoffs import fit_at

CUT = dt.datetime(2025, 12, 1)
LABEL_NOISE = 0.5


@dataclass(frozen=True)
class Setting:
    snapshot: Snapshot
    stats: ActivityStats
    calibration: Calibration
    dataset: CompetenceDataset
    truth: pd.DataFrame


def small_config(**over: object) -> CompetenceConfig:
    return CompetenceConfig(
        booster=BoosterConfig(n_estimators=60, num_leaves=15, min_child_samples=10), **over
    )  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def setting() -> Setting:
    world = make_world(n_participants=700, seed=5)
    snap = world.snapshot()
    stats, cal = fit_at(snap, CUT, CalibrationConfig(n_iter=15))
    feats = participant_features(snap.achievements, snap.participants, stats, CUT, cal)
    truth = world.truth.set_index([C.PARTICIPANT_ID, C.DIRECTION])[C.TRUE_ABILITY]
    true = truth.reindex(
        pd.MultiIndex.from_arrays(
            [feats[C.PARTICIPANT_ID].astype(object), feats[C.DIRECTION].astype(object)]
        )
    )
    rng = np.random.default_rng(1)
    label = true.to_numpy() + rng.normal(0, LABEL_NOISE, len(feats))
    label[rng.random(len(feats)) < 0.3] = np.nan  # not everyone shows up in the next window
    labels = pd.DataFrame(
        {CC.LABEL: label, CC.LABEL_SE: np.where(np.isnan(label), np.nan, LABEL_NOISE)}
    )
    return Setting(snap, stats, cal, CompetenceDataset(feats, labels), world.truth)
