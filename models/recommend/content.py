"""The competence-aware content model: direction affinity and a stretch zone of success chances.

For participant ``u`` and activity ``a``::

    score = log(affinity + floor)                      # interest in a's directions
          + stretch_weight x log(stretch(p) + 1e-3)    # p = P(good result | ability, difficulty)
          + region_bonus x [offline in u's region]
          + popularity_weight x log(1 + series popularity)

``stretch(p) = exp(-(p - target)^2 / (2 width^2))`` peaks at ``target`` (0.6 by default): an
activity the participant would surely ace teaches little, one they would surely fail discourages.
Ability and difficulty come from :mod:`models.recommend.ability` (the graded response
calibration of :mod:`features.calibration`, a transparent proxy for competence that puts both on
one scale); without an ability scale the stretch term is left out.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field

from models.recommend.base import Recommender, RecommenderConfig
from models.recommend.codes import ReasonCode
from models.recommend.dataset import RecommendDataset
from models.recommend.profile import (
    direction_profile,
    item_directions,
    item_popularity,
)
from models.recommend.reasons import (
    Reason,
    chance_reason,
    direction_title,
    main_direction,
    reason,
)


class ContentConfig(RecommenderConfig):
    target_success: float = Field(default=0.6, gt=0, lt=1)
    width: float = Field(default=0.25, gt=0)
    stretch_weight: float = Field(default=1.0, ge=0)
    interest_floor: float = Field(default=0.05, gt=0)
    region_bonus: float = Field(default=1.0, ge=0)
    popularity_weight: float = Field(default=0.3, ge=0)


def success_matrix(dataset: RecommendDataset, rows: np.ndarray, acts: np.ndarray) -> np.ndarray:
    """P(good result) per participant row and activity (NaN without an ability scale)."""
    scale = dataset.ability
    if scale is None or not dataset.directions:
        return np.full((len(rows), len(acts)), np.nan)
    # the scale's row of each dataset row, once per dataset (a request then indexes two arrays)
    scale_row = dataset.ability_rows
    theta = scale.ability_at(np.where(rows >= 0, scale_row[np.maximum(rows, 0)], -1))
    unknown = (rows < 0) | np.isnan(theta).any(axis=1)
    if unknown.any():
        # unknown participants: the middle of the scale
        theta[unknown] = 0.0
    s_act = dataset.ability_activities[acts]
    w = dataset.catalog.weights[acts]
    n, m = len(rows), len(acts)
    out = np.full((n, m), np.nan)
    ok = s_act >= 0
    if ok.any():
        t = np.repeat(theta, int(ok.sum()), axis=0)
        a = np.tile(s_act[ok], n)
        ww = np.tile(w[ok], (n, 1))
        out[:, ok] = scale.success(t, a, ww).reshape(n, int(ok.sum()))
    return out


class ContentRecommender(Recommender[ContentConfig]):
    """Interest x stretch-zone fit x locality, from the participant's profile and ability."""

    name: ClassVar[str] = "content"
    config_class = ContentConfig
    needs_ability: ClassVar[bool] = True
    needs_content: ClassVar[bool] = True

    def _fit(self, dataset: RecommendDataset) -> None:
        # what it keeps is the ability scale's item parameters (``ability_``, set by ``fit``);
        # interests, abilities and popularity are read from the dataset asked about
        del dataset

    def parts(
        self, dataset: RecommendDataset, rows: np.ndarray, acts: np.ndarray
    ) -> dict[str, np.ndarray]:
        """The score's terms (affinity, success chance, local, popularity), rows x acts."""
        cat = dataset.catalog
        profile = direction_profile(dataset, rows, item_directions(dataset))
        affinity = (
            profile @ cat.weights[acts].T if dataset.directions else np.ones((len(rows), len(acts)))
        )
        success = success_matrix(dataset, rows, acts)
        region = dataset.region_of(rows)
        local = (
            cat.offline[acts][None, :]
            & (region[:, None] == cat.region[acts][None, :])
            & (region[:, None] != None)  # noqa: E711
        )
        items = cat.item[acts]
        pop = np.where(items >= 0, item_popularity(dataset)[np.maximum(items, 0)], 0.0)
        return {
            "affinity": affinity,
            "success": success,
            "local": local.astype(float),
            "popularity": np.tile(np.log1p(pop), (len(rows), 1)),
        }

    def score(self, dataset: RecommendDataset, rows: np.ndarray, acts: np.ndarray) -> np.ndarray:
        return self.score_parts(self.parts(dataset, rows, acts))

    def score_parts(self, p: dict[str, np.ndarray]) -> np.ndarray:
        """The score from :meth:`parts` (for callers that need both)."""
        cfg = self.config
        score = np.log(p["affinity"] + cfg.interest_floor)
        stretch = np.exp(-((p["success"] - cfg.target_success) ** 2) / (2 * cfg.width**2))
        score += cfg.stretch_weight * np.where(np.isnan(stretch), 0.0, np.log(stretch + 1e-3))
        score += cfg.region_bonus * p["local"] + cfg.popularity_weight * p["popularity"]
        return score

    def primary_reasons(
        self, dataset: RecommendDataset, rows: np.ndarray, sel: np.ndarray, valid: np.ndarray
    ) -> list[list[Reason]]:
        """Per cell, the reason of the score term that lifted the item most above the other
        recommended items of the row: interest (``matches_interest``), the chance of a good
        result (its band: ``long_shot``, ``stretch_zone`` or ``safe_step``) or popularity
        (``popular_in_direction``). The region bonus is left to the shared ``in_region``
        reason. With one item (nothing to compare), the chance band when known."""
        cfg = self.config
        out = []
        for i, row in enumerate(rows.tolist()):
            acts = sel[i]
            p = self.parts(dataset, np.array([row]), acts)
            succ = p["success"][0]
            stretch = np.exp(-((succ - cfg.target_success) ** 2) / (2 * cfg.width**2))
            terms = {
                "interest": np.log(p["affinity"][0] + cfg.interest_floor),
                "chance": cfg.stretch_weight
                * np.log(np.where(np.isnan(stretch), np.nan, stretch + 1e-3)),
                "popularity": cfg.popularity_weight * p["popularity"][0],
            }
            ok = valid[i]
            lift = {}
            for name, value in terms.items():
                known = ok & np.isfinite(value)
                ref = value[known].mean() if known.sum() > 1 else np.nan
                lift[name] = value - ref
            line = []
            for j in range(sel.shape[1]):
                known_chance = not np.isnan(succ[j])
                lifts = {n: v[j] for n, v in lift.items() if np.isfinite(v[j])}
                best = (
                    max(lifts, key=lambda n: lifts[n])
                    if lifts and max(lifts.values()) > 1e-9
                    else ("chance" if known_chance else "interest")
                )
                d = main_direction(dataset, int(acts[j])) if valid[i, j] else None
                if best == "chance" and known_chance:
                    line.append(chance_reason(float(succ[j])))
                elif best == "popularity":
                    line.append(
                        reason(ReasonCode.POPULAR_IN_DIRECTION, direction_title=direction_title(d))
                        if d
                        else reason(ReasonCode.POPULAR)
                    )
                elif d:
                    line.append(
                        reason(ReasonCode.MATCHES_INTEREST, direction_title=direction_title(d))
                    )
                else:
                    line.append(reason(ReasonCode.RANKED_BY_MODEL))
            out.append(line)
        return out
