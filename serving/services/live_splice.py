"""A recommenders' dataset with some participants' rows replaced: the piecewise update of the
live dataset (:class:`serving.services.live.LiveDatasets`).

The rows of the changed participants are computed by the same ``dataset_from_snapshot`` as a
whole build, on a snapshot holding only them (and the whole catalogue), with the activity
statistics of the last whole build; their abilities by the bundle's ability parameters with the
item side kept (:meth:`~models.recommend.ability.AbilityModel.participants`). Here they replace
the old rows. Everything else (the catalogue, the item ids, the ability scale's items and
reference distribution) is kept.

A participant already in the dataset keeps its row (:func:`_replace_rows`): the participant index
is the same object, so its hash table is not built again, and the population lookups the models
read (item popularity, entrants, peer counts by grade and region, region sizes, popularity by
declared interest, ability rows) are carried over
and corrected by the changed rows only. On the 250k world a rebuilt index and recomputed lookups
cost seconds per change under load (on a synthetic dataset of that size at load 13, appending
to the 250,000-id index took 0.8-2.0 s and the new index's first lookup 2.2-2.7 s), so this is
what keeps a push's cost proportional to the participants it touched. A participant
who is new to the dataset, or gone from it (erased, or not visible any more), moves the rows
(:func:`_move_rows`): the changed participants go to the last rows and the lookups are derived
again on use. Rows are found by id (:meth:`RecommendDataset.rows`), never by position.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from models.recommend.ability import AbilityScale
from models.recommend.dataset import N_GRADES, PeerCounts, RecommendDataset

CATALOGUE_LOOKUPS = ("item_directions", "ability_activities")
"""Lookups that depend on the catalogue only: the same arrays after a participant change."""


def _columns_as(matrix: sp.csr_matrix, from_ids: pd.Index, to_ids: pd.Index) -> sp.csr_matrix:
    """``matrix`` with its columns (named ``from_ids``) moved to the columns of ``to_ids``;
    columns unknown there are dropped."""
    if len(from_ids) == len(to_ids) and from_ids.equals(to_ids):
        return matrix
    where = to_ids.get_indexer(from_ids)
    coo = matrix.tocoo()
    cols = where[coo.col]
    ok = cols >= 0
    out = sp.csr_matrix(
        (coo.data[ok], (coo.row[ok], cols[ok])), shape=(matrix.shape[0], len(to_ids))
    )
    out.sort_indices()
    return out


def _set_rows(matrix: sp.csr_matrix, at: np.ndarray, new: sp.csr_matrix) -> sp.csr_matrix:
    """``matrix`` with rows ``at`` (sorted, distinct) replaced by the rows of ``new``: slices of
    the three CSR arrays joined, no per-row Python work beyond the changed rows."""
    indptr = matrix.indptr
    lengths = np.diff(indptr)
    lengths[at] = np.diff(new.indptr)
    out_ptr = np.zeros(len(indptr), dtype=np.int64)
    np.cumsum(lengths, out=out_ptr[1:])
    idx: list[np.ndarray] = []
    data: list[np.ndarray] = []
    prev = 0
    for k, row in enumerate(at):
        idx += [
            matrix.indices[indptr[prev] : indptr[row]],
            new.indices[new.indptr[k] : new.indptr[k + 1]],
        ]
        data += [
            matrix.data[indptr[prev] : indptr[row]],
            new.data[new.indptr[k] : new.indptr[k + 1]],
        ]
        prev = row + 1
    idx.append(matrix.indices[indptr[prev] :])
    data.append(matrix.data[indptr[prev] :])
    out = sp.csr_matrix(
        (
            np.concatenate(data).astype(matrix.data.dtype, copy=False),
            np.concatenate(idx).astype(matrix.indices.dtype, copy=False),
            out_ptr.astype(matrix.indptr.dtype, copy=False),
        ),
        shape=matrix.shape,
    )
    out.has_sorted_indices = bool(matrix.has_sorted_indices and new.has_sorted_indices)
    return out


def _frozen(value: np.ndarray) -> np.ndarray:
    value.setflags(write=False)
    return value


def _counts(matrix: sp.csr_matrix, n: int) -> np.ndarray:
    return np.bincount(matrix.indices, minlength=n).astype(np.float64)


def _peers(
    old: PeerCounts,
    before: tuple[sp.csr_matrix, np.ndarray, np.ndarray],
    after: tuple[sp.csr_matrix, np.ndarray, np.ndarray],
) -> PeerCounts | None:
    """``old`` peer counts with the changed rows' contributions taken out (``before``: their
    interactions, grades and regions) and put in again (``after``); None when a region is new to
    the counts (derived again on use)."""
    by_grade, by_region = old.by_grade.copy(), old.by_region.copy()
    for (rows, grade, region), sign in ((before, -1.0), (after, 1.0)):
        coo = rows.tocoo()
        g = grade[coo.row]
        g = np.where(np.isnan(g), 0, np.clip(g, 0, N_GRADES - 1)).astype(np.int64)
        np.add.at(by_grade, (g, coo.col), sign)
        known = pd.Series(region[coo.row], dtype=object)
        r = old.regions.get_indexer(pd.Index(known, dtype=object))
        if ((r < 0) & known.notna().to_numpy()).any():
            return None
        np.add.at(by_region, (np.where(r >= 0, r, len(old.regions)), coo.col), sign)
    return PeerCounts(
        _frozen(by_grade), _frozen(by_region), old.regions, _frozen(by_grade.sum(axis=0))
    )


def _replace_rows(
    base: RecommendDataset,
    part: RecommendDataset,
    at: np.ndarray,
    src: np.ndarray,
    ability: AbilityScale | None,
) -> RecommendDataset:
    order = np.argsort(at)
    at, src = at[order], src[order]
    inter = _columns_as(part.interactions, part.item_ids, base.item_ids)[src]
    taken = _columns_as(part.taken, part.catalog.activity_ids, base.catalog.activity_ids)[src]
    grade, region, declared = base.grade.copy(), base.region.copy(), base.declared.copy()
    grade[at], region[at], declared[at] = part.grade[src], part.region[src], part.declared[src]
    out = dataclasses.replace(
        base,
        as_of=part.as_of,
        interactions=_set_rows(base.interactions, at, inter),
        taken=_set_rows(base.taken, at, taken),
        grade=grade,
        region=region,
        declared=declared,
        ability=ability,
    )
    # the population lookups the models read, carried over and corrected by the changed rows
    known = vars(base)
    carried: dict[str, object] = {n: known[n] for n in CATALOGUE_LOOKUPS if n in known}
    if "ability_rows" in known:  # the same participant index, and the scale's (the caller checks)
        carried["ability_rows"] = known["ability_rows"]
    old_inter, old_taken = base.interactions[at], base.taken[at]
    if "item_popularity" in known:
        pop = known["item_popularity"] + _counts(inter, base.n_items)
        carried["item_popularity"] = _frozen(pop - _counts(old_inter, base.n_items))
    if "entrants" in known:
        n = len(base.catalog)
        ent = known["entrants"] + _counts(taken, n) - _counts(old_taken, n)
        carried["entrants"] = _frozen(ent)
    if "peer_counts" in known:
        peers = _peers(
            known["peer_counts"],
            (old_inter, base.grade[at], base.region[at]),
            (inter, grade[at], region[at]),
        )
        if peers is not None:
            carried["peer_counts"] = peers
            if "region_sizes" in known:
                carried["region_sizes"] = _region_sizes(
                    known["region_sizes"], peers.regions, base.region[at], region[at]
                )
    if "interest_popularity" in known:
        carried["interest_popularity"] = _interest_popularity(
            known["interest_popularity"],
            base.declared,
            (old_inter, base.declared[at]),
            (inter, declared[at]),
        )
    vars(out).update(carried)
    return out


def _region_sizes(
    old: np.ndarray, regions: pd.Index, before: np.ndarray, after: np.ndarray
) -> np.ndarray:
    """Participants per region row with the changed participants moved from their old region
    to their new one (the last row: unknown region)."""
    sizes = old.copy()
    n = len(regions)
    for values, sign in ((before, -1.0), (after, 1.0)):
        r = regions.get_indexer(pd.Index(values, dtype=object))
        np.add.at(sizes, np.where(r >= 0, r, n), sign)
    return _frozen(sizes)


def _interest_popularity(
    old: np.ndarray,
    declared: np.ndarray,
    before: tuple[sp.csr_matrix, np.ndarray],
    after: tuple[sp.csr_matrix, np.ndarray],
) -> np.ndarray:
    """Directions x items shares of the participants who declared each direction that took the
    item, with the changed rows' takers and declarations taken out and put in again (the counts
    behind the old shares are whole numbers, recovered by rounding)."""
    people = declared.sum(axis=0)
    counts = np.rint(old * np.maximum(people, 1)[:, None])
    for (rows, decl), sign in ((before, -1.0), (after, 1.0)):
        took = (rows > 0).astype(np.float64)
        counts += sign * np.asarray((took.T @ decl).T)
        people = people + sign * decl.sum(axis=0)
    return _frozen(counts / np.maximum(people, 1)[:, None])


def _splice_ability(
    base: AbilityScale | None, part: AbilityScale | None, changed: pd.Index
) -> AbilityScale | None:
    if base is None or part is None:
        return base
    at = base.participant_ids.get_indexer(changed)
    src = part.participant_ids.get_indexer(changed)
    if (at >= 0).all() and (src >= 0).all():
        # every changed participant keeps its row: the participant index stays the same object
        ability, se = base.ability.copy(), base.ability_se.copy()
        ability[at], se[at] = part.ability[src], part.ability_se[src]
        return dataclasses.replace(base, ability=ability, ability_se=se)
    keep = ~base.participant_ids.isin(changed)
    return dataclasses.replace(
        base,
        participant_ids=base.participant_ids[keep].append(part.participant_ids),
        ability=np.concatenate([base.ability[keep], part.ability]),
        ability_se=np.concatenate([base.ability_se[keep], part.ability_se]),
    )


def _move_rows(
    base: RecommendDataset,
    part: RecommendDataset,
    changed_ids: pd.Index,
    ability: AbilityScale | None,
) -> RecommendDataset:
    keep = ~base.participant_ids.isin(changed_ids)
    interactions = _columns_as(part.interactions, part.item_ids, base.item_ids)
    taken = _columns_as(part.taken, part.catalog.activity_ids, base.catalog.activity_ids)
    return dataclasses.replace(
        base,
        as_of=part.as_of,
        participant_ids=base.participant_ids[keep].append(part.participant_ids),
        interactions=sp.vstack([base.interactions[keep], interactions], format="csr"),
        taken=sp.vstack([base.taken[keep], taken], format="csr"),
        grade=np.concatenate([base.grade[keep], part.grade]),
        region=np.concatenate([base.region[keep], part.region]),
        declared=np.concatenate([base.declared[keep], part.declared]),
        ability=ability,
    )


def splice_participants(
    base: RecommendDataset,
    part: RecommendDataset,
    changed: Iterable[str],
    ability: AbilityScale | None = None,
) -> RecommendDataset:
    """``base`` with the rows of ``changed`` participants replaced by ``part``'s rows (a
    changed participant absent from ``part`` is removed: erased, or not visible any more).

    ``part`` is a dataset of the changed participants only, built with ``base``'s catalogue;
    ``ability`` their abilities on ``base``'s scale (:meth:`~models.recommend.ability.
    AbilityModel.participants`), or None to take ``part``'s own.
    """
    changed_ids = pd.Index(sorted(set(changed)), dtype=object)
    scale = _splice_ability(base.ability, ability or part.ability, changed_ids)
    at = base.participant_ids.get_indexer(changed_ids)
    src = part.participant_ids.get_indexer(changed_ids)
    same_scale = (
        scale is None
        or base.ability is None
        or scale.participant_ids is base.ability.participant_ids
    )
    stays = len(part.participant_ids) == len(changed_ids) and (at >= 0).all() and (src >= 0).all()
    if stays and same_scale:
        return _replace_rows(base, part, at, src, scale)
    return _move_rows(base, part, changed_ids, scale)
