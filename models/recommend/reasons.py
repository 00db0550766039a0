"""Reason codes and Russian texts of recommended activities, built per recommended cell.

A model names its primary reason per cell (:data:`Reason` = code + params); the pipeline adds
the reasons that hold whatever the model (a conditional stage, a series the participant took
before, the format, a deadline within a week). Texts are cached by their key, since the same
few combinations repeat across a batch of 250,000 participants.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

import numpy as np

from features.cutoff import as_micros
from footprint.directions import directions
from models.recommend.codes import ReasonCode, chance_code, reason_text
from models.recommend.dataset import RecommendDataset

Reason = tuple[ReasonCode, tuple[tuple[str, Any], ...]]
"""A reason code with its parameters (sorted key-value pairs, hashable)."""

DEADLINE_SOON_DAYS = 7


def reason(code: ReasonCode, **params: Any) -> Reason:
    return code, tuple(sorted(params.items()))


def chance_reason(chance: float) -> Reason:
    """The reason a chance of a good result gives: ``long_shot`` below 40%, ``stretch_zone``
    from 40% to 75%, ``safe_step`` above (:data:`~models.recommend.codes.CONDITIONS`), each
    worded so; the band is decided on the chance itself, the text shows it rounded."""
    return reason(chance_code(chance), chance=round(100 * chance))


@lru_cache(maxsize=4096)
def _text(reasons: tuple[Reason, ...]) -> str:
    return " ".join(reason_text(code, **dict(params)) for code, params in reasons)


@lru_cache(maxsize=64)
def direction_title(code: str) -> str:
    for d in directions():
        if d.code == code:
            return d.title_ru
    return code


def main_direction(dataset: RecommendDataset, act: int) -> str | None:
    """The activity's direction with the largest weight (None when undirected)."""
    w = dataset.catalog.weights[act]
    if len(w) == 0 or w.max() <= 0:
        return None
    return dataset.directions[int(np.argmax(w))]


def describe(
    dataset: RecommendDataset,
    rows: np.ndarray,
    sel: np.ndarray,
    valid: np.ndarray,
    conditional: np.ndarray,
    primary: list[list[Reason]],
    as_of: dt.datetime | None,
) -> tuple[list[tuple[str, ...]], list[str]]:
    """Codes and texts of every valid cell of ``sel`` (rows x k activity indices), row-major.

    ``primary[i][j]`` is the model's reason for cell ``(i, j)``.
    """
    cat = dataset.catalog
    codes: list[tuple[str, ...]] = []
    texts: list[str] = []
    t = as_micros(as_of) if as_of is not None else None
    soon = np.timedelta64(DEADLINE_SOON_DAYS, "D")
    feeders = cat.feeders() if len(cat.selection_to) else {}
    for i, row in enumerate(rows.tolist()):
        items = set()
        if row >= 0:
            lo, hi = dataset.interactions.indptr[row], dataset.interactions.indptr[row + 1]
            items = set(dataset.interactions.indices[lo:hi].tolist())
        for j in np.flatnonzero(valid[i]).tolist():
            a = int(sel[i, j])
            out: list[Reason] = [primary[i][j]]
            if cat.item[a] in items and primary[i][j][0] != ReasonCode.CONTINUES_SERIES:
                out.append(reason(ReasonCode.CONTINUES_SERIES))
            if conditional[i, j]:
                stage = int(feeders[a][0]) if a in feeders else a
                out.append(
                    reason(ReasonCode.CONDITIONAL_ON_QUALIFYING, stage_title=str(cat.title[stage]))
                )
            elif a in feeders:
                out.append(reason(ReasonCode.QUALIFIED))
            if cat.kind[a] >= 0:
                if cat.offline[a] and row >= 0 and dataset.region[row] == cat.region[a]:
                    out.append(reason(ReasonCode.IN_REGION))
                elif not cat.offline[a]:
                    out.append(reason(ReasonCode.ONLINE))
            deadline = cat.deadline[a]
            if t is not None and not np.isnat(deadline) and deadline - t <= soon:
                out.append(
                    reason(
                        ReasonCode.REGISTRATION_CLOSES,
                        deadline=str(deadline.astype("datetime64[D]")),
                    )
                )
            key = tuple(out)
            codes.append(tuple(c.value for c, _ in key))
            texts.append(_text(key))
    return codes, texts
