"""Settings chosen on a validation split cut from the training period, then the test split once.

The protocol of ``talent evaluate recommend --interactions`` (RecTools' and LensKit's): the
per-user temporal split gives *train* and *test* (:func:`~training.recommend.split.
user_temporal_split`); the same split applied to *train* alone gives *fit* and *validation* (the
last part of each user's training history by time; a seeded random part without a time column),
so validation never sees a test row, in ids or in time. Each model's settings are chosen by
NDCG@k on validation, every model is refitted on the whole of *train* with its chosen settings,
and *test* is scored once. Nothing here reads the test rows before that last step.

The grids are drawn from the data, not from constants picked on one log:

- EASE's ridge ``lambda``: a geometric grid over three decades above the Gram matrix's mean
  diagonal (the mean number of interactions per item), the scale the ridge competes with;
- the recency half-life of ``ease_recency``: fractions of the median user's history length
  (in interactions), and "no decay" (plain EASE);
- ALS: a seeded sample (``als_budget``) of a factors x regularisation x iterations x alpha grid.

EASE's grid is cheap because the model is a closed form along ``lambda``: with the Gram matrix
``G = V diag(e) V'`` decomposed once, ``P(lambda) = V diag(1 / (e + lambda)) V'`` and the scores
``X B = X - (X P) diag(P)^-1`` need one product of the validation users' rows with ``V`` per
weighting and one ``users x items x items`` product per ``lambda`` (about 4 s each on MovieLens'
7,700 items), instead of one 7,700-item inversion per point (75-130 s on the shared 2 cores).
:func:`ease_path_lists` is checked against :class:`~models.recommend.ease.EASERecommender` in the
tests, so the path scores exactly what the model does.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict, Field
from threadpoolctl import threadpool_limits

from core.errors import ConfigError
from core.logs import get_logger
from models.recommend.als import ALSConfig
from training.recommend.evaluate import (
    LogColumns,
    LogSplitConfig,
    RecommendReport,
    log_relevant,
    recency_weighted,
    score_log_split,
)
from training.recommend.metrics import ranking_metrics
from training.recommend.split import user_temporal_split

log = get_logger(__name__)
PATH_BATCH = 2_048
"""Validation users scored at once along EASE's path (bounds memory at rows x items)."""


class SelectionConfig(BaseModel):
    """How settings are chosen on validation (the budget fits two cores on MovieLens 100k)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    validation_share: float = Field(default=0.2, gt=0, lt=1)
    """Share of each user's *training* history (its last part by time) held out as validation."""
    ease_lambda_points: int = Field(default=7, ge=1)
    """Points of the geometric lambda grid from 1x to 1000x the Gram's mean diagonal."""
    half_life_fractions: tuple[float, ...] = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2)
    """Half-lives tried, as fractions of the median user's training history length."""
    als_factors: tuple[int, ...] = (32, 64, 128)
    als_regularization: tuple[float, ...] = (0.01, 0.1, 1.0)
    als_iterations: tuple[int, ...] = (10, 20)
    als_alpha: tuple[float, ...] = (1.0, 10.0)
    als_budget: int = Field(default=8, ge=1)
    """ALS fits on validation: a seeded sample of the grid when it is larger."""


OVERRIDES: dict[str, tuple[str, str]] = {
    "ease.lambda": ("ease", "regularization"),
    "ease.regularization": ("ease", "regularization"),
    "recency.half_life": ("recency", "half_life"),
    "ease_recency.half_life": ("recency", "half_life"),
    "als.factors": ("als", "factors"),
    "als.regularization": ("als", "regularization"),
    "als.iterations": ("als", "iterations"),
    "als.alpha": ("als", "alpha"),
}
"""``--set KEY=VALUE`` keys: an explicit setting is used as given and not searched."""


def parse_overrides(items: list[str] | tuple[str, ...]) -> dict[str, float]:
    """``["ease.lambda=300", ...]`` -> ``{"ease.regularization": 300.0, ...}`` (canonical keys).

    Raises :class:`ConfigError` naming the item that is not ``KEY=NUMBER`` with a known key.
    """
    out: dict[str, float] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or key not in OVERRIDES:
            raise ConfigError(
                f"--set {item!r}: expected KEY=VALUE with KEY one of {', '.join(OVERRIDES)}"
            )
        try:
            value = float(raw)
        except ValueError as exc:
            raise ConfigError(f"--set {item!r}: {raw!r} is not a number") from exc
        model, param = OVERRIDES[key]
        out[f"{model}.{param}"] = value
    return out


def with_overrides(cfg: LogSplitConfig, overrides: dict[str, float]) -> LogSplitConfig:
    """``cfg`` with explicit settings applied (canonical keys of :func:`parse_overrides`)."""
    ease: dict[str, Any] = {}
    als: dict[str, Any] = {}
    top: dict[str, Any] = {}
    for key, value in overrides.items():
        model, param = key.split(".")
        if model == "ease":
            ease[param] = value
        elif model == "als":
            als[param] = int(value) if param in ("factors", "iterations") else value
        else:
            top["recency_half_life"] = value
    try:
        return cfg.model_copy(
            update=top
            | {
                "ease": cfg.ease.model_validate(cfg.ease.model_dump() | ease),
                "als": ALSConfig.model_validate(cfg.als.model_dump() | als),
            }
        )
    except ValueError as exc:
        raise ConfigError(f"--set: {exc}") from exc


def validation_split(
    train: pd.DataFrame, cols: LogColumns, share: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """*fit* and *validation*: the per-user temporal split applied to the training rows only."""
    return user_temporal_split(train, cols.user, cols.time, share, seed)


def lambda_grid(gram_diagonal: np.ndarray, points: int) -> tuple[float, ...]:
    """A geometric grid from the mean item count to 1000 times it (rounded to 3 digits)."""
    scale = float(np.mean(gram_diagonal)) if len(gram_diagonal) else 1.0
    grid = scale * np.logspace(0, 3, points) if points > 1 else np.array([scale * 30])
    return tuple(float(f"{v:.3g}") for v in grid)


def half_life_grid(
    train: pd.DataFrame, cols: LogColumns, fractions: tuple[float, ...]
) -> tuple[float, ...]:
    """Half-lives in interactions: fractions of the median user's history length (>= 1)."""
    median = float(train.groupby(cols.user).size().median())
    return tuple(sorted({float(f"{max(1.0, median * f):.3g}") for f in fractions}))


@dataclass(frozen=True)
class _Matrix:
    """Users x items of one log part, in fixed id orders."""

    users: pd.Index
    items: pd.Index
    x: sp.csr_matrix


def _matrix(
    frame: pd.DataFrame, cols: LogColumns, weight: np.ndarray | None, items: pd.Index | None = None
) -> _Matrix:
    users = pd.Index(sorted(frame[cols.user].astype(str).unique()))
    items = items if items is not None else pd.Index(sorted(frame[cols.item].astype(str).unique()))
    r = users.get_indexer(pd.Index(frame[cols.user].astype(str)))
    c = items.get_indexer(pd.Index(frame[cols.item].astype(str)))
    ok = c >= 0
    w = np.ones(len(frame)) if weight is None else weight
    x = sp.csr_matrix((w[ok], (r[ok], c[ok])), shape=(len(users), len(items)))
    x.sum_duplicates()
    return _Matrix(users, items, x)


def ease_path_lists(
    fit: pd.DataFrame,
    users: list[str],
    cols: LogColumns,
    lambdas: tuple[float, ...],
    weightings: dict[str, np.ndarray | None],
    k: int,
    max_items: int | None = None,
) -> dict[tuple[str, float], list[list[str]]]:
    """Top-``k`` lists of EASE fitted on ``fit`` for every ``lambda`` and query weighting.

    The model is EASE on binary interactions (as :class:`~models.recommend.ease.EASERecommender`
    with ``binary=True``); each weighting gives the users' query rows (``None``: binary, plain
    EASE; an array: per-row weights of ``fit``, the recency weights of ``ease_recency``). Items a
    user has in ``fit`` are never recommended to them.
    """
    binary = _matrix(fit, cols, None)
    x = binary.x.copy()
    x.data[:] = 1.0
    counts = np.asarray(x.sum(axis=0)).ravel()
    keep = np.flatnonzero(counts > 0)
    if max_items is not None and len(keep) > max_items:
        keep = np.sort(keep[np.argsort(-counts[keep], kind="stable")[:max_items]])
    xs = x[:, keep].tocsc()
    rows = binary.users.get_indexer(pd.Index(users))
    ids = binary.items[keep].to_numpy()
    queries = {
        name: _matrix(fit, cols, weight, binary.items).x for name, weight in weightings.items()
    }
    out: dict[tuple[str, float], list[list[str]]] = {
        (name, lam): [] for name in weightings for lam in lambdas
    }
    with threadpool_limits(2, "blas"):
        g = (xs.T @ xs).toarray().astype(np.float32)
        evals, vecs = np.linalg.eigh(g)
        del g
        diags = {lam: (vecs * vecs) @ (1.0 / (evals + lam)).astype(np.float32) for lam in lambdas}
        for start in range(0, len(rows), PATH_BATCH):
            part = rows[start : start + PATH_BATCH]
            safe = np.maximum(part, 0)
            seen = (x[safe][:, keep].toarray() > 0) | (part < 0)[:, None]
            for name, q in queries.items():
                qx = q[safe][:, keep].toarray().astype(np.float32)
                if weightings[name] is None:
                    qx = (qx > 0).astype(np.float32)
                qv = qx @ vecs
                for lam in lambdas:
                    inv = (1.0 / (evals + lam)).astype(np.float32)
                    scores = qx - ((qv * inv) @ vecs.T) / diags[lam][None, :]
                    scores[seen] = -np.inf
                    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
                    out[(name, lam)] += [
                        [ids[j] for j in row if np.isfinite(scores[i, j])]
                        for i, row in enumerate(top)
                    ]
    return out


@dataclass
class Selection:
    """What was chosen on validation, with every candidate's validation score."""

    chosen: dict[str, dict[str, float]] = field(default_factory=dict)
    """Model -> its chosen settings and ``validation_ndcg@k``."""
    trials: list[dict[str, Any]] = field(default_factory=list)
    """Every candidate tried: model, settings, validation NDCG@k."""
    info: dict[str, Any] = field(default_factory=dict)


def select_log_settings(
    train: pd.DataFrame,
    cols: LogColumns,
    cfg: LogSplitConfig,
    sel: SelectionConfig,
    fixed: dict[str, float] | None = None,
) -> tuple[LogSplitConfig, Selection]:
    """Choose each model's settings on a validation split of ``train`` (never of the test rows).

    ``fixed`` holds explicit settings (canonical ``--set`` keys), which are kept and not searched.
    Returns the config with the chosen settings and the record of the search.
    """
    fixed = fixed or {}
    started = time.perf_counter()
    fit, val = validation_split(train, cols, sel.validation_share, cfg.seed)
    users, relevant = log_relevant(fit, val, cols)
    metric = f"ndcg@{cfg.k}"
    selection = Selection(
        info={"fit_rows": len(fit), "validation_rows": len(val), "validation_users": len(users)}
    )
    chosen_cfg = with_overrides(cfg, fixed)

    def score(lists: list[list[str]]) -> float:
        return ranking_metrics(lists, relevant, cfg.k)[metric]

    if {"ease", "ease_recency"} & set(cfg.models):
        x = _matrix(fit, cols, None).x
        x.data[:] = 1.0
        diag = np.asarray(x.sum(axis=0)).ravel()
        lambdas = (
            (fixed["ease.regularization"],)
            if "ease.regularization" in fixed
            else lambda_grid(diag[diag > 0], sel.ease_lambda_points)
        )
        weightings: dict[str, np.ndarray | None] = {"binary": None}
        halves: tuple[float, ...] = ()
        if cols.time is not None and "ease_recency" in cfg.models:
            halves = (
                (fixed["recency.half_life"],)
                if "recency.half_life" in fixed
                else half_life_grid(fit, cols, sel.half_life_fractions)
            )
            for h in halves:
                weightings[f"half_life={h}"] = recency_weighted(fit, cols, h)["_recency"].to_numpy()
        lists = ease_path_lists(fit, users, cols, lambdas, weightings, cfg.k, cfg.ease.max_items)
        values = {key: score(v) for key, v in lists.items()}
        for (name, lam), value in values.items():
            trial: dict[str, Any] = {
                "model": "ease" if name == "binary" else "ease_recency",
                "regularization": lam,
                metric: value,
            }
            if name != "binary":
                trial["half_life"] = float(name.split("=")[1])
            selection.trials.append(trial)
        best_lam = max(lambdas, key=lambda lam: values[("binary", lam)])
        selection.chosen["ease"] = {
            "regularization": best_lam,
            f"validation_{metric}": values[("binary", best_lam)],
        }
        ease_cfg = chosen_cfg.ease.model_copy(update={"regularization": best_lam})
        update: dict[str, Any] = {"ease": ease_cfg}
        if halves:
            recency = [(n, lam) for (n, lam) in values if n != "binary"]
            name, lam = max(recency, key=lambda key: values[key])
            half = float(name.split("=")[1])
            selection.chosen["ease_recency"] = {
                "regularization": lam,
                "half_life": half,
                f"validation_{metric}": values[(name, lam)],
            }
            update["recency_half_life"] = half
            update["ease_recency"] = chosen_cfg.ease.model_copy(update={"regularization": lam})
        chosen_cfg = chosen_cfg.model_copy(update=update)
    if "als" in cfg.models:
        chosen_cfg = _select_als(fit, val, cols, chosen_cfg, sel, fixed, selection, metric)
    if "popular" in cfg.models:
        table, _ = score_log_split(fit, val, cols, cfg.model_copy(update={"models": ("popular",)}))
        selection.chosen["popular"] = {f"validation_{metric}": table["popular"][metric]}
    selection.info["seconds"] = round(time.perf_counter() - started, 1)
    log.info(
        "settings chosen on validation", chosen=selection.chosen, seconds=selection.info["seconds"]
    )
    return chosen_cfg, selection


def _select_als(
    fit: pd.DataFrame,
    val: pd.DataFrame,
    cols: LogColumns,
    cfg: LogSplitConfig,
    sel: SelectionConfig,
    fixed: dict[str, float],
    selection: Selection,
    metric: str,
) -> LogSplitConfig:
    grid = {
        "factors": sel.als_factors,
        "regularization": sel.als_regularization,
        "iterations": sel.als_iterations,
        "alpha": sel.als_alpha,
    }
    for param in grid:
        if f"als.{param}" in fixed:
            grid[param] = (getattr(cfg.als, param),)
    points = list(itertools.product(*grid.values()))
    if len(points) > sel.als_budget:
        rng = np.random.default_rng(cfg.seed)
        points = [points[i] for i in sorted(rng.choice(len(points), sel.als_budget, replace=False))]
    best: tuple[float, ALSConfig] | None = None
    for point in points:
        als = cfg.als.model_copy(update=dict(zip(grid, point, strict=True)))
        table, _ = score_log_split(
            fit, val, cols, cfg.model_copy(update={"models": ("als",), "als": als})
        )
        value = table["als"][metric]
        selection.trials.append(
            {"model": "als", **dict(zip(grid, point, strict=True)), metric: value}
        )
        if best is None or value > best[0]:
            best = (value, als)
    assert best is not None
    selection.chosen["als"] = {k: float(getattr(best[1], k)) for k in grid} | {
        f"validation_{metric}": best[0]
    }
    return cfg.model_copy(update={"als": best[1]})


def evaluate_interactions_selected(
    frame: pd.DataFrame,
    cols: LogColumns,
    config: LogSplitConfig | None = None,
    selection: SelectionConfig | None = None,
    fixed: dict[str, float] | None = None,
) -> RecommendReport:
    """:func:`~training.recommend.evaluate.evaluate_interactions` with settings chosen on
    validation.

    The report's ``params`` are the chosen settings; ``info["selection"]`` holds each model's
    chosen settings and validation score (beside the test scores of ``table``) and
    ``info["selection_trials"]`` every candidate tried.
    """
    cfg = config or LogSplitConfig()
    missing = [c for c in (cols.user, cols.item, cols.time, cols.weight) if c and c not in frame]
    if missing:
        raise ValueError(f"columns {missing} are not in the file; it has {list(frame.columns)}")
    train, test = user_temporal_split(frame, cols.user, cols.time, cfg.test_share, cfg.seed)
    chosen, record = select_log_settings(train, cols, cfg, selection or SelectionConfig(), fixed)
    table, info = score_log_split(train, test, cols, chosen)
    for name, settings in record.chosen.items():
        if name in table:
            table[name] |= {k: v for k, v in settings.items() if k.startswith("validation_")}
    return RecommendReport(
        table=table,
        params=chosen.model_dump(mode="json"),
        info={"rows": len(frame)}
        | info
        | {
            "protocol": "settings chosen on validation",
            "selection": record.chosen,
            "selection_trials": record.trials,
        }
        | {f"selection.{k}": v for k, v in record.info.items()},
    )
