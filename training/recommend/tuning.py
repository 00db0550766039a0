"""The re-ranker's tuning objective: the simulator split prepared once, boosters fitted per trial.

A re-ranker fit has two parts of very different cost. Building its inputs (the datasets at every
cut-off and decision point with their ability scales, the base models fitted at each decision
point, the candidate features of the training groups, the base models on the cut-off's dataset)
is most of the time and does not depend on the LightGBM ranker's own settings; fitting the
ranker on them does. So the split is prepared once per study
(:func:`training.recommend.evaluate.prepare_split`, which
:func:`training.recommend.evaluate.evaluate_simulator`
starts from too), the inputs are built once per cut-off and per *feature setting*
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

import json
from collections import OrderedDict
from collections.abc import Iterator, Sequence

from core.logs import get_logger
from models.recommend.rerank import (
    RerankConfig,
    RerankInputs,
    RerankRecommender,
    feature_settings,
    rerank_inputs,
)
from training.recommend.evaluate import (
    PreparedSplit,
    _lists,
    _score_lists,
)

log = get_logger(__name__)
INPUT_CACHE = 2
"""Feature settings whose inputs are kept (each holds every cut-off's training groups)."""


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
        built = tuple(rerank_inputs(config, c.dataset, c.decisions) for c in self.split.cutoffs)
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
            recs = model.recommend(
                cut.participants, k=self.split.k, as_of=cut.cutoff, reasons=False
            )
            ranked += _lists(recs, cut.participants)
        return _score_lists(
            ranked, self.split.relevant, self.split.k, self.split.n_catalog, self.split.popularity
        )

    def rungs(self, config: RerankConfig, shares: Sequence[float]) -> Iterator[tuple[int, float]]:
        """``(boosting rounds, metric)`` at each share of ``config.n_estimators``; lazily, so a
        pruned trial stops fitting."""
        for share in shares:
            n = max(1, round(config.n_estimators * share))
            yield n, self.evaluate(config.model_copy(update={"n_estimators": n}))[self.metric]
