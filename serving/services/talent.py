"""Talent search for partner universities on the live store, with the audit of every candidate
shown.

The index (:mod:`serving.services.talent_index`) is rebuilt when the live snapshot changes or
participants newly give the ``university_search`` scope; a withdrawal needs no rebuild: every
query masks the index with the scope set read at that request
(:class:`serving.services.universities.ConsentScopes`), so a participant who withdrew is in no
answer from the next request on. Every candidate returned is written to the views audit.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.errors import ConfigError
from core.instants import utc_now
from core.logs import get_logger
from footprint.calendar import parse_season, season_name
from footprint.columns import Columns as C
from models.competence.config import Bands, load_bands
from serving.services.competence import CompetenceService
from serving.services.rating import RatingService
from serving.services.talent_index import (
    TalentFilters,
    TalentIndex,
    build_index,
    candidate,
    search,
)
from serving.services.universities import ConsentScopes, ViewContext, record_views

log = get_logger(__name__)
CHUNK = 2000


@dataclass(frozen=True)
class _Mask:
    index: TalentIndex
    consenting: frozenset[str]
    mask: np.ndarray


class TalentService:
    """Searches over the consenting participants, one index per live snapshot."""

    def __init__(
        self,
        competence: CompetenceService,
        rating: RatingService,
        scopes: ConsentScopes,
        bands: Bands | None = None,
        *,
        background: bool = True,
    ) -> None:
        self.competence = competence
        self.rating = rating
        self.scopes = scopes
        self.bands = bands or load_bands()
        self._background = background
        self._index: TalentIndex | None = None
        self._mask: _Mask | None = None
        self._lock = threading.Lock()
        self._rebuilding: threading.Thread | None = None

    def _fresh(self, index: TalentIndex | None, consenting: frozenset[str]) -> bool:
        return (
            index is not None
            and index.generation == self.rating.live.check()
            and consenting <= index.consent_key
        )

    def index(self, consenting: frozenset[str] | None = None) -> TalentIndex:
        """The index of the current snapshot covering everyone consenting now.

        With ``background`` (the service's default), a stale index keeps answering while a
        thread builds the new one: withdrawals and erasures still take effect at once (every
        query masks the index with the scope set of its own request); a store change or a new
        consent shows once the build ends. Only the first build is waited for.

        Raises
        ------
        NotReadyError
            No competence bundle is loaded.
        """
        consenting = self.scopes.consenting() if consenting is None else consenting
        index = self._index
        if self._fresh(index, consenting):
            assert index is not None
            return index
        if index is not None and self._background:
            self._rebuild_in_background()
            return index
        with self._lock:
            index = self._index
            if self._fresh(index, consenting):
                assert index is not None
                return index
            index = self._build(consenting)
            self._index = index
            return index

    def _rebuild_in_background(self) -> None:
        with self._lock:
            if self._rebuilding is not None and self._rebuilding.is_alive():
                return
            self._rebuilding = threading.Thread(
                target=self._rebuild, name="talent-index", daemon=True
            )
            self._rebuilding.start()

    def _rebuild(self) -> None:
        try:
            index = self._build(self.scopes.consenting())
            with self._lock:
                self._index = index
        except Exception as exc:  # retried at the next request that finds the index stale
            log.error("talent_index_build_failed", error=type(exc).__name__)

    def wait_for_rebuild(self, timeout: float = 60.0) -> None:
        """Block until a background rebuild in progress has ended (tests, benchmarks)."""
        thread = self._rebuilding
        if thread is not None:
            thread.join(timeout)

    def _build(self, consenting: frozenset[str]) -> TalentIndex:
        started = time.perf_counter()
        loaded = self.competence.loaded()
        generation, snapshot = self.rating.live.snapshot()
        pids = snapshot.participants[C.PARTICIPANT_ID].astype(object)
        participants = snapshot.participants[pids.isin(consenting).to_numpy()]
        ids = sorted(str(p) for p in participants[C.PARTICIPANT_ID])
        parts = []
        for i in range(0, len(ids), CHUNK):
            _, frame = self.competence.estimate(
                ids[i : i + CHUNK], evidence=False, verified_only=True
            )
            parts.append(frame)
        estimates = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        current = self.rating.default_season()
        previous = season_name(parse_season(current) - 1)
        ratings = tuple(self._rating_table(s) for s in (current, previous))
        index = build_index(
            generation=generation,
            consent_key=consenting,
            as_of=snapshot.as_of,
            participants=participants,
            achievements=snapshot.achievements,
            activities=snapshot.activities,
            activity_directions=snapshot.activity_directions,
            estimates=estimates,
            ratings=(ratings[0], ratings[1]),
            seasons=(current, previous),
            directions=snapshot.direction_codes(),
            bands=self.bands,
            model_version=loaded.version,
        )
        log.info(
            "talent_index_built",
            generation=generation,
            participants=index.size,
            seconds=round(time.perf_counter() - started, 3),
        )
        return index

    def _rating_table(self, season: str) -> pd.DataFrame:
        try:
            return self.rating.result(season).table
        except ConfigError:  # no rules for that season: no diplomas nor points known
            return pd.DataFrame(columns=[C.PARTICIPANT_ID, C.DIRECTION, "diploma", "raw_points"])

    def consenting_mask(self, index: TalentIndex, consenting: frozenset[str]) -> np.ndarray:
        cached = self._mask
        if cached is not None and cached.index is index and cached.consenting is consenting:
            return cached.mask
        mask = np.fromiter((p in consenting for p in index.pids), bool, count=index.size)
        self._mask = _Mask(index, consenting, mask)
        return mask

    def search(
        self,
        filters: TalentFilters,
        *,
        limit: int,
        cursor: str | None,
        university: str,
        actor: str,
        request_id: str | None,
    ) -> dict[str, Any]:
        """One page of candidates with their evidence, the spread, the next cursor; the
        candidates shown are audited as viewed by ``university``."""
        consenting = self.scopes.consenting()
        index = self.index(consenting)
        mask = self.consenting_mask(index, consenting)
        result = search(index, mask, filters, limit=limit, cursor=cursor, bands=self.bands)
        items = [
            candidate(index, int(r), float(s), int(k))
            for r, s, k in zip(result.rows, result.scores, result.region_ranks, strict=True)
        ]
        record_views(
            self.rating.live.store,
            university=university,
            actor=actor,
            participant_ids=[str(i["participant_id"]) for i in items],
            context=ViewContext.SEARCH,
            now=utc_now(),
            request_id=request_id,
        )
        return {
            "as_of": index.as_of,
            "season": index.seasons[0],
            "previous_season": index.seasons[1],
            "model_version": index.model_version,
            "rank_by": filters.rank_by.value,
            "matching": result.matching,
            "next_cursor": result.next_cursor,
            "candidates": items,
            "spread": result.spread,
        }

    def cards(self, participant_ids: list[str]) -> list[dict[str, Any]]:
        """Candidate cards of consenting participants among ``participant_ids`` (others left
        out), in the given order; not audited here (the caller knows the context)."""
        consenting = self.scopes.consenting()
        index = self.index(consenting)
        out = []
        for p in participant_ids:
            row = index.row_of.get(p)
            if row is None or p not in consenting:
                continue
            j = np.where(np.isnan(index.lower[row]), -np.inf, index.lower[row])
            score = float(j.max()) if np.isfinite(j.max()) else float("nan")
            out.append(candidate(index, row, score, None))
        return out
