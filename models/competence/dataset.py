"""The competence model's training input: features at a cut-off and labels from after it."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from features.schema import KEYS, check_features
from models.competence.columns import CompetenceColumns as CC


@dataclass(frozen=True)
class CompetenceDataset:
    """Feature rows (participant x direction, possibly from several cut-offs) and their labels.

    ``labels`` is aligned with ``features`` by position and holds ``label`` (the ability shown in
    the window after the cut-off, NaN when the participant did nothing there), ``label_se`` and
    ``next_performance``. Rows without a label still matter: they define the population that the
    0-100 scale refers to.
    """

    features: pd.DataFrame
    labels: pd.DataFrame
    snapshot_id: str = "in-memory"

    def __post_init__(self) -> None:
        check_features(self.features)
        if len(self.features) != len(self.labels):
            raise ValueError("features and labels must have the same number of rows")
        for col in (CC.LABEL, CC.LABEL_SE):
            if col not in self.labels.columns:
                raise ValueError(f"labels lack column {col!r}")

    def direction(self, direction: str) -> CompetenceDataset:
        """The rows of one direction."""
        mask = (self.features[KEYS[1]] == direction).to_numpy()
        return CompetenceDataset(
            self.features[mask].reset_index(drop=True),
            self.labels[mask].reset_index(drop=True),
            self.snapshot_id,
        )
