"""The re-ranker's tuning objective: the simulator split prepared once, boosters fitted per trial.

A re-ranker fit has two parts of very different cost. Building its inputs (the datasets at every
cut-off and decision point with their ability scales, the base models fitted at each decision
point, the candidate features of the training groups, the base models on the cut-off's dataset)
is most of the time and does not depend on the LightGBM ranker's own settings; fitting the
ranker on them does. So the split is prepared once per study (:func:`prepare_split`, the same
cut-offs, queries and relevant sets as :func:`training.recommend.evaluate_simulator`), the
inputs are built once per cut-off and per *feature setting*
(:func:`models.recommend.rerank.feature_settings`: a study over the booster alone builds them
once; one that also varies ``candidates_per_model`` or a base model rebuilds them for each new
value), and each trial fits only the boosters.

**Rungs are shares of the ranker's boosting rounds**, as for the competence model: at each rung
the ranker of every cut-off is fitted with that share of ``n_estimators`` and the pooled metric
over all cut-offs is reported. Boosting rounds rather than a share of the training queries,
because a rung then evaluates the trial's own model earlier on its learning curve with the
training data it will have at the end: ``num_leaves`` and ``min_child_samples`` act on the number
of training rows, so a model fitted on a quarter of the groups ranks settings differently from
the full one, while the last rung here *is* the configuration ``talent train`` fits. And the
rung is over every cut-off, not one cut-off after another, so that trials are compared on the
same queries at every step. With the inputs cached, the boosters are what a trial costs, which
is what a pruned trial saves.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from features.cutoff import snapshot_at
from footprint.frames import Snapshot
from footprint.logs import get_logger
from models.recommend.dataset import (
    DecisionPoint,
    RecommendDataset,
    chosen_matrix,
    dataset_from_snapshot,
)
from models.recommend.rerank import (
    RerankConfig,
    RerankInputs,
    RerankRecommender,
    feature_settings,
    rerank_inputs,
)
from training.recommend import (
    SimSplitConfig,
    _activity_popularity,
    _lists,
    _score_lists,
    default_cutoffs,
)
from training.recommend_split import open_choices

log = get_logger(__name__)
INPUT_CACHE = 2
"""Feature settings whose inputs are kept (each holds every cut-off's training groups)."""


@dataclass(frozen=True)
class SplitCutoff:
    """One cut-off of the simulator split: its dataset (with the re-ranker's decision points),
    the sampled queries and what each of them took among the open activities."""

    cutoff: dt.datetime
    dataset: RecommendDataset
    participants: list[str]
    relevant: list[set[str]]


@dataclass(frozen=True)
class PreparedSplit:
    """The simulator split computed once per study."""

    snapshot_id: str
    cutoffs: tuple[SplitCutoff, ...]
    n_catalog: int
    popularity: dict[str, float]
    k: int

    @property
    def relevant(self) -> list[set[str]]:
        return [r for c in self.cutoffs for r in c.relevant]


def prepare_split(snapshot: Snapshot, cfg: SimSplitConfig) -> PreparedSplit:
    """The cut-offs, datasets, queries and relevant sets of the simulator split.

    Mirrors :func:`training.recommend.evaluate_simulator` draw for draw (same cut-offs, the same
    seeded query sample, the same decision points), so a trial's last rung is the re-ranker's
    row of that evaluation; ``tests/training/test_tuning.py`` checks it through the pipeline.
    """
    cutoffs = cfg.cutoffs or default_cutoffs(snapshot, cfg.cutoff_months)
    rng = np.random.default_rng(cfg.seed)
    cache: dict[dt.datetime, RecommendDataset] = {}

    def at(t: dt.datetime) -> RecommendDataset:
        if t not in cache:
            cache[t] = dataset_from_snapshot(snapshot_at(snapshot, t), t, ability=True,
                                             ability_sample=cfg.ability_sample, seed=cfg.seed)
        return cache[t]

    parts: list[SplitCutoff] = []
    n_catalog = 0
    popularity: dict[str, float] = {}
    for cutoff in cutoffs:
        dataset = at(cutoff)
        points = []
        for days in cfg.decision_offsets_days:
            past = at(cutoff - dt.timedelta(days=days))
            chosen = chosen_matrix(snapshot, cutoff, past, past.catalog.open_at(past.as_of))
            points.append(DecisionPoint(past, chosen))
        dataset = replace(dataset, decisions=tuple(points))
        choices = open_choices(snapshot, cutoff, dataset)
        pids = sorted(p for p in choices if dataset.rows([p])[0] >= 0)
        if len(pids) > cfg.max_queries:
            pids = sorted(rng.choice(np.array(pids, dtype=object), cfg.max_queries,
                                     replace=False).tolist())
        parts.append(SplitCutoff(cutoff, dataset, pids, [choices[p] for p in pids]))
        n_catalog += len(dataset.catalog.open_at(cutoff))
        popularity.update(_activity_popularity(dataset))
        log.info("tuning split cut-off", cutoff=str(cutoff.date()), queries=len(pids))
    return PreparedSplit(snapshot.snapshot_id, tuple(parts), n_catalog, popularity, cfg.k)


class RerankObjective:
    """The re-ranker's metric on a prepared split, at increasing shares of its boosting rounds.

    Parameters
    ----------
    split
        The prepared simulator split.
    metric
        A key of the re-ranker's row (``ndcg@10``, ``recall@10``, ...).
    """

    def __init__(self, split: PreparedSplit, metric: str) -> None:
        self.split = split
        self.metric = metric
        self._inputs: OrderedDict[str, tuple[RerankInputs, ...]] = OrderedDict()

    def inputs(self, config: RerankConfig) -> tuple[RerankInputs, ...]:
        """Every cut-off's inputs for ``config``'s feature settings (built on first use)."""
        key = json.dumps(feature_settings(config), sort_keys=True)
        if key in self._inputs:
            self._inputs.move_to_end(key)
            return self._inputs[key]
        built = tuple(rerank_inputs(config, c.dataset) for c in self.split.cutoffs)
        self._inputs[key] = built
        while len(self._inputs) > INPUT_CACHE:
            self._inputs.popitem(last=False)
        return built

    def evaluate(self, config: RerankConfig) -> dict[str, float]:
        """The re-ranker's row of the split for ``config`` (recall, NDCG, MAP, coverage,
        novelty), pooled over the cut-offs."""
        ranked: list[list[str]] = []
        for cut, inputs in zip(self.split.cutoffs, self.inputs(config), strict=True):
            model = RerankRecommender(config).fit_inputs(cut.dataset, inputs)
            recs = model.recommend(cut.participants, k=self.split.k, as_of=cut.cutoff,
                                   reasons=False)
            ranked += _lists(recs, cut.participants)
        return _score_lists(ranked, self.split.relevant, self.split.k, self.split.n_catalog,
                            self.split.popularity)

    def rungs(self, config: RerankConfig, shares: Sequence[float]) -> Iterator[tuple[int, float]]:
        """``(boosting rounds, metric)`` at each share of ``config.n_estimators``; lazily, so a
        pruned trial stops fitting."""
        for share in shares:
            n = max(1, round(config.n_estimators * share))
            yield n, self.evaluate(config.model_copy(update={"n_estimators": n}))[self.metric]
