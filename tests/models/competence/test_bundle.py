"""The bundle: online estimates equal batch ones, no leakage, evidence with codes, save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.errors import TalentError
from features.schema import SCHEMA_VERSION, schema_hash
from footprint.columns import Columns as C
from models.competence.bundle import CompetenceBundle
from models.competence.codes import EvidenceCode
from models.competence.columns import CompetenceColumns as CC
from models.competence.model import CompetenceModel
from tests.models.competence.conftest import CUT, Setting, small_config


@pytest.fixture(scope="module")
def bundle(setting: Setting) -> CompetenceBundle:
    model = CompetenceModel(small_config()).fit(setting.dataset)
    meta = {
        "model_version": "test-1",
        "schema_version": SCHEMA_VERSION,
        "schema_hash": schema_hash(model.features_),
    }
    return CompetenceBundle(setting.stats, setting.calibration, model, meta)


def _of(frame: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    return frame[frame[C.PARTICIPANT_ID].isin(ids).to_numpy()]


def test_online_equals_batch(bundle: CompetenceBundle, setting: Setting) -> None:
    snap = setting.snapshot
    batch = bundle.estimate(snap.achievements, snap.participants, CUT, evidence=False)
    ids = list(snap.participants[C.PARTICIPANT_ID][:3])
    for pid in ids:
        one = bundle.estimate(
            _of(snap.achievements, [pid]), _of(snap.participants, [pid]), CUT, evidence=False
        )
        expected = batch[batch[C.PARTICIPANT_ID] == pid].reset_index(drop=True)
        pd.testing.assert_frame_equal(one, expected)


def test_later_records_change_no_estimate(bundle: CompetenceBundle, setting: Setting) -> None:
    snap = setting.snapshot
    ids = list(snap.participants[C.PARTICIPANT_ID][:40])
    ach, parts = _of(snap.achievements, ids), _of(snap.participants, ids)
    before = bundle.estimate(ach, parts, CUT)
    later = (ach[C.ACHIEVED_AT] > CUT).to_numpy()
    assert later.any()
    changed = ach.copy()
    changed.loc[later, C.RESULT] = "winner"
    changed.loc[later, C.SCORE] = 100.0
    extra = ach[~later].head(10).copy()
    extra[C.ACHIEVEMENT_ID] = "late-" + extra[C.ACHIEVEMENT_ID].astype(str)
    extra[C.RECORDED_AT] = CUT + pd.Timedelta(days=1)
    after = bundle.estimate(pd.concat([changed, extra], ignore_index=True), parts, CUT)
    pd.testing.assert_frame_equal(
        before.drop(columns=[CC.TOP_ACHIEVEMENTS]), after.drop(columns=[CC.TOP_ACHIEVEMENTS])
    )
    assert (
        before[CC.TOP_ACHIEVEMENTS].map(len).tolist()
        == after[CC.TOP_ACHIEVEMENTS].map(len).tolist()
    )


def test_evidence_has_codes_and_russian_text(bundle: CompetenceBundle, setting: Setting) -> None:
    snap = setting.snapshot
    counts = snap.achievements[C.PARTICIPANT_ID].value_counts()
    pid = str(counts.index[0])
    out = bundle.estimate(_of(snap.achievements, [pid]), _of(snap.participants, [pid]), CUT)
    feature_codes = {EvidenceCode.FEATURE_RAISES.value, EvidenceCode.FEATURE_LOWERS.value}
    ach_codes = {EvidenceCode.ACHIEVEMENT_RAISES.value, EvidenceCode.ACHIEVEMENT_LOWERS.value}
    assert all(len(items) <= 5 for items in out[CC.TOP_FEATURES])
    items = [i for row in out[CC.TOP_FEATURES] for i in row]
    assert items and {i["code"] for i in items} <= feature_codes
    assert all(i["text_ru"] and i["feature"] for i in items)
    top = [i for row in out[CC.TOP_ACHIEVEMENTS] for i in row]
    assert top and {i["code"] for i in top} <= ach_codes
    ids = set(snap.achievements[C.ACHIEVEMENT_ID])
    assert all(i["achievement_id"] in ids and "оценку" in i["text_ru"] for i in top)
    # the record that raised the ability most has a positive effect, and effects are sorted
    for row in out[CC.TOP_ACHIEVEMENTS]:
        effects = [abs(i["effect"]) for i in row]
        assert effects == sorted(effects, reverse=True)


def test_save_load_round_trip(bundle: CompetenceBundle, tmp_path: Path, setting: Setting) -> None:
    path = bundle.save(tmp_path / "b.joblib")
    again = CompetenceBundle.load(path)
    snap = setting.snapshot
    ids = list(snap.participants[C.PARTICIPANT_ID][:5])
    ach, parts = _of(snap.achievements, ids), _of(snap.participants, ids)
    a = bundle.estimate(ach, parts, CUT, evidence=False)
    b = again.estimate(ach, parts, CUT, evidence=False)
    pd.testing.assert_frame_equal(a, b)
    assert np.isfinite(a[CC.COMPETENCE]).all()
    with pytest.raises(TalentError, match="does not exist"):
        CompetenceBundle.load(tmp_path / "missing.joblib")
    (tmp_path / "other.joblib").write_bytes(b"")
    import joblib

    joblib.dump({"format": 99}, tmp_path / "other.joblib")
    with pytest.raises(TalentError, match="not a competence bundle"):
        CompetenceBundle.load(tmp_path / "other.joblib")
