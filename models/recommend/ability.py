"""Ability and difficulty on one scale, and the chance of a good result: the content model's and
the planner's view of competence.

The competence model (:mod:`models.competence`) reports a 0-100 percentile, which says how a
participant compares with others but not how they would fare against a given event. The chance of
success needs ability and difficulty on one ruler, which is what the graded response calibration
of :mod:`features.calibration` provides. So this module is a transparent proxy: it fits that
calibration (on a seeded sample of participants, to keep it cheap at 250,000 participants), reads
every participant's calibrated ability and every activity's difficulty, and turns them into

* ``P(good result)`` = the model's probability of reaching the upper half of the performance
  categories (:meth:`AbilityScale.success`), and
* a competence proxy on 0-100 = the ability's percentile among the participants at the cut-off
  (:meth:`AbilityScale.percentile`), the same definition the simulator's truth uses.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit

from core.logs import get_logger
from features.activity_stats import ActivityStats, compute_activity_stats
from features.calibration import Calibration, CalibrationConfig, fit_calibration
from features.cutoff import visible_participants
from features.responses import Responses, build_responses
from footprint.columns import Columns as C
from footprint.frames import Snapshot

log = get_logger(__name__)


@dataclass(frozen=True)
class AbilityScale:
    """Per-direction abilities of participants and difficulties of activities, one logit scale.

    Attributes
    ----------
    participant_ids
        Rows of ``ability`` and ``ability_se``.
    ability, ability_se
        Participants x directions (the grade prior for participants without records).
    activity_ids
        Rows of ``difficulty``; ``discrimination`` and ``threshold`` are per activity too (from
        the activity's kind).
    difficulty
        Activities x directions.
    reference
        Per direction, the sorted abilities of everyone (for percentiles).
    """

    directions: tuple[str, ...]
    participant_ids: pd.Index
    ability: np.ndarray
    ability_se: np.ndarray
    activity_ids: pd.Index
    difficulty: np.ndarray
    discrimination: np.ndarray
    threshold: np.ndarray
    reference: tuple[np.ndarray, ...]
    thresholds: np.ndarray | None = None
    """Activities x (categories - 1): every category threshold (for result distributions)."""
    model: AbilityModel | None = None
    """The fitted parameters the scale was computed with (what a model keeps; None for a scale
    made by hand)."""
    stats: ActivityStats | None = field(default=None, repr=False, compare=False)
    stats_d: ActivityStats | None = field(default=None, repr=False, compare=False)
    """The activity statistics the scale was computed under, without and with the model's
    difficulties: what :meth:`AbilityModel.participants` needs to place more participants on
    the same scale."""

    def at_least(self, theta: np.ndarray, act: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """P(category >= k) for k = 1 .. K-1 (units x K-1), under the same weighting as
        :meth:`success`."""
        assert self.thresholds is not None
        w = weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-12)
        eff = np.nansum(theta * w, axis=1)
        diff = np.nansum(self.difficulty[act] * w, axis=1)
        eta = (self.discrimination[act] * (eff - diff))[:, None]
        return np.asarray(expit(eta - self.thresholds[act]))

    def success(self, theta: np.ndarray, act: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Chance of a good result (upper half of the performance categories).

        Parameters
        ----------
        theta
            Abilities (n x directions) of the units.
        act
            Index into ``activity_ids`` per unit (n,).
        weights
            Direction weights of each unit's activity (n x directions); the effective ability and
            difficulty are their weighted means, as the simulator and the calibration do.
        """
        w = weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-12)
        eff = np.nansum(theta * w, axis=1)
        diff = np.nansum(self.difficulty[act] * w, axis=1)
        return np.asarray(expit(self.discrimination[act] * (eff - diff) - self.threshold[act]))

    def percentile(self, direction: int, theta: np.ndarray) -> np.ndarray:
        """Competence proxy on 0-100: the percentile of ``theta`` among the cut-off's abilities."""
        ref = self.reference[direction]
        if len(ref) == 0:
            return np.full(np.shape(theta), 50.0)
        return 100.0 * np.searchsorted(ref, theta, "left") / len(ref)

    def ability_for(self, participant_ids: pd.Index) -> np.ndarray:
        """Abilities of the given participants (NaN rows for unknown ones)."""
        return self.ability_at(
            self.participant_ids.get_indexer(pd.Index(participant_ids, dtype=object))
        )

    def ability_at(self, positions: np.ndarray) -> np.ndarray:
        """Abilities of the scale's rows ``positions`` (NaN rows where a position is -1)."""
        out = np.full((len(positions), len(self.directions)), np.nan)
        out[positions >= 0] = self.ability[positions[positions >= 0]]
        return out


@dataclass(frozen=True)
class AbilityModel:
    """The fitted part of the ability scale: the calibration's item-side parameters only.

    It holds no participant: per-direction difficulties of the calibrated activities, the series
    and (kind, level) means that place an activity the fit never saw (a new edition, a brand-new
    series), the per-kind discriminations and thresholds and the grade prior. A recommender
    bundle keeps this; :meth:`apply` turns it into an :class:`AbilityScale` for whoever is in a
    snapshot at any instant (the live store at request time), with the items fixed: the same
    step the fit ends with, so training and serving compute abilities with one code path.
    """

    calibration: Calibration

    @property
    def directions(self) -> tuple[str, ...]:
        return self.calibration.directions

    def apply(
        self, snapshot: Snapshot, as_of: dt.datetime, stats: ActivityStats | None = None
    ) -> AbilityScale:
        """Abilities of every participant of ``snapshot`` visible at ``as_of`` and difficulties
        of every activity published by then, with the item parameters fixed.

        Parameters
        ----------
        snapshot
            The footprint (a cut-off's snapshot, or the live store's).
        as_of
            Only records known by then are read.
        stats
            Activity statistics at ``as_of`` (computed when None).
        """
        stats, pids, grades, responses = _population(snapshot, as_of, stats)
        return self._scale(stats, pids, grades, responses)

    def items(self, stats: ActivityStats) -> AbilityScale:
        """The item side of the scale under ``stats`` (difficulties, discriminations,
        thresholds) with no participant on it: computed once per statistics and shared by every
        later update of some participants (:meth:`participants`)."""
        calibration = self.calibration
        config = calibration.config
        stats_d = stats.with_difficulty(calibration.item_difficulty(stats))
        kind = np.where(stats.kind_code < 0, 0, stats.kind_code).astype(np.int64)
        mid = config.responses.n_categories // 2
        # one discrimination and "upper half" threshold per activity: the direction-weighted mean
        # of the per-direction kind parameters
        w = stats.weights / np.maximum(stats.weights.sum(axis=1, keepdims=True), 1e-12)
        disc = np.zeros(len(kind))
        thr_all = np.zeros((len(kind), config.responses.n_categories - 1))
        for d, fit in enumerate(calibration.fits):
            disc += w[:, d] * fit.kinds.discrimination[kind]
            thr_all += w[:, d, None] * fit.kinds.thresholds[kind]
        n_dir = len(stats.directions)
        return AbilityScale(
            directions=stats.directions,
            participant_ids=pd.Index([], dtype=object),
            ability=np.zeros((0, n_dir)),
            ability_se=np.zeros((0, n_dir)),
            activity_ids=pd.Index(stats.index.to_numpy(dtype=object), dtype=object),
            difficulty=stats_d.difficulty,
            discrimination=disc,
            threshold=thr_all[:, mid - 1],
            reference=tuple(np.zeros(0) for _ in range(n_dir)),
            thresholds=thr_all,
            model=self,
            stats=stats,
            stats_d=stats_d,
        )

    def participants(
        self, items: AbilityScale, snapshot: Snapshot, as_of: dt.datetime
    ) -> AbilityScale:
        """``items`` (:meth:`items`, or a whole scale) with the participants of ``snapshot``
        visible at ``as_of`` on it instead of its own: a changed participant's abilities are
        computed alone, nothing item-side is recomputed. ``reference`` stays ``items``'."""
        assert items.stats is not None and items.stats_d is not None, "made by this model"
        _, pids, grades, responses = _population(snapshot, as_of, items.stats)
        theta, se, _ = self.calibration.abilities(responses, items.stats_d, grades)
        return dataclasses.replace(items, participant_ids=pids, ability=theta, ability_se=se)

    def _scale(
        self, stats: ActivityStats, pids: pd.Index, grades: np.ndarray, responses: Responses
    ) -> AbilityScale:
        items = self.items(stats)
        assert items.stats_d is not None
        theta, se, _ = self.calibration.abilities(responses, items.stats_d, grades)
        reference = tuple(np.sort(theta[:, d]) for d in range(theta.shape[1]))
        return dataclasses.replace(
            items, participant_ids=pids, ability=theta, ability_se=se, reference=reference
        )


def _population(
    snapshot: Snapshot, as_of: dt.datetime, stats: ActivityStats | None
) -> tuple[ActivityStats, pd.Index, np.ndarray, Responses]:
    """Activity statistics, participants (sorted ids), their grades and responses at ``as_of``."""
    stats = stats or compute_activity_stats(snapshot, as_of)
    parts = visible_participants(snapshot.participants, as_of)
    # object indexes throughout: a lookup with an index of another dtype converts the whole index
    pids = pd.Index(np.sort(parts[C.PARTICIPANT_ID].astype("object").to_numpy()), dtype=object)
    grade_of = parts.set_index(parts[C.PARTICIPANT_ID].astype("object"))[C.GRADE]
    grades = grade_of.reindex(pids).to_numpy(np.float64, na_value=np.nan)
    responses = build_responses(snapshot.achievements, stats, as_of, participant_ids=pids)
    return stats, pids, grades, responses


def fit_ability_model(
    snapshot: Snapshot,
    as_of: dt.datetime,
    sample: int = 20_000,
    n_iter: int = 12,
    seed: int = 0,
    stats: ActivityStats | None = None,
) -> AbilityModel:
    """Fit the calibration's item parameters as of ``as_of`` on a sample of participants.

    Parameters
    ----------
    snapshot
        The footprint; only records known at ``as_of`` are read.
    as_of
        The cut-off.
    sample
        Participants (with records) whose responses fit the item parameters; all when fewer.
        Item difficulties need a few hundred responses each, not every participant.
    n_iter
        Outer rounds of the calibration.
    seed
        Seeds the sample and the calibration.
    stats
        Activity statistics at ``as_of`` (computed when None).
    """
    return _fit(snapshot, as_of, sample, n_iter, seed, stats)[0]


def _fit(
    snapshot: Snapshot,
    as_of: dt.datetime,
    sample: int,
    n_iter: int,
    seed: int,
    stats: ActivityStats | None,
) -> tuple[AbilityModel, ActivityStats, pd.Index, np.ndarray, Responses]:
    stats, pids, grades, responses = _population(snapshot, as_of, stats)
    rng = np.random.default_rng(seed)
    active = np.unique(responses.person)
    chosen = active if len(active) <= sample else rng.choice(active, sample, replace=False)
    keep = np.zeros(len(pids), bool)
    keep[chosen] = True
    config = CalibrationConfig(n_iter=n_iter, seed=seed)
    calibration: Calibration = fit_calibration(
        responses.take(keep[responses.person]), stats, grades, config
    )
    log.info(
        "ability scale fitted",
        participants=len(pids),
        sampled=len(chosen),
        activities=len(stats.table),
    )
    return AbilityModel(calibration), stats, pids, grades, responses


def fit_ability_scale(
    snapshot: Snapshot,
    as_of: dt.datetime,
    sample: int = 20_000,
    n_iter: int = 12,
    seed: int = 0,
    stats: ActivityStats | None = None,
) -> AbilityScale:
    """Fit the calibration as of ``as_of`` on a sample (:func:`fit_ability_model`), then score
    everyone with the items fixed (:meth:`AbilityModel.apply`)."""
    model, stats, pids, grades, responses = _fit(snapshot, as_of, sample, n_iter, seed, stats)
    return model._scale(stats, pids, grades, responses)
