"""The schema names every feature once and catches missing or retyped columns."""

from __future__ import annotations

import pytest

from features.activity_stats import compute_activity_stats
from features.participant import participant_features
from features.schema import FEATURE_NAMES, FEATURES, FeatureSchemaError, check_features, schema_hash
from tests.features.tiny import CUTOFF, tiny_snapshot


def test_names_are_unique_and_labelled() -> None:
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    assert all(f.label_ru and f.meaning for f in FEATURES)


def test_check_features() -> None:
    snap = tiny_snapshot()
    frame = participant_features(
        snap.achievements, snap.participants, compute_activity_stats(snap, CUTOFF), CUTOFF
    )
    check_features(frame)
    with pytest.raises(FeatureSchemaError, match="lacks"):
        check_features(frame.drop(columns=["ability"]))
    with pytest.raises(FeatureSchemaError, match="dtypes"):
        check_features(frame.astype({"grade": "float32"}))
    assert schema_hash() != schema_hash(FEATURE_NAMES[:-1])
