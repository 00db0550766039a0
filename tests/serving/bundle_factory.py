"""A tiny real competence bundle for serving tests, trained in seconds on the features' synthetic
world (labels: the true abilities plus noise, as in the competence model's own tests)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from features.calibration import CalibrationConfig
from features.participant import participant_features
from features.schema import SCHEMA_VERSION, schema_hash
from footprint.columns import Columns as C
from footprint.frames import Snapshot
from models.competence.bundle import CompetenceBundle
from models.competence.columns import CompetenceColumns as CC
from models.competence.config import BoosterConfig, CompetenceConfig
from models.competence.dataset import CompetenceDataset
from models.competence.model import CompetenceModel
from models.competence.predictive import NextResultIntervals
from tests.features.world import make_world
from training.bundles import file_sha256, sign
from training.competence.cutoffs import fit_at

CUT = dt.datetime(2025, 12, 1)


def tiny_bundle(version: str = "tiny-1") -> CompetenceBundle:
    """A bundle over 300 synthetic participants (a few seconds)."""
    world = make_world(n_participants=300, seed=11)
    snap = world.snapshot()
    stats, cal = fit_at(snap, CUT, CalibrationConfig(n_iter=8))
    feats = participant_features(snap.achievements, snap.participants, stats, CUT, cal)
    truth = world.truth.set_index([C.PARTICIPANT_ID, C.DIRECTION])[C.TRUE_ABILITY]
    key = pd.MultiIndex.from_arrays(
        [feats[C.PARTICIPANT_ID].astype(object), feats[C.DIRECTION].astype(object)]
    )
    label = truth.reindex(key).to_numpy() + np.random.default_rng(2).normal(0, 0.5, len(feats))
    labels = pd.DataFrame({CC.LABEL: label, CC.LABEL_SE: 0.5})
    config = CompetenceConfig(
        booster=BoosterConfig(n_estimators=20, num_leaves=7, min_child_samples=5)
    )
    model = CompetenceModel(config).fit(CompetenceDataset(feats, labels))
    meta = {
        "model_version": version,
        "schema_version": SCHEMA_VERSION,
        "schema_hash": schema_hash(model.features_),
    }
    # predictive intervals fitted on the same rows against a made-up next percentile (the
    # serving tests check their plumbing, not their calibration)
    pred = model.predict(feats)
    perf = 1.0 / (1.0 + np.exp(-label)) + np.random.default_rng(3).normal(0, 0.1, len(label))
    return CompetenceBundle(stats, cal, model, meta, NextResultIntervals.fit(pred, perf, 0.9))


def signed(path: Path) -> Path:
    """``path`` with its ``.sig`` under the development key (what serving's tests verify with)."""
    sign(path, file_sha256(path))
    return path


def save_versions(bundle: CompetenceBundle, folder: Path, versions: list[str]) -> list[Path]:
    """The same fitted bundle saved (and signed) under several versions (for switching tests)."""
    paths = []
    for version in versions:
        copy = CompetenceBundle(
            bundle.stats,
            bundle.calibration,
            bundle.model,
            bundle.meta | {"model_version": version},
            bundle.next_result,
        )
        paths.append(signed(copy.save(folder / f"{version}.joblib")))
    return paths


def tiny_world_snapshot(as_of: dt.datetime) -> Snapshot:
    """The synthetic world of :func:`world_push_records` (deadlines set) as of ``as_of``."""
    from features.cutoff import snapshot_at

    world = make_world(n_participants=300, seed=11)
    frames = dict(world.frames)
    acts = frames["activities"].copy()
    acts[C.REGISTRATION_DEADLINE] = acts[C.START_AT] - pd.Timedelta(days=3)
    frames["activities"] = acts
    return snapshot_at(Snapshot.from_frames(world.as_of, frames), as_of)


def tiny_recommender(path: Path, as_of: dt.datetime, model: str = "content") -> Path:
    """A recommender (``content`` by default, or ``ease``) fitted on the same synthetic world as
    :func:`world_push_records` (deadlines set), as of ``as_of``, saved to ``path`` (a few
    seconds: the ability scale)."""
    from models.recommend.base import Recommender
    from models.recommend.content import ContentRecommender
    from models.recommend.dataset import dataset_from_snapshot
    from models.recommend.ease import EASEConfig, EASERecommender

    snap = tiny_world_snapshot(as_of)
    fitted: Recommender = (
        ContentRecommender()
        if model == "content"
        else EASERecommender(EASEConfig(regularization=5.0))
    )
    data = dataset_from_snapshot(snap, as_of, ability=model == "content")
    return signed(fitted.fit(data).save(path))


def _iso(value: object) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    return [
        {k: _iso(v) for k, v in r.items() if _iso(v) is not None}
        for r in frame.astype(object).to_dict("records")
    ]


def world_push_records() -> dict[str, list[dict[str, object]]]:
    """The bundle's synthetic world as pushes (docs/data-model.md columns), so the store holds the
    activities the bundle's statistics know."""
    frames = make_world(n_participants=300, seed=11).frames
    parts = frames["participants"].copy()
    verified = parts.pop(C.ACCOUNT_VERIFIED).astype(bool)
    parts[C.ACCOUNT_VERIFIED_AT] = (parts[C.REGISTERED_AT] + pd.Timedelta(days=1)).where(verified)
    parts[C.CONSENT_STATUS] = "given"
    acts = frames["activities"].copy()
    # every activity with a registration deadline (the planner needs one; see the report)
    acts[C.REGISTRATION_DEADLINE] = acts[C.START_AT] - pd.Timedelta(days=3)
    dirs = frames["activity_directions"]
    joined = (
        (dirs[C.DIRECTION].astype(str) + ":" + dirs[C.WEIGHT].astype(str))
        .groupby(dirs[C.ACTIVITY_ID].astype(str))
        .agg(";".join)
    )
    acts[C.DIRECTIONS] = acts[C.ACTIVITY_ID].astype(str).map(joined)
    ach = (
        frames["achievements"]
        .rename(columns={C.ACHIEVEMENT_ID: C.SOURCE_RECORD_ID})
        .drop(columns=[C.N_SOURCES])
    )
    return {
        "participants": _records(parts),
        "activities": _records(acts),
        "achievements": _records(ach),
    }
