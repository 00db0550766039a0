"""The recommender's frozen dataset: interactions, catalogue, participants, histories, id maps.

Built by one constructor, :meth:`RecommendDataset.construct`, from long frames with external ids;
:func:`dataset_from_snapshot` (the simulator / platform footprint) and
:func:`dataset_from_interactions` (any interaction log, e.g. MovieLens) prepare those frames and
call it. Internal indices (rows of the matrices) never leave the recommender: every frame it
returns carries external ids.

Items of the collaborative models are activity *series* (a recurring event across seasons), so a
new season's edition of a known event is not a cold item; recommendations name *activities*
(editions), mapped to their series through ``Catalog.item``. In a generic log every item is its
own series and activity.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import scipy.sparse as sp

from features.activity_stats import KINDS, LEVELS, ActivityStats, compute_activity_stats
from features.cutoff import (
    as_micros,
    snapshot_at,
    visible_achievements,
    visible_activities,
    visible_participants,
)
from features.interactions import interaction_matrix
from footprint.columns import Columns as C
from footprint.directions import direction_codes
from footprint.enums import RESULT_RANK, ActivityKind, EdgeType, Format, Level, Result
from footprint.frames import Snapshot
from models.recommend.ability import AbilityModel, AbilityScale, fit_ability_scale
from models.recommend.columns import RecColumns as R

NAT = np.datetime64("NaT", "us")
# value stored in ``taken``: 1 + quality of the best result (6 winner .. 1 not completed)
RESULT_VALUE: dict[str, int] = {r.value: 6 - RESULT_RANK[r] for r in Result}
QUALIFYING_RESULTS: frozenset[str] = frozenset({Result.WINNER, Result.PRIZE_WINNER})
"""Results of a selection stage that admit to the next stage."""
ENTRY_KINDS = (
    ActivityKind.ONLINE_COURSE,
    ActivityKind.TEST,
    ActivityKind.OLYMPIAD_STAGE_INDIVIDUAL,
)
ENTRY_LEVELS = (Level.SCHOOL, Level.MUNICIPAL, Level.REGIONAL)
"""An activity of one of these kinds or levels is a sensible first step (the cold-start model's
entry level)."""
N_GRADES = 13
"""Rows of :attr:`PeerCounts.by_grade` (grades 0-12; unknown counts as 0)."""


def _read_only(value: np.ndarray) -> np.ndarray:
    """Lookups are shared by every caller of one dataset: nobody may write to them."""
    value.setflags(write=False)
    return value


@dataclass(frozen=True)
class Catalog:
    """Activities (editions) known at the cut-off, as column arrays in internal order.

    Dates are ``datetime64[us]`` (NaT = not set: in a generic log nothing is dated, so everything
    is always open). ``kind`` and ``level`` are positions in :data:`features.activity_stats.KINDS`
    and ``LEVELS`` (-1 unknown); ``grade_min``/``grade_max`` are 0/99 when not set.
    ``selection_from``/``selection_to`` are the selection edges (activity indices).
    """

    activity_ids: pd.Index
    item: np.ndarray
    title: np.ndarray
    kind: np.ndarray
    level: np.ndarray
    offline: np.ndarray
    region: np.ndarray
    start: np.ndarray
    end: np.ndarray
    deadline: np.ndarray
    published: np.ndarray
    grade_min: np.ndarray
    grade_max: np.ndarray
    weights: np.ndarray
    is_team: np.ndarray
    list_level: np.ndarray
    selection_from: np.ndarray
    selection_to: np.ndarray
    nested: np.ndarray
    """True for a part of another activity (``nesting`` edge): one enters it with its container,
    never on its own."""

    def __len__(self) -> int:
        return len(self.activity_ids)

    @property
    def dated(self) -> bool:
        return bool((~np.isnat(self.start)).any())

    def open_at(self, as_of: dt.datetime | None) -> np.ndarray:
        """Indices of activities one can still register for at ``as_of``: published, not started,
        registration deadline not passed, not a nested part of another activity. Everything
        when the catalogue is undated."""
        if as_of is None or not self.dated:
            return np.flatnonzero(~self.nested)
        t = as_micros(as_of)
        pub = np.isnat(self.published) | (self.published <= t)
        not_started = ~np.isnat(self.start) & (self.start > t)
        deadline_ok = np.isnat(self.deadline) | (self.deadline >= t)
        return np.flatnonzero(pub & not_started & deadline_ok & ~self.nested)

    @cached_property
    def _feeders(self) -> dict[int, np.ndarray]:
        out: dict[int, list[int]] = {}
        for f, t in zip(self.selection_from.tolist(), self.selection_to.tolist(), strict=True):
            out.setdefault(t, []).append(f)
        return {k: np.array(v) for k, v in out.items()}

    def feeders(self) -> dict[int, np.ndarray]:
        """Selection stages feeding each activity (activity -> feeding activity indices)."""
        return self._feeders

    @cached_property
    def entry_level(self) -> np.ndarray:
        """Whether each activity is a sensible first step (:data:`ENTRY_KINDS` or
        :data:`ENTRY_LEVELS`: no selection, a modest level)."""
        kinds = [KINDS.index(k.value) for k in ENTRY_KINDS]
        levels = [LEVELS.index(lv.value) for lv in ENTRY_LEVELS]
        return _read_only(np.isin(self.kind, kinds) | np.isin(self.level, levels))


class PeerCounts(NamedTuple):
    """Participants per item by grade and by region (the last row: unknown region)."""

    by_grade: np.ndarray
    by_region: np.ndarray
    regions: pd.Index
    overall: np.ndarray


@dataclass(frozen=True)
class DecisionPoint:
    """A past moment of choice: the dataset as it was at ``dataset.as_of`` and, per participant
    row of it, the open activities they went on to take (``chosen``: rows x activities, 1 =
    chosen), as known at the training cut-off.

    Training input of the models that declare ``needs_decisions`` (the re-ranker), given to
    ``fit`` beside the dataset (:func:`decision_points` builds them); a dataset does not carry
    them."""

    dataset: RecommendDataset
    chosen: sp.csr_matrix


@dataclass(frozen=True)
class RecommendDataset:
    """Everything the recommenders and the planner read, as of ``as_of``.

    Attributes
    ----------
    as_of
        The cut-off (None for an undated log).
    directions
        Direction codes (columns of ``declared`` and ``catalog.weights``).
    participant_ids, item_ids
        External ids of the rows of ``interactions`` and its columns.
    interactions
        Participants x items, weighted (the collaborative models' input).
    catalog
        Activities known at ``as_of``.
    grade, region, declared
        Grade at ``as_of`` (NaN unknown), region code (None unknown) and declared interests
        (participants x directions, 0/1) of each participant.
    taken
        Participants x activities: 0 = no record, else :data:`RESULT_VALUE` of the best result.
    ability
        Abilities and difficulties on one scale (None when not computed).
    """

    as_of: dt.datetime | None
    directions: tuple[str, ...]
    participant_ids: pd.Index
    item_ids: pd.Index
    interactions: sp.csr_matrix
    catalog: Catalog
    grade: np.ndarray
    region: np.ndarray
    declared: np.ndarray
    taken: sp.csr_matrix
    ability: AbilityScale | None

    def __getstate__(self) -> dict[str, object]:
        # lookups derived on use (the cached properties below) are not data
        return {k: v for k, v in vars(self).items() if k not in _DERIVED}

    # --- lookups derived from the data: computed on first use, once per dataset object, kept on
    # it (so they live exactly as long as the data they come from: the live store's next
    # generation or another cut-off is another object with its own), read-only ----------------
    @cached_property
    def item_popularity(self) -> np.ndarray:
        """Participants per item (column counts of the interaction matrix): the counts of this
        dataset (the live store's at request time), never a fitted table."""
        return _read_only(np.diff(self.interactions.tocsc().indptr).astype(np.float64))

    @cached_property
    def item_directions(self) -> np.ndarray:
        """Direction weights of each item (items x directions): the mean over its editions."""
        cat = self.catalog
        n_dir = len(self.directions)
        out = np.zeros((self.n_items, n_dir))
        if n_dir:
            ok = cat.item >= 0
            np.add.at(out, cat.item[ok], cat.weights[ok])
            counts = np.bincount(cat.item[ok], minlength=self.n_items)
            out /= np.maximum(counts, 1)[:, None]
        return _read_only(out)

    @cached_property
    def entrants(self) -> np.ndarray:
        """Participants with a record of each catalogue activity (column counts of ``taken``)."""
        return _read_only(np.diff(self.taken.tocsc().indptr).astype(np.float64))

    @cached_property
    def last_edition_size(self) -> np.ndarray:
        """Entrants of each item's most recent edition that already has records (NaN for an item
        without one): the best guess of how many will enter its next edition."""
        entrants = self.entrants
        cat = self.catalog
        out = np.full(self.n_items, np.nan)
        has = (entrants > 0) & (cat.item >= 0)
        if has.any():
            start = cat.start.astype("datetime64[us]").astype(np.int64)
            idx = np.flatnonzero(has)
            order = idx[np.lexsort((start[idx], cat.item[idx]))]
            # the last row of each item in (item, start) order is its latest edition with records
            items = cat.item[order]
            last = np.r_[items[1:] != items[:-1], True]
            out[items[last]] = entrants[order[last]]
        return _read_only(out)

    @cached_property
    def peer_counts(self) -> PeerCounts:
        """Participants per item by grade and by region (the cold-start model's peers)."""
        x = self.interactions.tocoo()
        grade = self.grade[x.row]
        g = np.where(np.isnan(grade), 0, np.clip(grade, 0, N_GRADES - 1)).astype(np.int64)
        by_grade = np.zeros((N_GRADES, self.n_items))
        np.add.at(by_grade, (g, x.col), 1.0)
        known = pd.unique(pd.Series(self.region, dtype=object).dropna())
        regions = pd.Index(known, dtype=object)
        r = regions.get_indexer(pd.Index(self.region[x.row], dtype=object))
        by_region = np.zeros((len(regions) + 1, self.n_items))
        np.add.at(by_region, (np.where(r >= 0, r, len(regions)), x.col), 1.0)
        return PeerCounts(
            _read_only(by_grade), _read_only(by_region), regions, _read_only(by_grade.sum(axis=0))
        )

    @cached_property
    def region_sizes(self) -> np.ndarray:
        """Participants per row of :attr:`PeerCounts.by_region` (the last: unknown region)."""
        regions = self.peer_counts.regions
        r = regions.get_indexer(pd.Index(self.region, dtype=object))
        n = len(regions)
        return _read_only(np.bincount(np.where(r >= 0, r, n), minlength=n + 1).astype(float))

    @cached_property
    def interest_popularity(self) -> np.ndarray:
        """Directions x items: the share of the participants who declared each direction that
        took the item (the re-ranker's popularity within a participant's interests)."""
        if not self.directions:
            return _read_only(np.zeros((0, self.n_items)))
        took = (self.interactions > 0).astype(np.float64)
        counts = np.asarray((took.T @ self.declared).T)
        return _read_only(counts / np.maximum(self.declared.sum(axis=0), 1)[:, None])

    @cached_property
    def ability_rows(self) -> np.ndarray:
        """The ability scale's row of each participant row (-1: not on the scale; all -1
        without a scale)."""
        if self.ability is None:
            return _read_only(np.full(self.n_participants, -1, np.int64))
        return _read_only(self.ability.participant_ids.get_indexer(self.participant_ids))

    @cached_property
    def ability_activities(self) -> np.ndarray:
        """The ability scale's row of each catalogue activity (-1: not on the scale)."""
        if self.ability is None:
            return _read_only(np.full(len(self.catalog), -1, np.int64))
        return _read_only(self.ability.activity_ids.get_indexer(self.catalog.activity_ids))

    @cached_property
    def batch_memo(self) -> dict[str, Any]:
        """The last batch's feasibility masks (:func:`models.recommend.feasibility.feasible`):
        a request asks for the same batch twice in a row (the recommendation pipeline, then the
        re-ranker's features)."""
        return {}

    @property
    def n_participants(self) -> int:
        return len(self.participant_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def rows(self, participant_ids: pd.Index | list[str] | np.ndarray) -> np.ndarray:
        """Internal row of each participant id (-1 for participants unknown at ``as_of``)."""
        return self.participant_ids.get_indexer(pd.Index(participant_ids, dtype=object))

    def grade_of(self, rows: np.ndarray) -> np.ndarray:
        """Grade of each row (NaN for -1, a participant unknown at ``as_of``)."""
        return np.where(rows >= 0, self.grade[np.maximum(rows, 0)], np.nan)

    def region_of(self, rows: np.ndarray) -> np.ndarray:
        """Region code of each row, an object array (None for -1 and for an unknown region)."""
        out = np.full(len(rows), None, dtype=object)
        known = rows >= 0
        out[known] = self.region[rows[known]]
        return out

    def history_counts(self) -> np.ndarray:
        """Number of items each participant interacted with."""
        return np.diff(self.interactions.indptr)

    @classmethod
    def construct(
        cls,
        interactions: pd.DataFrame,
        catalog: pd.DataFrame | None = None,
        activity_directions: pd.DataFrame | None = None,
        edges: pd.DataFrame | None = None,
        participants: pd.DataFrame | None = None,
        taken: pd.DataFrame | None = None,
        as_of: dt.datetime | None = None,
        ability: AbilityScale | None = None,
        directions: tuple[str, ...] | None = None,
    ) -> RecommendDataset:
        """Build the dataset from long frames with external ids (the one constructor).

        Parameters
        ----------
        interactions
            ``participant_id, item_id, weight``: one row per participant and item.
        catalog
            A snapshot-style ``activities`` frame (``activity_id, series_id, ...``). When None,
            every item is an undated activity of its own (generic logs).
        activity_directions, edges
            Long direction weights and activity edges of the catalogue.
        participants
            ``participant_id, grade, region, declared_interests`` (grade at ``as_of``). Rows of
            the dataset are these participants plus any that only appear in ``interactions``.
        taken
            ``participant_id, activity_id, result``: every record known at ``as_of`` ("already
            taken" and selection results). When None, derived from ``interactions`` (the item's
            own activity).
        as_of
            The cut-off.
        ability
            Abilities and difficulties, when the content model or planner will run.
        directions
            Direction codes; the configured ones when None.
        """
        dirs = directions or direction_codes()
        inter_pid = interactions[C.PARTICIPANT_ID].astype("object").to_numpy()
        known = (
            participants[C.PARTICIPANT_ID].astype("object").to_numpy()
            if participants is not None
            else np.array([], dtype=object)
        )
        pids = pd.Index(np.unique(np.concatenate([known, inter_pid])), dtype=object)
        inter_item = interactions[R.ITEM_ID].astype("object").to_numpy()
        if catalog is None:
            item_ids = pd.Index(np.unique(inter_item), dtype=object)
            cat = _undated_catalog(item_ids, len(dirs))
        else:
            series = catalog[C.SERIES_ID].astype("object").to_numpy()
            item_ids = pd.Index(np.unique(np.concatenate([series, inter_item])), dtype=object)
            cat = _catalog(catalog, activity_directions, edges, item_ids, dirs)
        rows = pids.get_indexer(inter_pid)
        cols = item_ids.get_indexer(inter_item)
        weight = interactions[R.WEIGHT].to_numpy(np.float64)
        matrix = sp.csr_matrix((weight, (rows, cols)), shape=(len(pids), len(item_ids)))
        matrix.sum_duplicates()
        matrix.sort_indices()
        grade = np.full(len(pids), np.nan)
        region = np.full(len(pids), None, dtype=object)
        declared = np.zeros((len(pids), len(dirs)))
        if participants is not None:
            pos = pids.get_indexer(participants[C.PARTICIPANT_ID].astype("object"))
            grade[pos] = participants[C.GRADE].to_numpy(np.float64, na_value=np.nan)
            region[pos] = participants[C.REGION].astype("object").to_numpy()
            declared[pos] = _declared(participants[C.DECLARED_INTERESTS], dirs)
        if taken is None:
            t_rows, t_cols = matrix.nonzero()
            act_of_item = cat.activity_ids.get_indexer(item_ids[t_cols])
            taken_m = sp.csr_matrix(
                (np.full(len(t_rows), 1.0), (t_rows, act_of_item)), shape=(len(pids), len(cat))
            )
        else:
            taken_m = _taken(taken, pids, cat.activity_ids)
        return cls(
            as_of=as_of,
            directions=tuple(dirs),
            participant_ids=pids,
            item_ids=item_ids,
            interactions=matrix,
            catalog=cat,
            grade=grade,
            region=region,
            declared=declared,
            taken=taken_m,
            ability=ability,
        )


_DERIVED: frozenset[str] = frozenset(
    name for name, value in vars(RecommendDataset).items() if isinstance(value, cached_property)
)
"""Names of the dataset's derived lookups (left out when it is pickled)."""


def _declared(values: pd.Series, dirs: tuple[str, ...]) -> np.ndarray:
    out = np.zeros((len(values), len(dirs)))
    for i, value in enumerate(values.astype("object").to_numpy()):
        if isinstance(value, str) and value:
            codes = {c.strip() for c in value.split(";")}
            out[i] = [d in codes for d in dirs]
    return out


def _undated_catalog(item_ids: pd.Index, n_dir: int) -> Catalog:
    n = len(item_ids)
    nat = np.full(n, NAT)
    return Catalog(
        activity_ids=item_ids,
        item=np.arange(n),
        title=item_ids.to_numpy(dtype=object),
        kind=np.full(n, -1, np.int16),
        level=np.full(n, -1, np.int16),
        offline=np.zeros(n, bool),
        region=np.full(n, None, dtype=object),
        start=nat,
        end=nat.copy(),
        deadline=nat.copy(),
        published=nat.copy(),
        grade_min=np.zeros(n, np.int16),
        grade_max=np.full(n, 99, np.int16),
        weights=np.zeros((n, n_dir)),
        is_team=np.zeros(n, bool),
        list_level=np.zeros(n, np.int16),
        selection_from=np.zeros(0, np.int64),
        selection_to=np.zeros(0, np.int64),
        nested=np.zeros(n, bool),
    )


def _dates(frame: pd.DataFrame, col: str) -> np.ndarray:
    return frame[col].to_numpy("datetime64[us]")


def _positions(index: pd.Index, values: pd.Series) -> np.ndarray:
    """Position in ``index`` of each of ``values`` (-1 for a value not in it), compared as
    objects (a categorical or string column matches an object index)."""
    return index.get_indexer(pd.Index(values.astype("object"), dtype=object))


def _catalog(
    acts: pd.DataFrame,
    ad: pd.DataFrame | None,
    edges: pd.DataFrame | None,
    item_ids: pd.Index,
    dirs: tuple[str, ...],
) -> Catalog:
    acts = acts.sort_values(C.ACTIVITY_ID, kind="stable").reset_index(drop=True)
    ids = pd.Index(acts[C.ACTIVITY_ID].astype("object").to_numpy(), dtype=object)
    weights = np.zeros((len(ids), len(dirs)))
    if ad is not None and len(ad):
        r = _positions(ids, ad[C.ACTIVITY_ID])
        c = _positions(pd.Index(dirs), ad[C.DIRECTION])
        ok = (r >= 0) & (c >= 0)
        weights[r[ok], c[ok]] = ad[C.WEIGHT].to_numpy(np.float64)[ok]
    sel_from = sel_to = np.zeros(0, np.int64)
    nested = np.zeros(len(ids), bool)
    if edges is not None and len(edges):
        nest = edges[edges[C.EDGE_TYPE].astype("object") == EdgeType.NESTING.value]
        child = _positions(ids, nest[C.TO_ACTIVITY_ID])
        nested[child[child >= 0]] = True
        sel = edges[edges[C.EDGE_TYPE].astype("object") == EdgeType.SELECTION.value]
        f = _positions(ids, sel[C.FROM_ACTIVITY_ID])
        t = _positions(ids, sel[C.TO_ACTIVITY_ID])
        ok = (f >= 0) & (t >= 0)
        sel_from, sel_to = f[ok].astype(np.int64), t[ok].astype(np.int64)
    return Catalog(
        activity_ids=ids,
        item=_positions(item_ids, acts[C.SERIES_ID]),
        title=acts[C.TITLE].astype("object").to_numpy(),
        kind=_positions(pd.Index(KINDS), acts[C.KIND]).astype(np.int16),
        level=_positions(pd.Index(LEVELS), acts[C.LEVEL]).astype(np.int16),
        offline=(acts[C.FORMAT].astype("object") == Format.OFFLINE.value).to_numpy(bool),
        region=acts[C.REGION].astype("object").where(acts[C.REGION].notna(), None).to_numpy(),
        start=_dates(acts, C.START_AT),
        end=_dates(acts, C.END_AT),
        deadline=_dates(acts, C.REGISTRATION_DEADLINE),
        published=_dates(acts, C.PUBLISHED_AT),
        grade_min=acts[C.GRADE_MIN].to_numpy(np.int16, na_value=0),
        grade_max=acts[C.GRADE_MAX].to_numpy(np.int16, na_value=99),
        weights=weights,
        is_team=acts[C.IS_TEAM].to_numpy(bool),
        list_level=acts[C.OLYMPIAD_LIST_LEVEL].to_numpy(np.int16, na_value=0),
        selection_from=sel_from,
        selection_to=sel_to,
        nested=nested,
    )


def _taken(frame: pd.DataFrame, pids: pd.Index, act_ids: pd.Index) -> sp.csr_matrix:
    r = _positions(pids, frame[C.PARTICIPANT_ID])
    c = _positions(act_ids, frame[C.ACTIVITY_ID])
    v = frame[C.RESULT].astype("object").map(RESULT_VALUE).to_numpy(np.float64, na_value=1.0)
    ok = (r >= 0) & (c >= 0)
    r, c, v = r[ok], c[ok], v[ok]
    # several records of one activity: keep the best result, not the sum
    order = np.lexsort((v, c, r))
    rr, cc, vv = r[order], c[order], v[order]
    last = np.r_[(rr[1:] != rr[:-1]) | (cc[1:] != cc[:-1]), True] if len(rr) else np.zeros(0, bool)
    out = sp.csr_matrix((vv[last], (rr[last], cc[last])), shape=(len(pids), len(act_ids)))
    out.sort_indices()
    return out


def dataset_from_snapshot(
    snapshot: Snapshot,
    as_of: dt.datetime | None = None,
    ability: AbilityScale | AbilityModel | bool = False,
    ability_sample: int = 20_000,
    seed: int = 0,
    stats: ActivityStats | None = None,
) -> RecommendDataset:
    """The dataset of a footprint snapshot as of ``as_of`` (point in time).

    Interactions are :func:`features.interactions.interaction_matrix` (participant x series,
    the best result's weight, rejected records left out); ``taken`` holds every record known at
    ``as_of``; the catalogue holds the activities published by then.

    Parameters
    ----------
    snapshot
        The footprint.
    as_of
        The cut-off (the snapshot's own when None); nothing recorded later is read.
    ability
        An :class:`AbilityScale` to use; a fitted :class:`AbilityModel` (a loaded model's
        parameters) to apply to this snapshot's participants with the items fixed (the live
        path); True to fit one (:func:`fit_ability_scale`); or False.
    ability_sample, seed
        Sample size and seed of that fit.
    stats
        Activity statistics to use instead of computing them from ``snapshot`` (the live
        service computes a few participants' rows with the statistics of the whole store).
    """
    as_of = as_of or snapshot.as_of
    stats = stats or compute_activity_stats(snapshot, as_of)
    inter = interaction_matrix(snapshot.achievements, stats, as_of)
    frame = inter.to_frame().rename(columns={C.SERIES_ID: R.ITEM_ID, "value": R.WEIGHT})
    parts = visible_participants(snapshot.participants, as_of)
    acts = visible_activities(snapshot.activities, as_of)
    vis = visible_achievements(snapshot.achievements, as_of)
    taken = vis[[C.PARTICIPANT_ID, C.ACTIVITY_ID, C.RESULT]]
    scale: AbilityScale | None
    if isinstance(ability, AbilityScale):
        scale = ability
    elif isinstance(ability, AbilityModel):
        scale = ability.apply(snapshot, as_of, stats)
    elif ability:
        scale = fit_ability_scale(snapshot, as_of, sample=ability_sample, seed=seed, stats=stats)
    else:
        scale = None
    return RecommendDataset.construct(
        frame,
        catalog=acts,
        activity_directions=snapshot.activity_directions,
        edges=snapshot.activity_edges,
        participants=parts,
        taken=taken,
        as_of=as_of,
        ability=scale,
        directions=stats.directions,
    )


def decision_points(
    snapshot: Snapshot,
    as_of: dt.datetime,
    instants: tuple[dt.datetime, ...],
    ability: bool = False,
    ability_sample: int = 20_000,
    seed: int = 0,
) -> tuple[DecisionPoint, ...]:
    """Past moments of choice before the cut-off ``as_of``, the training input of the models
    that declare ``needs_decisions``: for each of ``instants``, the point-in-time dataset then
    (with an ability scale fitted the same way when ``ability``) and the open activities each
    participant went on to take, as known at ``as_of``.

    Raises
    ------
    ValueError
        An instant not before ``as_of``.
    """
    return tuple(
        _decision_point(snapshot, as_of, t, ability, ability_sample, seed) for t in instants
    )


def chosen_matrix(
    snapshot: Snapshot, known_at: dt.datetime, dataset: RecommendDataset, acts: np.ndarray
) -> sp.csr_matrix:
    """Rows x activities of ``dataset``: 1 where the participant has a record (known at
    ``known_at``) of one of the activities ``acts``."""
    vis = visible_achievements(snapshot.achievements, known_at)
    ids = dataset.catalog.activity_ids[acts]
    vis = vis[vis[C.ACTIVITY_ID].astype("object").isin(set(ids)).to_numpy()]
    r = dataset.rows(vis[C.PARTICIPANT_ID].astype("object").to_numpy())
    c = _positions(dataset.catalog.activity_ids, vis[C.ACTIVITY_ID])
    ok = (r >= 0) & (c >= 0)
    m = sp.csr_matrix(
        (np.ones(int(ok.sum())), (r[ok], c[ok])),
        shape=(dataset.n_participants, len(dataset.catalog)),
    )
    m.data[:] = 1.0
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def _decision_point(
    snapshot: Snapshot, as_of: dt.datetime, at: dt.datetime, ability: bool, sample: int, seed: int
) -> DecisionPoint:
    if as_micros(at) >= as_micros(as_of):
        raise ValueError(f"decision point {at} must be before the cut-off {as_of}")
    past = dataset_from_snapshot(
        snapshot_at(snapshot, at), at, ability=ability, ability_sample=sample, seed=seed
    )
    chosen = chosen_matrix(snapshot, as_of, past, past.catalog.open_at(at))
    return DecisionPoint(dataset=past, chosen=chosen)


def dataset_from_interactions(
    frame: pd.DataFrame, user_col: str, item_col: str, weight_col: str | None = None
) -> RecommendDataset:
    """The dataset of a generic interaction log (undated catalogue: every item always open).

    Duplicate (user, item) rows add up their weights (1 per row without a weight column).
    """
    weight = frame[weight_col].to_numpy(np.float64) if weight_col else np.ones(len(frame))
    inter = pd.DataFrame(
        {
            C.PARTICIPANT_ID: frame[user_col].astype(str).to_numpy(dtype=object),
            R.ITEM_ID: frame[item_col].astype(str).to_numpy(dtype=object),
            R.WEIGHT: weight,
        }
    )
    return RecommendDataset.construct(inter, directions=())
