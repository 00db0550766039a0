"""The planner's catalogue: open activities, plus projected editions of recurring series.

A season trajectory reaches months ahead, past what is published (activities appear a few weeks
before their registration deadline). Recurring series run at about the same time every season,
so for a series that ran last season and has no edition published yet, the planner adds a
*projected* edition: the last edition's dates moved by whole seasons, same kind, level, format,
region, grades and directions. Projected steps are marked as such (their dates are expected, not
announced), and selection edges between series carry over to their projected editions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.cutoff import as_micros
from footprint.calendar import season_start_year
from models.recommend.dataset import RecommendDataset
from models.recommend.planner.deadlines import registration_open

PROJECTED_PREFIX = "projected:"


@dataclass(frozen=True)
class PlanCatalog:
    """Candidate editions for plans made at ``as_of`` (real ones first, then projected).

    ``real`` is the dataset catalogue index (-1 for projected editions); ``feeders[i]`` the plan
    catalogue indices of the selection stages feeding edition ``i``.
    """

    as_of: dt.datetime
    ids: np.ndarray
    real: np.ndarray
    item: np.ndarray
    start: np.ndarray
    end: np.ndarray
    deadline: np.ndarray
    projected: np.ndarray
    feeders: tuple[np.ndarray, ...]

    def __len__(self) -> int:
        return len(self.ids)


def _season_of(values: np.ndarray) -> np.ndarray:
    months = values.astype("datetime64[M]").astype(np.int64)
    year, month = months // 12 + 1970, months % 12 + 1
    return np.where(month >= 6, year, year - 1)


def plan_catalog(
    dataset: RecommendDataset, as_of: dt.datetime, horizon_end: dt.datetime, project: bool = True
) -> PlanCatalog:
    """Open editions at ``as_of`` starting by ``horizon_end``, and projected ones.

    Parameters
    ----------
    dataset
        Catalogue and selection edges known at ``as_of``.
    as_of
        The planning instant.
    horizon_end
        Steps must end by this instant.
    project
        Add projected editions of series that ran last season (or earlier this season) and
        have no edition published since.
    """
    cat = dataset.catalog
    t = as_micros(as_of)
    stop = as_micros(horizon_end)
    open_ = cat.open_at(as_of)
    open_ = open_[~np.isnat(cat.end[open_]) & (cat.end[open_] <= stop)]
    real = list(open_.tolist())
    ids = list(cat.activity_ids[open_])
    item = list(cat.item[open_].tolist())
    start, end, deadline = [cat.start[open_]], [cat.end[open_]], [cat.deadline[open_]]
    projected_src: list[int] = []
    if project and cat.dated:
        season_now = season_start_year(as_of.date())
        dated = np.flatnonzero(~np.isnat(cat.start))
        seasons = _season_of(cat.start[dated])
        frame = pd.DataFrame(
            {"act": dated, "item": cat.item[dated], "start": cat.start[dated], "season": seasons}
        )
        upcoming = set(frame.loc[frame["start"] > t, "item"].tolist())
        latest = frame[frame["start"] <= t].sort_values(["item", "start"]).groupby("item").tail(1)
        acts = latest["act"].to_numpy(np.int64)
        items = latest["item"].to_numpy(np.int64)
        ran = latest["season"].to_numpy(np.int64)
        for a, it, season in zip(acts.tolist(), items.tolist(), ran.tolist(), strict=True):
            if it in upcoming or it < 0 or season < season_now - 1 or cat.nested[a]:
                continue
            shift = np.timedelta64(round(365.25 * (season_now - season)), "D")
            if shift == np.timedelta64(0, "D"):
                continue  # it already ran this season
            s, e = cat.start[a] + shift, cat.end[a] + shift
            d = cat.deadline[a] + shift  # NaT stays NaT: open until the projected start
            if not registration_open(np.array([d]), np.array([s]), t)[0] or e > stop:
                continue
            projected_src.append(a)
            ids.append(f"{PROJECTED_PREFIX}{dataset.item_ids[it]}:{season_now}")
            item.append(it)
            start.append(np.array([s]))
            end.append(np.array([e]))
            deadline.append(np.array([d]))
    n_real = len(real)
    real_idx = np.array(real + projected_src, dtype=np.int64)
    is_proj = np.r_[np.zeros(n_real, bool), np.ones(len(projected_src), bool)]
    item_arr = np.array(item, dtype=np.int64)
    start_arr = np.concatenate(start) if start else np.zeros(0, "datetime64[us]")
    feeders = _feeders(dataset, real_idx, item_arr, start_arr)
    return PlanCatalog(
        as_of=as_of,
        ids=np.array(ids, dtype=object),
        real=np.where(is_proj, -1, real_idx),
        item=item_arr,
        start=start_arr,
        end=np.concatenate(end),
        deadline=np.concatenate(deadline),
        projected=is_proj,
        feeders=feeders,
    )


def source_index(pc: PlanCatalog, dataset: RecommendDataset) -> np.ndarray:
    """Dataset catalogue index whose attributes each plan edition carries (the real edition, or
    the past edition a projection copies)."""
    out = pc.real.copy()
    proj = np.flatnonzero(pc.projected)
    if len(proj):
        cat = dataset.catalog
        for i in proj.tolist():
            eds = np.flatnonzero((cat.item == pc.item[i]) & ~np.isnat(cat.start))
            out[i] = int(eds[np.argmax(cat.start[eds])])
    return out


def _feeders(
    dataset: RecommendDataset, src: np.ndarray, item: np.ndarray, start: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Selection feeders within the plan catalogue, matched by series and season."""
    cat = dataset.catalog
    series_edges = {
        (int(cat.item[f]), int(cat.item[t]))
        for f, t in zip(cat.selection_from.tolist(), cat.selection_to.tolist(), strict=True)
    }
    if not series_edges or len(item) == 0:
        return tuple(np.zeros(0, np.int64) for _ in range(len(item)))
    season = _season_of(start)
    out = []
    for i in range(len(item)):
        feeding = [f for f, t in series_edges if t == item[i]]
        idx = np.flatnonzero(np.isin(item, feeding) & (season == season[i]))
        out.append(idx.astype(np.int64))
    return tuple(out)
