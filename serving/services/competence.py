"""Competence estimates on the live store with the served bundle.

:meth:`models.competence.bundle.CompetenceBundle.estimate` runs the same feature code as training
on the participant's own rows of the live snapshot, with the bundle's stored statistics; the
rating features come from :func:`models.competence.rating_features.rating_frame` over the whole
live snapshot (a rating is relative to everyone rated), computed once per snapshot generation. The
previous estimate, which the ``large_change`` flag compares with, is the one stored last time.
Serving never fits anything: it only calls ``estimate``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from core.logs import get_logger
from features.schema import RATING_COLUMNS
from footprint.columns import Columns as C
from footprint.enums import ModerationStatus
from models.competence.columns import CompetenceColumns as CC
from serving.bundles import BundleGetter, LoadedBundle, require_bundle
from serving.errors import NotFoundError
from serving.services.live import LiveFootprint, participant_rows
from serving.tables import competence_estimates

if TYPE_CHECKING:  # the bundle's class is imported by the loader that reads it
    from models.competence.bundle import CompetenceBundle

log = get_logger(__name__)


@dataclass(frozen=True)
class _RatingRows:
    """The rating features of one snapshot generation, with each participant's row positions."""

    generation: int
    frame: pd.DataFrame
    rows: dict[str, np.ndarray]


class CompetenceService:
    """Estimates for some whole participants, as of the live snapshot's instant."""

    def __init__(self, live: LiveFootprint, bundle: BundleGetter[CompetenceBundle]) -> None:
        self.live = live
        self._bundle = bundle
        self._rating: _RatingRows | None = None
        self._rating_lock = threading.Lock()

    def loaded(self) -> LoadedBundle[CompetenceBundle]:
        """The bundle to use for one whole request (:class:`NotReadyError` when none is loaded)."""
        return require_bundle(
            self._bundle,
            "no competence model is loaded (set TALENT_COMPETENCE_BUNDLE; see /v1/admin/models)",
        )

    def _rating_features(self, bundle: Any, participant_ids: list[str]) -> pd.DataFrame | None:
        """The rows of ``participant_ids`` in the rating features of the whole live snapshot.

        The frame is computed once per snapshot generation (a rating is relative to everyone
        rated); a request passes on only its participants' rows, in the frame's order. The
        features look rows up by participant and direction, so the answer is the same as with
        the whole frame, without indexing a few hundred thousand rows on every request.
        """
        if not set(RATING_COLUMNS) & set(bundle.model.features_):
            return None
        from models.competence.rating_features import rating_frame

        generation, snapshot = self.live.snapshot()
        cached = self._rating
        if cached is None or cached.generation != generation:
            with self._rating_lock:
                cached = self._rating
                if cached is None or cached.generation != generation:
                    frame = rating_frame(snapshot, snapshot.as_of)
                    cached = _RatingRows(generation, frame, participant_rows(frame))
                    self._rating = cached
        found = [cached.rows[p] for p in participant_ids if p in cached.rows]
        rows = np.sort(np.concatenate(found)) if found else np.empty(0, np.int64)
        return cached.frame.iloc[rows]

    def _previous(self, participant_ids: list[str]) -> pd.DataFrame:
        t = competence_estimates
        with self.live.store.engine.connect() as conn:
            rows = conn.execute(
                select(t.c.participant_id, t.c.direction, t.c.competence).where(
                    t.c.participant_id.in_(participant_ids)
                )
            ).all()
        return pd.DataFrame(
            [tuple(r) for r in rows], columns=[C.PARTICIPANT_ID, C.DIRECTION, CC.COMPETENCE]
        )

    def estimate(
        self, participant_ids: list[str], *, evidence: bool = True, verified_only: bool = False
    ) -> tuple[LoadedBundle[CompetenceBundle], pd.DataFrame]:
        """The served bundle and its estimates (one row per participant and direction).

        ``verified_only`` leaves pending achievements out of the inputs (rejected ones never
        count): what universities and portfolios are shown rests on moderated records only.

        Raises
        ------
        NotReadyError
            No bundle loaded.
        NotFoundError
            None of the participants is in the live store.
        """
        loaded = self.loaded()
        bundle = loaded.bundle
        _, snapshot = self.live.snapshot()
        _, achievements, participants = self.live.participant_frames(participant_ids)
        if participants.empty:
            raise NotFoundError("no such participant in the store")
        present = [str(p) for p in participants[C.PARTICIPANT_ID]]
        if verified_only:
            status = achievements[C.STATUS].to_numpy(dtype=object)
            achievements = achievements[status == ModerationStatus.VERIFIED.value]
        frame = bundle.estimate(
            achievements,
            participants,
            as_of=snapshot.as_of,
            rating=self._rating_features(bundle, present),
            previous=self._previous(present),
            evidence=evidence,
        )
        return loaded, frame
