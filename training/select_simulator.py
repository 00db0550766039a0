"""Recommender settings chosen on a validation cut-off inside the simulator split's training period.

The simulator split scores each model at its test cut-offs (:func:`~training.recommend.evaluate.
evaluate_simulator`). Before that, this module picks the settings that matter on data the test
never sees: the snapshot is cut at the *first* test cut-off ``T`` (:func:`~features.cutoff.
snapshot_at`: records known by ``T`` only), and a validation cut-off ``V``, the same date a year
earlier by default (the same point of the season), is scored with the choices made after ``V``
and recorded by ``T``. Every test cut-off is at or after ``T``, so validation shares neither a
record nor an instant with any test window. On ``V`` each model is scored over a small grid:

- EASE's ridge ``lambda`` (also the re-ranker's EASE base model);
- ALS factors x regularisation x iterations (a seeded sample of ``als_budget`` points; also the
  re-ranker's ALS base model);
- the re-ranker's boosting rounds and leaves (when ``V`` has decision points with choices: a
  world needs about three seasons before ``T``; otherwise it keeps its settings and the
  selection says why).

The chosen settings go into the split's config, which the test evaluation and the final models
use: the test split is scored once, with settings it had no say in. The competence model's
regularisation is chosen elsewhere (``talent tune`` on its own held-out cut-off).
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from core.errors import TalentError
from core.logs import get_logger
from features.cutoff import snapshot_at
from footprint.frames import Snapshot
from models.recommend.base import RecommenderConfig
from models.recommend.registry import spec
from training.recommend.evaluate import (
    PreparedSplit,
    SimSplitConfig,
    _lists,
    default_cutoffs,
    fit_on_cutoff,
    prepare_split,
)
from training.recommend.metrics import ranking_metrics

log = get_logger(__name__)


class SimSelectionConfig(BaseModel):
    """The validation cut-off and the (small) grids; ``enabled`` turns the selection on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    """Off by default: on a 3,000-participant world (seed 1) it lifted the re-ranker's test
    NDCG@10 from 0.8496 to 0.8510 (EASE +0.3%, ALS +0.4%) for 258 s of selection against a 188 s
    test split on two cores (docs/benchmarks.md, 2026-12-03)."""
    offset_years: int = Field(default=1, ge=1, le=5)
    """Validation cut-off = the first test cut-off's date this many years earlier (the same
    point of the season, so the open catalogue looks alike)."""
    max_queries: int = Field(default=2_000, ge=10)
    """Validation participants sampled (seeded), to keep the grid within minutes on two cores."""
    ease_lambdas: tuple[float, ...] = (50.0, 125.0, 250.0, 500.0, 1000.0)
    als_factors: tuple[int, ...] = (32, 64)
    als_regularization: tuple[float, ...] = (0.01, 0.05, 0.5)
    als_iterations: tuple[int, ...] = (10, 15, 30)
    als_budget: int = Field(default=4, ge=1)
    rerank_n_estimators: tuple[int, ...] = (100, 200, 400)
    rerank_num_leaves: tuple[int, ...] = (15, 31)
    rerank_budget: int = Field(default=3, ge=0)
    """Re-ranker fits on validation (0: keep its settings)."""


@dataclass
class SimSelection:
    """What was chosen, on which cut-off, and every grid point's validation NDCG@k."""

    settings: dict[str, RecommenderConfig]
    """Each model's settings by registered name (``[recommend.models]``), with the choices."""
    k: int
    validation_cutoff: dt.datetime
    test_cutoff: dt.datetime
    chosen: dict[str, float] = field(default_factory=dict)
    validation: dict[str, float] = field(default_factory=dict)
    """``<model>`` -> validation NDCG@k of the chosen setting."""
    grid: list[dict[str, object]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def metrics(self) -> dict[str, float]:
        """Flat metrics for the run: ``selected.<setting>`` and ``validation.<model>.ndcg@k``."""
        return {f"selected.{n}": float(v) for n, v in self.chosen.items()} | {
            f"validation.{m}.ndcg@{self.k}": v for m, v in self.validation.items()
        }


def validation_split(
    snapshot: Snapshot, cfg: SimSplitConfig, sel: SimSelectionConfig, decisions: bool
) -> tuple[PreparedSplit, dt.datetime]:
    """The validation cut-off's split, from the snapshot as known at the first test cut-off;
    also returns that first test cut-off."""
    tests = cfg.cutoffs or default_cutoffs(snapshot, cfg.cutoff_months)
    first = min(tests)
    past = snapshot_at(snapshot, first)
    vcut = dt.datetime(
        first.year - sel.offset_years, first.month, min(first.day, 28), first.hour, first.minute
    )
    vcfg = cfg.model_copy(
        update={"cutoffs": (vcut,), "max_queries": min(cfg.max_queries, sel.max_queries)}
    )
    return prepare_split(past, vcfg, decisions=decisions), first


def _ndcg(
    split: PreparedSplit, name: str, settings: Mapping[str, RecommenderConfig], k: int
) -> float:
    ranked: list[list[str]] = []
    for cut in split.cutoffs:
        model = fit_on_cutoff(cut, name, settings)
        recs = model.recommend(cut.participants, k=k, as_of=cut.cutoff, reasons=False)
        ranked += _lists(recs, cut.participants)
    relevant: list[set[object]] = [set(r) for r in split.relevant]
    return float(ranking_metrics(ranked, relevant, k)[f"ndcg@{k}"])


def _sample(grid: list[tuple[float, ...]], budget: int, seed: int) -> list[tuple[float, ...]]:
    if len(grid) <= budget:
        return grid
    rng = np.random.default_rng(seed)
    return [grid[i] for i in sorted(rng.choice(len(grid), budget, replace=False).tolist())]


def _with(
    settings: dict[str, RecommenderConfig], name: str, **update: Any
) -> dict[str, RecommenderConfig]:
    """``settings`` with ``name``'s config updated (its defaults when it has no section)."""
    base = settings.get(name) or spec(name).config(None)
    return settings | {name: spec(name).config(base.model_copy(update=update))}


def select_sim_settings(
    snapshot: Snapshot,
    cfg: SimSplitConfig,
    settings: Mapping[str, RecommenderConfig],
    sel: SimSelectionConfig,
) -> SimSelection:
    """Choose EASE, ALS and re-ranker settings on the validation cut-off (module docstring)."""
    started = time.perf_counter()
    tune_rerank = "rerank" in cfg.models and sel.rerank_budget > 0
    split, first = validation_split(snapshot, cfg, sel, decisions=tune_rerank)
    if not split.relevant:
        raise TalentError(
            f"no validation queries at {split.cutoffs[0].cutoff:%Y-%m-%d} (the "
            f"first test cut-off {first:%Y-%m-%d} minus {sel.offset_years} "
            "year(s)): simulate more seasons or turn the selection off"
        )
    current: dict[str, RecommenderConfig] = dict(settings)
    out = SimSelection(current, cfg.k, split.cutoffs[0].cutoff, first)

    def point(model: str, values: dict[str, float], trial: dict[str, RecommenderConfig]) -> float:
        score = _ndcg(split, model, trial, cfg.k)
        out.grid.append({"model": model, **values, f"ndcg@{cfg.k}": score})
        log.info("validation point", model=model, ndcg=round(score, 4), **values)
        return score

    def rerank_bases(chosen: dict[str, RecommenderConfig]) -> dict[str, RecommenderConfig]:
        # the re-ranker's own base models take the chosen settings too
        if "rerank" not in cfg.models:
            return chosen
        return _with(chosen, "rerank", **{b: chosen[b] for b in ("ease", "als") if b in chosen})

    if "ease" in cfg.models or tune_rerank:
        best = max(
            sel.ease_lambdas,
            key=lambda lam: point(
                "ease", {"lambda": lam}, _with(current, "ease", regularization=lam)
            ),
        )
        current = rerank_bases(_with(current, "ease", regularization=best))
        out.chosen["ease.lambda"] = best
    if "als" in cfg.models or tune_rerank:
        grid = _sample(
            list(itertools.product(sel.als_factors, sel.als_regularization, sel.als_iterations)),
            sel.als_budget,
            cfg.seed,
        )

        def als(g: tuple[float, ...]) -> dict[str, RecommenderConfig]:
            return _with(
                current, "als", factors=int(g[0]), regularization=g[1], iterations=int(g[2])
            )

        f, r, i = max(
            grid,
            key=lambda g: point(
                "als", {"factors": g[0], "regularization": g[1], "iterations": g[2]}, als(g)
            ),
        )
        current = rerank_bases(als((f, r, i)))
        out.chosen |= {"als.factors": f, "als.regularization": r, "als.iterations": i}
    if tune_rerank:
        if any(c.decisions for c in split.cutoffs):
            grid = _sample(
                list(itertools.product(sel.rerank_n_estimators, sel.rerank_num_leaves)),
                sel.rerank_budget,
                cfg.seed,
            )

            def rerank(g: tuple[float, ...]) -> dict[str, RecommenderConfig]:
                return _with(current, "rerank", n_estimators=int(g[0]), num_leaves=int(g[1]))

            scored: list[tuple[float, tuple[float, ...]]] = []
            for g in grid:
                try:
                    scored.append(
                        (point("rerank", {"n_estimators": g[0], "num_leaves": g[1]}, rerank(g)), g)
                    )
                except TalentError as exc:
                    out.notes.append(f"rerank not tuned: {exc}")
                    break
            if scored:
                _, (n, leaves) = max(scored, key=lambda s: s[0])
                current = rerank((n, leaves))
                out.chosen |= {"rerank.n_estimators": n, "rerank.num_leaves": leaves}
        else:
            out.notes.append("rerank not tuned: no decision points before the validation cut-off")
    for note in out.notes:
        log.warning("selection note", note=note)
    for model in {str(g["model"]) for g in out.grid}:
        out.validation[model] = max(
            float(g[f"ndcg@{cfg.k}"])  # type: ignore[arg-type]
            for g in out.grid
            if g["model"] == model
        )
    out.settings = current
    out.seconds = time.perf_counter() - started
    log.info(
        "settings selected on validation",
        validation_cutoff=str(out.validation_cutoff),
        first_test_cutoff=str(first),
        seconds=round(out.seconds, 1),
        **out.chosen,
    )
    return out
