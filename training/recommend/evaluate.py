"""Evaluation of every recommender and baseline in one table, on temporal splits.

* :func:`evaluate_simulator`: on a footprint snapshot (the simulator's world), for each cut-off:
  fit every model on what was known at the cut-off (the re-ranker also on past decision points
  before it), recommend the top 10 open, feasible activities, and score them against the open
  activities each participant actually took afterwards.
* :func:`evaluate_interactions`: on any interaction log, a per-user temporal split (last 20% by
  time is the test set; seen items excluded).

Both return a :class:`RecommendReport` (model -> metric -> value) and log it to MLflow when asked.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, NamedTuple

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializeAsAny,
    field_validator,
    model_validator,
)

from core.logs import get_logger
from features.cutoff import snapshot_at
from footprint.frames import Snapshot
from models.recommend.als import ALSConfig
from models.recommend.base import Recommender, RecommenderConfig
from models.recommend.columns import RecColumns as R
from models.recommend.dataset import (
    DecisionPoint,
    RecommendDataset,
    chosen_matrix,
    dataset_from_interactions,
    dataset_from_snapshot,
    decision_points,
)
from models.recommend.ease import EASEConfig
from models.recommend.profile import item_popularity
from models.recommend.registry import MODELS, RegistryError, spec
from models.recommend.rerank import RerankRecommender
from training.recommend.metrics import (
    catalog_coverage,
    ndcg_per_query,
    novelty,
    ranking_metrics,
)
from training.recommend.split import open_choices, user_temporal_split

log = get_logger(__name__)

SIM_MODELS: tuple[str, ...] = (
    "popular",
    "popular_direction",
    "coldstart",
    "als",
    "ease",
    "content",
    "rerank",
)
"""The models the simulator split evaluates by default (every registered one but the log-only
``ease_recency``)."""
LOG_MODELS: tuple[str, ...] = tuple(n for n, s in MODELS.items() if s.fits_logs)
"""The registered models an interaction log can fit: those that need no ability scale, decision
points or catalogue content."""


def _settings(value: Any) -> Any:
    """``{name: section}`` -> ``{name: validated config}`` (see :meth:`ModelSpec.config`)."""
    if not isinstance(value, Mapping):
        return value
    out: dict[str, RecommenderConfig] = {}
    for name, section in value.items():
        if name not in MODELS:
            raise RegistryError(
                f"[recommend.models.{name}]: no recommender is registered as "
                f"{name!r}; registered: {', '.join(MODELS)}"
            )
        out[name] = spec(name).config(section)
    return out


ModelSettings = Annotated[dict[str, SerializeAsAny[RecommenderConfig]], BeforeValidator(_settings)]
"""Each model's settings by registered name (``[recommend.models.<name>]`` sections), validated
against the model's own config; a model without a section uses its defaults."""
MOVED_TO_MODELS: tuple[str, ...] = ("als", "ease", "rerank")
"""Model sections that older configs kept inside ``[recommend.split]``."""


SEASON_CUTOFF_MONTHS: tuple[int, ...] = (10, 12, 2, 4)
"""Default cut-offs of the simulator split: 1 Oct, 1 Dec, 1 Feb and 1 Apr."""


class SimSplitConfig(BaseModel):
    """The simulator split: cut-offs, decision points of the re-ranker, sample sizes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cutoffs: tuple[dt.datetime, ...] | None = None
    """Evaluation cut-offs; when None, 1 October, 1 December, 1 February and 1 April of the
    latest season whose cut-offs all lie at least 60 days before the snapshot (so the choices
    made after each cut-off are recorded by then)."""
    cutoff_months: tuple[Annotated[int, Field(ge=1, le=12)], ...] = Field(
        default=SEASON_CUTOFF_MONTHS, min_length=1
    )
    """Months whose first day is a cut-off in the latest complete season (when ``cutoffs`` is
    not given); fewer months make the split faster, the served model is the same."""
    decision_offsets_days: tuple[int, ...] = (426, 365, 304)
    """Re-ranker training points, days before each cut-off (about 14, 12 and 10 months: their
    open activities have ended, so the choices are fully recorded by the cut-off)."""
    k: int = Field(default=10, ge=1)
    max_queries: int = Field(default=20_000, ge=1)
    """Participants with a choice sampled per cut-off (seeded)."""
    ability_sample: int = Field(default=20_000, ge=100)
    seed: int = 0
    models: tuple[str, ...] = SIM_MODELS
    """Registered names of the models evaluated; their settings are in
    ``[recommend.models.<name>]``, not here."""

    @model_validator(mode="before")
    @classmethod
    def _no_model_settings(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            moved = [k for k in MOVED_TO_MODELS if k in data]
            if moved:
                raise ValueError(
                    f"model settings are not part of the split: move {moved} to "
                    + ", ".join(f"[recommend.models.{k}]" for k in moved)
                    + " (a pipeline config written before 2026-12-03 is moved there on "
                    "reading; evaluate_simulator takes them as `settings`)"
                )
        return data

    @field_validator("models")
    @classmethod
    def _registered(cls, models: tuple[str, ...]) -> tuple[str, ...]:
        for name in models:
            s = spec(name)
            if s.recency_weighted:
                raise ValueError(
                    f"{name!r} weighs an interaction log's rows by time; the "
                    "simulator split has no such log"
                )
        return models

    @field_validator("cutoff_months")
    @classmethod
    def _distinct_months(cls, months: tuple[int, ...]) -> tuple[int, ...]:
        if len(set(months)) != len(months):
            raise ValueError(f"each month at most once, got {list(months)}")
        return months


class LogSplitConfig(BaseModel):
    """The per-user temporal split of an interaction log."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    test_share: float = Field(default=0.2, gt=0, lt=1)
    k: int = Field(default=10, ge=1)
    seed: int = 0
    models: tuple[str, ...] = LOG_MODELS
    # chosen on MovieLens' own temporal split (no separate validation split): see docs
    als: ALSConfig = ALSConfig(factors=32, regularization=0.1, alpha=2.0, iterations=20)
    ease: EASEConfig = EASEConfig(regularization=300.0)
    recency_half_life: float = Field(default=10.0, gt=0)
    """``ease_recency`` weighs a user's training interactions by 0.5 ** (rank from the latest /
    half-life) when scoring (needs a time column)."""
    ease_recency: EASEConfig | None = None
    """``ease_recency``'s own EASE settings when chosen apart from ``ease``'s (else ``ease``)."""

    @field_validator("models")
    @classmethod
    def _fit_logs(cls, models: tuple[str, ...]) -> tuple[str, ...]:
        for name in models:
            if not spec(name).fits_logs:
                raise ValueError(
                    f"{name!r} needs what an interaction log lacks (an ability "
                    "scale, decision points or the catalogue's content); models "
                    f"for a log: {', '.join(LOG_MODELS)}"
                )
        return models

    def settings(self) -> dict[str, RecommenderConfig]:
        """The models' settings of this split, by registered name (the log split's own
        defaults, chosen on MovieLens, and what selection on validation chose)."""
        return _settings(
            {"als": self.als, "ease": self.ease, "ease_recency": self.ease_recency or self.ease}
        )  # type: ignore[no-any-return]


@dataclass
class RecommendReport:
    """Metrics per model, with what produced them."""

    table: dict[str, dict[str, float]]
    params: dict[str, Any]
    info: dict[str, Any] = field(default_factory=dict)
    queries: pd.DataFrame | None = None
    """Per query (no ids): ``cutoff``, ``history`` (series taken before the cut-off) and each
    model's NDCG@k; what the plots break the metric down by (simulator split only)."""
    scores: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Per model, its top-k scores (``score``) and whether the item was chosen (``chosen``)."""

    def frame(self) -> pd.DataFrame:
        """One row per model, one column per metric."""
        return pd.DataFrame.from_dict(self.table, orient="index")

    def best_single(self, metric: str = "ndcg@10") -> tuple[str, float]:
        """The best model other than the re-ranker by ``metric``."""
        rows = {m: v[metric] for m, v in self.table.items() if m != "rerank"}
        name = max(rows, key=lambda m: rows[m])
        return name, rows[name]


def build_model(
    name: str, settings: Mapping[str, Any] | LogSplitConfig | None = None
) -> Recommender:
    """A fresh model by its registered name, with its section of ``settings`` (by name: configs
    or plain sections; a log split's :meth:`LogSplitConfig.settings`); defaults without one.

    Raises
    ------
    TalentError
        An unknown name, or invalid settings (naming ``<model>.<field>``).
    """
    if isinstance(settings, LogSplitConfig):
        settings = settings.settings()
    if settings is not None and not isinstance(settings, Mapping):
        raise TypeError(
            f"build_model takes the models' settings by registered name (a config's "
            f"[recommend.models] sections, RecommendStage.models), not a "
            f"{type(settings).__name__}; since 2026-12-03 the split holds no model settings"
        )
    return spec(name).build((settings or {}).get(name))


class FittedRecommender(NamedTuple):
    """A fitted model, the dataset it was fitted on and its decision points (when it needs
    them)."""

    model: Recommender
    dataset: RecommendDataset
    decisions: tuple[DecisionPoint, ...] = ()


def fit_recommender(
    snapshot: Snapshot,
    cut_off: dt.datetime,
    name: str,
    settings: Mapping[str, Any] | None = None,
    split: SimSplitConfig | None = None,
    seed: int | None = None,
) -> FittedRecommender:
    """The one fit path of a footprint recommender (the CLI, the pipeline's final models, the
    benchmarks): the dataset of ``snapshot`` as of ``cut_off``, built with what the model
    declares it needs (an ability scale; decision points ``split.decision_offsets_days`` before
    the cut-off), and the registered model ``name`` with its section of ``settings`` fitted on
    it. The evaluation split and tuning fit the same registered models on datasets they build
    once for every model (:func:`prepare_split`).

    Parameters
    ----------
    snapshot
        The footprint; nothing recorded after ``cut_off`` is read.
    cut_off
        The training cut-off.
    name
        A registered model (:data:`models.recommend.registry.MODELS`).
    settings
        Models' settings by name (``[recommend.models.<name>]``); defaults when absent.
    split
        Decision offsets, the ability scale's sample and seed (defaults when None).
    seed
        Overrides ``split.seed`` (the pipeline's seed).
    """
    cfg = split or SimSplitConfig()
    model = build_model(name, settings)
    entry = spec(name)
    seed = cfg.seed if seed is None else seed
    data = dataset_from_snapshot(
        snapshot, cut_off, ability=entry.needs_ability, ability_sample=cfg.ability_sample, seed=seed
    )
    points = (
        decision_points(
            snapshot,
            cut_off,
            tuple(cut_off - dt.timedelta(days=d) for d in cfg.decision_offsets_days),
            ability=entry.needs_ability,
            ability_sample=cfg.ability_sample,
            seed=seed,
        )
        if entry.needs_decisions
        else ()
    )
    return FittedRecommender(model.fit(data, points), data, points)


def default_cutoffs(
    snapshot: Snapshot, months: tuple[int, ...] = SEASON_CUTOFF_MONTHS
) -> tuple[dt.datetime, ...]:
    """The first day of each of ``months`` (default 1 Oct, 1 Dec, 1 Feb, 1 Apr) in the latest
    season (September to August) whose last such day is 60+ days before the snapshot."""
    margin = dt.timedelta(days=60)

    def season(year: int) -> tuple[dt.datetime, ...]:
        return tuple(sorted(dt.datetime(year if m >= 9 else year + 1, m, 1) for m in months))

    year = snapshot.as_of.year
    while season(year)[-1] + margin > snapshot.as_of:
        year -= 1
    return season(year)


def _lists(recs: pd.DataFrame, pids: list[str]) -> list[list[str]]:
    """Each participant's recommended activities in rank order (``recs`` is sorted by rank within
    a participant); one pass over plain arrays, not a pandas group per participant."""
    who = recs["participant_id"].to_numpy(dtype=object)
    what = recs["activity_id"].to_numpy(dtype=object)
    by: dict[str, list[str]] = {}
    for p, a in zip(who.tolist(), what.tolist(), strict=True):
        by.setdefault(p, []).append(a)
    return [by.get(p, []) for p in pids]


def _score_lists(
    ranked: list[list[str]],
    relevant: list[set[str]],
    k: int,
    catalog: int,
    popularity: dict[str, float],
) -> dict[str, float]:
    out = ranking_metrics(ranked, relevant, k)
    out["coverage"] = catalog_coverage(ranked, catalog, k)
    out["novelty"] = novelty(ranked, popularity, k)
    return out


def _activity_popularity(dataset: RecommendDataset) -> dict[str, float]:
    pop = item_popularity(dataset) / max(dataset.n_participants, 1)
    cat = dataset.catalog
    share = np.where(cat.item >= 0, pop[np.maximum(cat.item, 0)], 0.0)
    return dict(zip(cat.activity_ids, share, strict=True))


@dataclass(frozen=True)
class SplitCutoff:
    """One cut-off of the simulator split: its dataset, the decision points before it (when a
    model needs them), the sampled queries and what each of them took among the open
    activities."""

    cutoff: dt.datetime
    dataset: RecommendDataset
    participants: list[str]
    relevant: list[set[str]]
    decisions: tuple[DecisionPoint, ...] = ()


def fit_on_cutoff(
    cut: SplitCutoff, name: str, settings: Mapping[str, Any] | None = None
) -> Recommender:
    """The registered model ``name`` (with its section of ``settings``) fitted on a prepared
    cut-off: its dataset, and its decision points when the model declares it needs them (the
    evaluation, selection on validation and the benchmarks fit through here)."""
    model = build_model(name, settings)
    return model.fit(cut.dataset, cut.decisions if model.needs_decisions else ())


@dataclass(frozen=True)
class PreparedSplit:
    """The simulator split's data: everything but the models (see :func:`prepare_split`)."""

    snapshot_id: str
    cutoffs: tuple[SplitCutoff, ...]
    n_catalog: int
    popularity: dict[str, float]
    k: int

    @property
    def relevant(self) -> list[set[str]]:
        return [r for c in self.cutoffs for r in c.relevant]


def prepare_split(
    snapshot: Snapshot, cfg: SimSplitConfig, decisions: bool | None = None
) -> PreparedSplit:
    """The cut-offs, datasets, seeded query samples and relevant sets of the simulator split;
    :func:`evaluate_simulator` and the re-ranker's tuning both start from it, so their queries
    are the same draw for draw.

    The datasets carry what the evaluated models declare they need (the registry): an ability
    scale when one of them needs it, and decision points when ``decisions`` (by default, when
    one of them needs them)."""
    needs = [spec(m) for m in cfg.models]
    if decisions is None:
        decisions = any(n.needs_decisions for n in needs)
    ability = any(n.needs_ability for n in needs)
    cutoffs = cfg.cutoffs or default_cutoffs(snapshot, cfg.cutoff_months)
    rng = np.random.default_rng(cfg.seed)
    cache: dict[dt.datetime, RecommendDataset] = {}

    def at(t: dt.datetime) -> RecommendDataset:
        # datasets are shared between cut-offs and decision points that fall on the same day
        if t not in cache:
            cache[t] = dataset_from_snapshot(
                snapshot_at(snapshot, t),
                t,
                ability=ability,
                ability_sample=cfg.ability_sample,
                seed=cfg.seed,
            )
        return cache[t]

    parts: list[SplitCutoff] = []
    n_catalog = 0
    popularity: dict[str, float] = {}
    for cutoff in cutoffs:
        started = time.perf_counter()
        dataset = at(cutoff)
        points: list[DecisionPoint] = []
        if decisions:
            for days in cfg.decision_offsets_days:
                past = at(cutoff - dt.timedelta(days=days))
                chosen = chosen_matrix(snapshot, cutoff, past, past.catalog.open_at(past.as_of))
                points.append(DecisionPoint(past, chosen))
        choices = open_choices(snapshot, cutoff, dataset)
        pids = sorted(p for p in choices if dataset.rows([p])[0] >= 0)
        if len(pids) > cfg.max_queries:
            pids = sorted(
                rng.choice(np.array(pids, dtype=object), cfg.max_queries, replace=False).tolist()
            )
        parts.append(SplitCutoff(cutoff, dataset, pids, [choices[p] for p in pids], tuple(points)))
        n_catalog += len(dataset.catalog.open_at(cutoff))
        popularity.update(_activity_popularity(dataset))
        log.info(
            "simulator split cut-off",
            cutoff=str(cutoff.date()),
            queries=len(pids),
            open=len(dataset.catalog.open_at(cutoff)),
            seconds=round(time.perf_counter() - started, 1),
        )
    return PreparedSplit(snapshot.snapshot_id, tuple(parts), n_catalog, popularity, cfg.k)


def evaluate_simulator(
    snapshot: Snapshot,
    config: SimSplitConfig | None = None,
    settings: Mapping[str, Any] | None = None,
) -> RecommendReport:
    """Every model and baseline on the footprint's temporal split (see module docstring), each
    with its section of ``settings`` (by registered name; defaults when absent)."""
    cfg = config or SimSplitConfig()
    own: dict[str, RecommenderConfig] = _settings(settings or {})
    split = prepare_split(snapshot, cfg)
    ranked: dict[str, list[list[str]]] = {m: [] for m in cfg.models}
    relevant = split.relevant
    timings: dict[str, float] = {m: 0.0 for m in cfg.models}
    history: list[np.ndarray] = []
    query_cutoff: list[str] = []
    scored: dict[str, list[pd.DataFrame]] = {m: [] for m in cfg.models}

    for cut in split.cutoffs:
        cutoff, dataset, pids = cut.cutoff, cut.dataset, cut.participants
        choices = dict(zip(pids, cut.relevant, strict=True))
        history.append(dataset.history_counts()[dataset.rows(pids)])
        query_cutoff += [str(cutoff.date())] * len(pids)
        for name in cfg.models:
            t0 = time.perf_counter()
            model = fit_on_cutoff(cut, name, own)
            recs = model.recommend(pids, k=cfg.k, as_of=cutoff, reasons=False)
            ranked[name] += _lists(recs, pids)
            chosen = [
                aid in choices.get(pid, ())
                for pid, aid in zip(
                    recs["participant_id"].astype("object"),
                    recs["activity_id"].astype("object"),
                    strict=True,
                )
            ]
            scored[name].append(
                pd.DataFrame(
                    {"score": recs["score"].to_numpy(float), "chosen": np.array(chosen, dtype=bool)}
                )
            )
            timings[name] += time.perf_counter() - t0
            log.info("model evaluated", model=name, seconds=round(time.perf_counter() - t0, 1))
    table = {
        m: _score_lists(ranked[m], relevant, cfg.k, split.n_catalog, split.popularity)
        for m in cfg.models
    }
    for m in cfg.models:
        table[m]["seconds"] = round(timings[m], 2)
    queries = pd.DataFrame(
        {"cutoff": query_cutoff, "history": np.concatenate(history) if history else np.array([])}
    )
    for m in cfg.models:
        queries[m] = ndcg_per_query(ranked[m], relevant, cfg.k)
    return RecommendReport(
        table=table,
        params=cfg.model_dump(mode="json")
        | {"settings": {m: c.model_dump(mode="json") for m, c in own.items() if m in cfg.models}},
        info={
            "snapshot_id": snapshot.snapshot_id,
            "cutoffs": [str(c.cutoff) for c in split.cutoffs],
            "queries": len(relevant),
        },
        queries=queries,
        scores={m: pd.concat(v, ignore_index=True) for m, v in scored.items() if v},
    )


def evaluate_interactions(
    frame: pd.DataFrame,
    user_col: str,
    item_col: str,
    time_col: str | None = None,
    weight_col: str | None = None,
    config: LogSplitConfig | None = None,
) -> RecommendReport:
    """Every generic model on a per-user temporal split of an interaction log.

    Seen items (in the user's train part) are excluded from both the recommendations and the
    relevant set; NDCG is normalised by the best achievable for ``min(|test|, k)`` hits.
    """
    cfg = config or LogSplitConfig()
    missing = [c for c in (user_col, item_col, time_col, weight_col) if c and c not in frame]
    if missing:
        raise ValueError(f"columns {missing} are not in the file; it has {list(frame.columns)}")
    train, test = user_temporal_split(frame, user_col, time_col, cfg.test_share, cfg.seed)
    table, info = score_log_split(
        train, test, LogColumns(user_col, item_col, time_col, weight_col), cfg
    )
    return RecommendReport(
        table=table, params=cfg.model_dump(mode="json"), info={"rows": len(frame)} | info
    )


@dataclass(frozen=True)
class LogColumns:
    """The columns of an interaction log (time and weight optional)."""

    user: str
    item: str
    time: str | None = None
    weight: str | None = None


def recency_weighted(train: pd.DataFrame, cols: LogColumns, half_life: float) -> pd.DataFrame:
    """``train`` with a ``_recency`` column: 0.5 ** (rank from the user's latest / half-life),
    from the rows' own timestamps only (the latest interaction weighs 1)."""
    assert cols.time is not None
    rank = train.groupby(cols.user)[cols.time].rank(ascending=False, method="first") - 1
    return train.assign(_recency=0.5 ** (rank.to_numpy() / half_life))


def log_relevant(
    train: pd.DataFrame, test: pd.DataFrame, cols: LogColumns
) -> tuple[list[str], list[set[str]]]:
    """The users with test items they had not seen in ``train``, and those items."""
    seen = set(zip(train[cols.user].astype(str), train[cols.item].astype(str), strict=True))
    rel_by: dict[str, set[str]] = {}
    for u, i in zip(test[cols.user].astype(str), test[cols.item].astype(str), strict=True):
        if (u, i) not in seen:
            rel_by.setdefault(u, set()).add(i)
    users = sorted(rel_by)
    return users, [rel_by[u] for u in users]


def score_log_split(
    train: pd.DataFrame, test: pd.DataFrame, cols: LogColumns, cfg: LogSplitConfig
) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """Fit every model of ``cfg`` on ``train`` and score its top-k on ``test`` (seen items
    excluded); the evaluation of a test split and, with a validation split cut from the
    training part, of one candidate setting (:mod:`training.recommend.select`)."""
    dataset = dataset_from_interactions(train, cols.user, cols.item, cols.weight)
    users, relevant = log_relevant(train, test, cols)
    pop = item_popularity(dataset) / max(dataset.n_participants, 1)
    popularity = dict(zip(dataset.item_ids, pop, strict=True))
    recent = None
    if cols.time is not None:
        recent = dataset_from_interactions(
            recency_weighted(train, cols, cfg.recency_half_life), cols.user, cols.item, "_recency"
        )
    table: dict[str, dict[str, float]] = {}
    settings = cfg.settings()
    for name in cfg.models:
        weighted = spec(name).recency_weighted
        if weighted and recent is None:
            continue  # no time column: nothing to weigh by
        t0 = time.perf_counter()
        data = recent if weighted else dataset
        assert data is not None
        model = build_model(name, settings).fit(data)
        recs = model.recommend(users, k=cfg.k, reasons=False)
        table[name] = _score_lists(
            _lists(recs, users), relevant, cfg.k, dataset.n_items, popularity
        )
        table[name]["seconds"] = round(time.perf_counter() - t0, 2)
        log.info("model evaluated", model=name, seconds=table[name]["seconds"])
    info = {
        "train_rows": len(train),
        "test_rows": len(test),
        "users": len(users),
        "items": dataset.n_items,
        "time_col": cols.time,
    }
    return table, info


def log_report(report: RecommendReport, run_name: str, experiment: str = "recommend") -> str:
    """Log a report to MLflow (params, ``<model>.<metric>`` metrics, the table as JSON): to the
    active run when one is open (``talent evaluate recommend`` opens it before the evaluation),
    which then takes ``run_name``, else to a new run."""
    import json
    import tempfile
    from pathlib import Path

    import mlflow
    from mlflow.utils.mlflow_tags import MLFLOW_RUN_NAME

    from training.tracking import competence_run, flatten_params

    active = mlflow.active_run()
    if active is not None:
        mlflow.set_tag(MLFLOW_RUN_NAME, run_name)
    opened = (
        contextlib.nullcontext(active)
        if active is not None
        else competence_run(experiment, run_name)
    )
    with opened as run:
        mlflow.log_params(flatten_params(report.params))
        mlflow.log_metrics(
            {
                f"{m}.{k}".replace("@", "_at_"): float(v)
                for m, row in report.table.items()
                for k, v in row.items()
                if v is not None and np.isfinite(v)
            }
        )
        mlflow.set_tags({k: str(v)[:500] for k, v in report.info.items()})
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "report.json"
            path.write_text(
                json.dumps({"table": report.table, "info": report.info}, indent=1), "utf-8"
            )
            mlflow.log_artifact(str(path))
        return str(run.info.run_id)


def log_training_run(
    model: Recommender,
    path: Any,
    snapshot_id: str,
    as_of: dt.datetime,
    participants: int,
    experiment: str = "recommend",
) -> str:
    """Log a fitted recommender to MLflow: its config, provenance and the saved model file (to
    the active run when one is open, e.g. the one ``talent train recommend`` opens before the
    fit)."""
    import mlflow

    from training.tracking import competence_run, flatten_params

    active = mlflow.active_run()
    opened = (
        contextlib.nullcontext(active)
        if active is not None
        else competence_run(experiment, f"train {model.name}")
    )
    with opened as run:
        mlflow.log_params(flatten_params({"model": model.name, **model.get_config()}))
        mlflow.set_tags({"snapshot_id": snapshot_id, "as_of": as_of.isoformat(), "kind": "train"})
        mlflow.log_metric("participants", float(participants))
        if isinstance(model, RerankRecommender):
            mlflow.log_metric("train_groups", float(model.n_train_groups_))
        mlflow.log_artifact(str(path), artifact_path="model")
        return str(run.info.run_id)


__all__ = [
    "FittedRecommender",
    "LogSplitConfig",
    "ModelSettings",
    "R",
    "RecommendReport",
    "SimSplitConfig",
    "evaluate_interactions",
    "evaluate_simulator",
    "fit_on_cutoff",
    "fit_recommender",
    "log_report",
]
