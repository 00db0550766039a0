"""Dated scores as of a time: a long table of results turned into per-target history features.

Any table of dated results (participant, direction, time, score, optionally the maximum score and
the activity) is a footprint of the simplest kind: every record is one result of one participant
in one activity. :class:`ScoreTable` holds it with integer codes; :func:`history` computes, for
any set of targets (participant, direction, time), aggregates of the participant's records
*strictly before* the target's time in every direction, so a target's features never see its own
time point or anything after it.

Scores are put on one scale per activity (the continuous analogue of the graded response model's
difficulty): ``z = (score - mean) / sd`` over the activity's records (an activity is the given
activity column, else the direction's time point). Records of one participant, direction and time
point are averaged into one *visit*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_ACTIVITY_SD = 1e-9
MIN_ACTIVITY_RECORDS = 10
"""Records an activity needs to set its own scale."""


@dataclass(frozen=True)
class ScoreTable:
    """Dated results with integer codes; ``value`` is the score, or score / max score.

    Attributes
    ----------
    participants, directions
        External ids and direction names; ``participant`` and ``direction`` index them.
    time
        Numeric time of each record (years since the first record when the table had dates).
    value
        The recorded result on its own scale.
    activity
        Activity code of each record (the direction's time point when no activity was given).
    """

    participants: pd.Index
    directions: tuple[str, ...]
    participant: np.ndarray
    direction: np.ndarray
    time: np.ndarray
    value: np.ndarray
    activity: np.ndarray

    def __len__(self) -> int:
        return len(self.value)

    def take(self, mask: np.ndarray) -> ScoreTable:
        """The records where ``mask`` holds (codes keep their meaning)."""
        return ScoreTable(
            self.participants,
            self.directions,
            self.participant[mask],
            self.direction[mask],
            self.time[mask],
            self.value[mask],
            self.activity[mask],
        )


def standardized(table: ScoreTable) -> np.ndarray:
    """Each record's score on its activity's scale (mean 0, sd 1 over the activity's records).

    An activity without spread gets its direction's pooled sd; one with fewer than
    ``MIN_ACTIVITY_RECORDS`` records is put on the direction's scale (see below).
    """
    act = table.activity
    n_act = int(act.max()) + 1 if len(act) else 0
    cnt = np.bincount(act, minlength=n_act)
    s1 = np.bincount(act, weights=table.value, minlength=n_act)
    s2 = np.bincount(act, weights=table.value**2, minlength=n_act)
    mean = s1 / np.maximum(cnt, 1)
    var = (s2 - cnt * mean**2) / np.maximum(cnt - 1, 1)
    sd = np.sqrt(np.clip(var, 0, None))
    pooled = np.ones(len(table.directions))
    for d in range(len(table.directions)):
        m = table.direction == d
        if m.sum() > 1:
            pooled[d] = max(float(np.std(table.value[m] - mean[act[m]], ddof=1)), 1e-6)
    act_dir = np.zeros(n_act, np.int64)
    act_dir[act] = table.direction
    sd = np.where((cnt > 1) & (sd > MIN_ACTIVITY_SD), sd, pooled[act_dir])
    # a small activity (e.g. one date of a table with dates) cannot set a scale: its own mean
    # would erase its results. Its records use one fixed affine map per direction instead,
    # the direction's mean and sd, the same for every record, so no ordering leaks from them.
    small = cnt < MIN_ACTIVITY_RECORDS
    if small.any():
        d_cnt = np.bincount(table.direction, minlength=len(table.directions))
        d_mean = np.bincount(
            table.direction, weights=table.value, minlength=len(table.directions)
        ) / np.maximum(d_cnt, 1)
        d_sd = np.array(
            [
                max(float(np.std(table.value[table.direction == d])), 1e-6) if d_cnt[d] > 1 else 1.0
                for d in range(len(table.directions))
            ]
        )
        mean = np.where(small, d_mean[act_dir], mean)
        sd = np.where(small, d_sd[act_dir], sd)
    return (table.value - mean[act]) / sd[act]


@dataclass(frozen=True)
class Visits:
    """One row per (participant, direction, time point): mean value and mean z, sorted by
    participant, then time."""

    participant: np.ndarray
    direction: np.ndarray
    time: np.ndarray
    value: np.ndarray
    z: np.ndarray
    n_directions: int

    def __len__(self) -> int:
        return len(self.value)

    def take(self, mask: np.ndarray) -> Visits:
        return Visits(
            self.participant[mask],
            self.direction[mask],
            self.time[mask],
            self.value[mask],
            self.z[mask],
            self.n_directions,
        )


def visits(table: ScoreTable, z: np.ndarray) -> Visits:
    """Records averaged per participant, direction and time point."""
    frame = pd.DataFrame(
        {"p": table.participant, "d": table.direction, "t": table.time, "v": table.value, "z": z}
    )
    g = frame.groupby(["p", "d", "t"], sort=True, observed=True).mean().reset_index()
    g = g.sort_values(["p", "t", "d"], kind="stable")
    return Visits(
        g["p"].to_numpy(np.int64),
        g["d"].to_numpy(np.int64),
        g["t"].to_numpy(np.float64),
        g["v"].to_numpy(np.float64),
        g["z"].to_numpy(np.float64),
        len(table.directions),
    )


@dataclass(frozen=True)
class History:
    """Aggregates of each target's earlier visits, one column per direction (targets x D).

    ``n`` counts visits; ``w`` and ``wz`` are the recency-weighted count and sum of z
    (weight ``exp(-decay x (target time - visit time))``); ``last_z``, ``last_value``, ``last_time``
    describe the latest earlier visit (NaN when none); ``sum_z``, ``sum_value`` and ``slope_z``
    (least-squares slope of z on time, NaN with fewer than two visits) summarise all of them.
    """

    n: np.ndarray
    w: np.ndarray
    wz: np.ndarray
    sum_z: np.ndarray
    sum_value: np.ndarray
    last_z: np.ndarray
    last_value: np.ndarray
    last_time: np.ndarray
    slope_z: np.ndarray


def history(v: Visits, participant: np.ndarray, time: np.ndarray, decay: float) -> History:
    """Per target (participant code, time) and direction, aggregates of the visits before time.

    Vectorised: per direction, cumulative sums over the visits sorted by (participant, time) and
    one ``searchsorted`` per target, so 100,000 targets take well under a second.
    """
    n_t, n_d = len(participant), v.n_directions
    shape = (n_t, n_d)
    out = {k: np.zeros(shape) for k in ("n", "w", "wz", "sum_z", "sum_value", "st", "stt", "stz")}
    last = {k: np.full(shape, np.nan) for k in ("last_z", "last_value", "last_time")}
    t0 = float(min(v.time.min(initial=0.0), time.min(initial=0.0)))
    # weights exp(-decay (t - s)) = exp(decay (s - t0)) / exp(decay (t - t0)), clipped for range
    scale_v = np.exp(np.clip(decay * (v.time - t0), None, 60.0))
    scale_t = np.exp(np.clip(decay * (time - t0), None, 60.0))
    grid = np.unique(np.concatenate([v.time, time]))
    stride = np.int64(len(grid) + 1)
    target_key = participant.astype(np.int64) * stride + np.searchsorted(grid, time)
    for d in range(n_d):
        m = v.direction == d
        p, t, z, x = v.participant[m], v.time[m], v.z[m], v.value[m]
        if not len(p):
            continue
        order = np.lexsort((t, p))
        p, t, z, x, sv = p[order], t[order], z[order], x[order], scale_v[m][order]
        tc = t - t0
        cums = {
            "n": np.cumsum(np.ones(len(p))),
            "w": np.cumsum(sv),
            "wz": np.cumsum(sv * z),
            "sum_z": np.cumsum(z),
            "sum_value": np.cumsum(x),
            "st": np.cumsum(tc),
            "stt": np.cumsum(tc * tc),
            "stz": np.cumsum(tc * z),
        }
        # the last visit of the same participant strictly before each target's time
        keys = p * stride + np.searchsorted(grid, t)
        j = np.searchsorted(keys, target_key, side="left") - 1
        ok = (j >= 0) & (p[np.clip(j, 0, None)] == participant)
        jj = j[ok]
        # cumulative sums run over all participants: subtract the sums before this one's first
        first = np.searchsorted(p, participant[ok], side="left") - 1
        for k, c in cums.items():
            before = np.where(first >= 0, c[np.clip(first, 0, None)], 0.0)
            out[k][ok, d] = c[jj] - before
        out["w"][ok, d] /= scale_t[ok]
        out["wz"][ok, d] /= scale_t[ok]
        last["last_z"][ok, d] = z[jj]
        last["last_value"][ok, d] = x[jj]
        last["last_time"][ok, d] = t[jj]
    n = out["n"]
    with np.errstate(invalid="ignore", divide="ignore"):
        mt = out["st"] / n
        var_t = out["stt"] / n - mt**2
        cov = out["stz"] / n - mt * out["sum_z"] / n
        slope = np.where((n >= 2) & (var_t > 1e-12), cov / var_t, np.nan)
    return History(
        n,
        out["w"],
        out["wz"],
        out["sum_z"],
        out["sum_value"],
        last["last_z"],
        last["last_value"],
        last["last_time"],
        slope,
    )
