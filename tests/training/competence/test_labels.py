"""Labels come only from the window after the cut-off."""

from __future__ import annotations

import numpy as np
import pytest

from features.calibration import CalibrationConfig
from footprint.columns import Columns as C
from models.competence.columns import CompetenceColumns as CC
from tests.features.tiny import AS_OF, CUTOFF, tiny_snapshot
from training.competence.cutoffs import fit_at
from training.competence.labels import window_labels


def test_window_labels_on_the_tiny_footprint() -> None:
    snap = tiny_snapshot()
    _, cal = fit_at(snap, CUTOFF, CalibrationConfig(n_iter=3))
    labels = window_labels(snap, CUTOFF, AS_OF, cal)
    assert sorted(set(labels[C.PARTICIPANT_ID])) == ["p1", "p2", "p3"]
    by = labels.set_index([C.PARTICIPANT_ID, C.DIRECTION])
    assert np.isfinite(by.loc[("p1", "python"), CC.LABEL])  # the final in March
    assert by.loc[("p1", "python"), CC.NEXT_PERFORMANCE] == pytest.approx(0.5)  # alone at a3
    assert by.loc[("p1", "python"), CC.LABEL_SE] > 0
    others = by.drop(index=("p1", "python"))
    assert others[CC.LABEL].isna().all() and others[CC.NEXT_PERFORMANCE].isna().all()


def test_a_horizon_after_the_snapshot_is_refused() -> None:
    snap = tiny_snapshot()
    _, cal = fit_at(snap, CUTOFF, CalibrationConfig(n_iter=2))
    with pytest.raises(ValueError, match="after the snapshot"):
        window_labels(snap, CUTOFF, AS_OF.replace(year=2030), cal)
