"""LightGBM LambdaRank over the union of the base models' candidates.

Trained on past decision points (:class:`~models.recommend.dataset.DecisionPoint`): at each one
the base models are fitted on the data known then, each proposes its top candidates among the
feasible open activities, and the ranker learns which of the union the participant actually
took, from the base models' scores and ranks and from features of the participant, the activity
and their pair (:data:`FEATURES`). At recommendation time the base models are the ones fitted on
the current dataset, so features are computed the same way at training and serving time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar, Self

import lightgbm as lgb
import numpy as np
import pandas as pd
from pydantic import Field

from core.errors import TalentError
from core.logs import get_logger
from features.cutoff import as_micros
from models.recommend.als import ALSConfig, ALSRecommender
from models.recommend.base import Recommender, RecommenderConfig
from models.recommend.codes import CHANCE_CODES, ReasonCode
from models.recommend.coldstart import ColdStartRecommender
from models.recommend.content import ContentConfig, ContentRecommender
from models.recommend.dataset import DecisionPoint, RecommendDataset
from models.recommend.ease import EASEConfig, EASERecommender
from models.recommend.feasibility import FeasibilityRules, feasible
from models.recommend.popular import PopularConfig, PopularRecommender
from models.recommend.profile import last_edition_size
from models.recommend.reasons import Reason, reason
from models.recommend.rows import dense_block

log = get_logger(__name__)

BASE_NAMES: tuple[str, ...] = (
    "popular",
    "popular_direction",
    "als",
    "ease",
    "content",
    "coldstart",
)
FEATURES: tuple[str, ...] = (
    *(f"score_{n}" for n in BASE_NAMES),
    *(f"rank_{n}" for n in BASE_NAMES),
    "success",
    "affinity",
    "local",
    "offline",
    "kind",
    "level",
    "days_to_start",
    "days_to_deadline",
    "duration_days",
    "took_series",
    "n_history",
    "grade",
    "conditional",
    "is_team",
    "declared_match",
    "edition_size",
    "group_share",
    "pop_region",
    "pop_interest",
    "days_since_direction",
    "age_days",
)
MICROS_PER_DAY = 86_400_000_000
NOT_CANDIDATE = -1e9


class RerankConfig(RecommenderConfig):
    candidates_per_model: int = Field(default=30, ge=1)
    n_estimators: int = Field(default=200, ge=1)
    learning_rate: float = Field(default=0.05, gt=0)
    num_leaves: int = Field(default=31, ge=2)
    min_child_samples: int = Field(default=50, ge=1)
    max_groups: int = Field(default=40_000, ge=10)
    """Decision-point participants (with a choice among the candidates) sampled for training."""
    early_stopping_rounds: int | None = Field(default=None, ge=1)
    """When set, a seeded ``validation_share`` of the training groups (participants at the
    decision points, all before the fit's cut-off) is held out and boosting stops once NDCG@10
    there has not improved for this many rounds; ``n_estimators`` is then a ceiling."""
    validation_share: float = Field(default=0.2, gt=0, lt=0.9)
    seed: int = 0
    als: ALSConfig = ALSConfig()
    ease: EASEConfig = EASEConfig()
    content: ContentConfig = ContentConfig()


def _fit_bases(config: RerankConfig, dataset: RecommendDataset) -> dict[str, Recommender]:
    return {
        "popular": PopularRecommender().fit(dataset),
        "popular_direction": PopularRecommender(PopularConfig(mode="direction")).fit(dataset),
        "als": ALSRecommender(config.als).fit(dataset),
        "ease": EASERecommender(config.ease).fit(dataset),
        "content": ContentRecommender(config.content).fit(dataset),
        "coldstart": ColdStartRecommender().fit(dataset),
    }


def _ranks(scores: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Rank (1 = best) of each cell among the row's feasible cells; NaN elsewhere."""
    key = np.where(ok & ~np.isnan(scores), scores, -np.inf)
    order = np.argsort(-key, axis=1, kind="stable")
    ranks = np.empty_like(order, dtype=np.float64)
    np.put_along_axis(
        ranks,
        order,
        np.arange(1, key.shape[1] + 1, dtype=np.float64)[None, :].repeat(key.shape[0], 0),
        axis=1,
    )
    return np.where(ok & ~np.isnan(scores), ranks, np.nan)


def candidate_features(
    bases: dict[str, Recommender],
    dataset: RecommendDataset,
    rows: np.ndarray,
    acts: np.ndarray,
    as_of: dt.datetime | None,
    per_model: int,
    rules: FeasibilityRules | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feature tensor (rows x acts x features), the candidate mask and the feasibility mask.

    A cell is a candidate when it is feasible and among the top ``per_model`` of any base model.
    """
    n, m = len(rows), len(acts)
    mask = feasible(dataset, rows, acts, as_of, rules)
    ok = mask.feasible
    feats = np.full((n, m, len(FEATURES)), np.nan, dtype=np.float32)
    cand = np.zeros((n, m), bool)
    nb = len(BASE_NAMES)
    content = bases["content"]
    assert isinstance(content, ContentRecommender)
    parts = content.parts(dataset, rows, acts)
    for b, name in enumerate(BASE_NAMES):
        # the content model's score is a function of its parts, needed below anyway
        s = (
            content.score_parts(parts)
            if name == "content"
            else bases[name].score(dataset, rows, acts)
        )
        r = _ranks(s, ok)
        feats[:, :, b] = s
        feats[:, :, nb + b] = r
        cand |= ok & (r <= per_model)
    cat = dataset.catalog
    t = as_micros(as_of).astype(np.int64) if as_of is not None else None
    col = 2 * nb

    def put(value: np.ndarray | float) -> None:
        nonlocal col
        feats[:, :, col] = value
        col += 1

    put(parts["success"])
    put(parts["affinity"])
    put(parts["local"])
    put(cat.offline[acts][None, :].astype(float))
    put(cat.kind[acts][None, :].astype(float))
    put(cat.level[acts][None, :].astype(float))
    for dates in (cat.start, cat.deadline):
        d = dates[acts].astype("datetime64[us]").astype(np.int64)
        days = (d - t) / MICROS_PER_DAY if t is not None else np.full(m, np.nan)
        put(np.where(np.isnat(dates[acts]), np.nan, days)[None, :])
    dur = (cat.end[acts] - cat.start[acts]).astype("timedelta64[D]").astype(np.float64)
    put(np.where(np.isnat(cat.start[acts]), np.nan, dur)[None, :])
    safe = np.maximum(rows, 0)
    items = cat.item[acts]
    took = dense_block(dataset.interactions, safe, np.maximum(items, 0)) > 0
    took &= (items >= 0)[None, :]
    took[rows < 0] = False
    put(took.astype(float))
    counts = dataset.interactions.indptr[safe + 1] - dataset.interactions.indptr[safe]
    hist = np.where(rows >= 0, counts, 0).astype(float)
    put(hist[:, None])
    put(np.where(rows >= 0, dataset.grade[safe], np.nan)[:, None])
    put(mask.conditional.astype(float))
    put(cat.is_team[acts][None, :].astype(float))
    if dataset.directions:
        declared = np.where((rows >= 0)[:, None], dataset.declared[safe], 0.0)
        put(declared @ cat.weights[acts].T)
    else:
        put(0.0)
    size = _edition_sizes(dataset)[np.maximum(items, 0)]
    size = np.where(items >= 0, size, np.nan)
    put(np.log1p(size)[None, :])
    put(
        _group_share(
            dataset,
            acts,
            np.nan_to_num(size, nan=float(np.nanmedian(size)) if np.isfinite(size).any() else 1.0),
            ok,
        )
    )
    put(_region_share(dataset, rows, items))
    put(_interest_share(dataset, rows, items))
    put(_days_since_direction(dataset, rows, acts, None if t is None else int(t)))
    pub = cat.published[acts].astype("datetime64[us]").astype(np.int64)
    age = (t - pub) / MICROS_PER_DAY if t is not None else np.full(m, np.nan)
    put(np.where(np.isnat(cat.published[acts]), np.nan, age)[None, :])
    return feats, cand, ok


def _region_share(dataset: RecommendDataset, rows: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Share of the participant's region (its participants in the dataset) who took each
    candidate's series: popularity where the participant lives (NaN for an unknown participant
    or a series never seen)."""
    peers = dataset.peer_counts
    safe = np.maximum(rows, 0)
    r = peers.regions.get_indexer(pd.Index(dataset.region[safe], dtype=object))
    r = np.where(r >= 0, r, len(peers.regions))
    size = dataset.region_sizes[r]
    share = peers.by_region[r][:, np.maximum(items, 0)] / np.maximum(size, 1)[:, None]
    share[:, items < 0] = np.nan
    share[rows < 0] = np.nan
    return share


def _interest_share(dataset: RecommendDataset, rows: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Share of the participants who declared the participant's interests that took each
    candidate's series (averaged over their declared directions; NaN without any)."""
    if not dataset.directions:
        return np.full((len(rows), len(items)), np.nan)
    safe = np.maximum(rows, 0)
    mine = np.where((rows >= 0)[:, None], dataset.declared[safe], 0.0)
    n_mine = mine.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = (mine @ dataset.interest_popularity[:, np.maximum(items, 0)]) / n_mine[:, None]
    share[:, items < 0] = np.nan
    share[n_mine == 0] = np.nan
    return share


def _days_since_direction(
    dataset: RecommendDataset, rows: np.ndarray, acts: np.ndarray, t: int | None
) -> np.ndarray:
    """Days from the participant's latest activity started in each candidate's main direction
    to the cut-off (NaN: none yet, or an undated catalogue)."""
    cat = dataset.catalog
    n, m = len(rows), len(acts)
    if t is None or not dataset.directions or not cat.dated:
        return np.full((n, m), np.nan)
    main = np.argmax(cat.weights, axis=1)
    start = cat.start.astype("datetime64[us]").astype(np.int64)
    known = rows >= 0
    taken = dataset.taken[np.maximum(rows, 0)].tocoo()
    ok = known[taken.row] & ~np.isnat(cat.start[taken.col]) & (start[taken.col] <= t)
    latest = np.full((n, len(dataset.directions)), np.iinfo(np.int64).min)
    np.maximum.at(latest, (taken.row[ok], main[taken.col[ok]]), start[taken.col[ok]])
    last = latest[:, main[acts]]
    return np.where(last > np.iinfo(np.int64).min, (t - last) / MICROS_PER_DAY, np.nan)


def _edition_sizes(dataset: RecommendDataset) -> np.ndarray:
    """:func:`last_edition_size`, computed once per dataset (it scans every record) and kept on
    the dataset (a cached property), so it goes when the dataset goes."""
    return last_edition_size(dataset)


def _group_share(
    dataset: RecommendDataset, acts: np.ndarray, size: np.ndarray, ok: np.ndarray
) -> np.ndarray:
    """Each candidate's expected size over the total of the feasible candidates of the same kind
    and main direction: how much of that group's demand it would draw."""
    cat = dataset.catalog
    main = np.argmax(cat.weights[acts], axis=1) if dataset.directions else np.zeros(len(acts))
    group = pd.factorize(pd.Series(cat.kind[acts].astype(np.int64) * 100 + main))[0]
    onehot = np.zeros((len(acts), int(group.max(initial=-1)) + 1))
    onehot[np.arange(len(acts)), group] = 1.0
    total = (ok * size[None, :]) @ onehot  # rows x groups
    denom = total[:, group]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok & (denom > 0), size[None, :] / denom, np.nan)


BOOSTER_PARAMS: tuple[str, ...] = (
    "n_estimators",
    "learning_rate",
    "num_leaves",
    "min_child_samples",
    "early_stopping_rounds",
    "validation_share",
)
"""The settings of the LightGBM ranker alone; every other setting changes its inputs."""


def feature_settings(config: RerankConfig) -> dict[str, object]:
    """The settings that shape the re-ranker's inputs (all but :data:`BOOSTER_PARAMS`)."""
    return config.model_dump(mode="json", exclude=set(BOOSTER_PARAMS))


@dataclass(frozen=True, eq=False)
class RerankInputs:
    """What fitting the ranker needs besides its booster settings: the training groups built at
    the decision points and the base models fitted on the dataset (see :func:`rerank_inputs`)."""

    x: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    bases: dict[str, Recommender]
    dataset: RecommendDataset
    settings: dict[str, object]


def rerank_inputs(
    config: RerankConfig, dataset: RecommendDataset, decisions: tuple[DecisionPoint, ...]
) -> RerankInputs:
    """Training groups from the decision points before ``dataset``'s cut-off, and the base
    models on ``dataset``.

    At each decision point the base models are fitted on the data known then, each proposes its
    top ``candidates_per_model`` feasible open activities, and every sampled participant who
    took one of the union becomes a group (label: taken or not). This is the expensive part of a
    fit and does not depend on :data:`BOOSTER_PARAMS`.
    """
    cfg = config
    if not decisions:
        raise TalentError(
            "the re-ranker learns from past decision points; build them with "
            "decision_points(snapshot, as_of, instants)"
        )
    rng = np.random.default_rng(cfg.seed)
    xs, ys, groups = [], [], []
    per_point = max(1, cfg.max_groups // len(decisions))
    for point in decisions:
        past = point.dataset
        acts = past.catalog.open_at(past.as_of)
        chosen_rows = np.flatnonzero(np.diff(point.chosen[:, acts].tocsr().indptr) > 0)
        if len(chosen_rows) > per_point:
            chosen_rows = np.sort(rng.choice(chosen_rows, per_point, replace=False))
        bases = _fit_bases(cfg, past)
        feats, cand, _ = candidate_features(
            bases, past, chosen_rows, acts, past.as_of, cfg.candidates_per_model
        )
        label = point.chosen[chosen_rows][:, acts].toarray() > 0
        for i in range(len(chosen_rows)):
            c = np.flatnonzero(cand[i])
            if len(c) < 2 or not label[i, c].any():
                continue
            xs.append(feats[i, c])
            ys.append(label[i, c].astype(np.float32))
            groups.append(len(c))
        log.info("rerank decision point", as_of=str(past.as_of), groups_so_far=len(groups))
    if not groups:
        raise TalentError(
            "no decision point has a participant whose choice is among the "
            "candidates; add earlier decision points"
        )
    return RerankInputs(
        np.concatenate(xs),
        np.concatenate(ys),
        np.asarray(groups),
        _fit_bases(cfg, dataset),
        dataset,
        feature_settings(cfg),
    )


@dataclass(frozen=True)
class _Groups:
    rows: np.ndarray
    sizes: np.ndarray


def _split_groups(sizes: np.ndarray, share: float, seed: int) -> tuple[_Groups, _Groups]:
    """A seeded split of whole groups (a participant at a decision point never straddles it):
    the row indices and group sizes of the fitted part and of the held-out part."""
    rng = np.random.default_rng(seed)
    n = len(sizes)
    held = np.zeros(n, bool)
    held[rng.choice(n, max(1, round(n * share)), replace=False)] = True
    group_of_row = np.repeat(np.arange(n), sizes)
    rows_held = held[group_of_row]
    return (
        _Groups(np.flatnonzero(~rows_held), sizes[~held]),
        _Groups(np.flatnonzero(rows_held), sizes[held]),
    )


class RerankRecommender(Recommender[RerankConfig]):
    """The re-ranker; its base models are refitted on the dataset it is fitted on."""

    name: ClassVar[str] = "rerank"
    config_class = RerankConfig
    fallback_class = ColdStartRecommender
    needs_ability: ClassVar[bool] = True
    needs_decisions: ClassVar[bool] = True
    needs_content: ClassVar[bool] = True

    def _fit(self, dataset: RecommendDataset) -> None:
        raise TalentError("the re-ranker learns from past decision points: fit(dataset, decisions)")

    def _fit_decisions(
        self, dataset: RecommendDataset, decisions: tuple[DecisionPoint, ...]
    ) -> None:
        self._fit_inputs(rerank_inputs(self.config, dataset, decisions))

    def fit_inputs(self, dataset: RecommendDataset, inputs: RerankInputs) -> Self:
        """Fit on ``dataset`` from inputs built earlier by :func:`rerank_inputs` (the same as
        :meth:`fit`, minus the work that does not depend on the booster's parameters).

        Tuning uses it to fit many boosters on one set of training groups; ``inputs`` must have
        been built with this config's feature settings (everything but the booster's
        parameters) on this dataset.
        """
        if inputs.settings != feature_settings(self.config):
            raise TalentError(
                "these re-ranker inputs were built with other feature settings "
                "(candidates, base models, sampling); build them with "
                "rerank_inputs() for this config"
            )
        if inputs.dataset is not dataset:
            raise TalentError("these re-ranker inputs were built on another dataset")
        self._reset()
        self._fit_inputs(inputs)
        self._fitted_on(dataset)
        return self

    def _fit_inputs(self, inputs: RerankInputs) -> None:
        cfg = self.config
        ranker = lgb.LGBMRanker(
            objective="lambdarank",
            n_estimators=cfg.n_estimators,
            learning_rate=cfg.learning_rate,
            num_leaves=cfg.num_leaves,
            min_child_samples=cfg.min_child_samples,
            random_state=cfg.seed,
            n_jobs=2,
            verbose=-1,
            lambdarank_truncation_level=20,
        )
        if cfg.early_stopping_rounds is None or len(inputs.groups) < 10:
            ranker.fit(
                inputs.x,
                inputs.y,
                group=inputs.groups,
                feature_name=list(FEATURES),
                categorical_feature=["kind"],
            )
        else:
            fit, held = _split_groups(inputs.groups, cfg.validation_share, cfg.seed)
            ranker.fit(
                inputs.x[fit.rows],
                inputs.y[fit.rows],
                group=fit.sizes,
                eval_set=[(inputs.x[held.rows], inputs.y[held.rows])],
                eval_group=[held.sizes],
                eval_at=[10],
                feature_name=list(FEATURES),
                categorical_feature=["kind"],
                callbacks=[lgb.early_stopping(cfg.early_stopping_rounds, verbose=False)],
            )
            log.info(
                "rerank early stopping",
                best_iteration=ranker.best_iteration_,
                ceiling=cfg.n_estimators,
                validation_groups=len(held.sizes),
            )
        self.booster_ = ranker.booster_
        self.n_train_groups_ = len(inputs.groups)
        self.bases_ = inputs.bases
        log.info(
            "rerank fitted",
            groups=len(inputs.groups),
            rows=len(inputs.y),
            positives=int(inputs.y.sum()),
        )

    def score(self, dataset: RecommendDataset, rows: np.ndarray, acts: np.ndarray) -> np.ndarray:
        return self.score_at(dataset, rows, acts, dataset.as_of)

    def score_at(
        self,
        dataset: RecommendDataset,
        rows: np.ndarray,
        acts: np.ndarray,
        as_of: dt.datetime | None,
    ) -> np.ndarray:
        """Scores with the candidates' features and feasibility taken at the request's instant:
        a bundle fitted last week must rank what opened since, and a replay at an earlier date
        what was open then (the training groups were built the same way, at each decision
        point)."""
        fitted = tuple(self.booster_.feature_name())
        if fitted != FEATURES:
            # a booster fitted by an older version would be handed columns in another order or
            # number (LightGBM then fails with a bare "33 vs 29"): say what to do instead
            raise TalentError(
                f"this re-ranker was fitted on {len(fitted)} features and this version computes "
                f"{len(FEATURES)} ({', '.join(sorted(set(fitted) ^ set(FEATURES))) or 'reordered'}"
                " differ); retrain it with this version (talent train recommend)"
            )
        if not feasible(dataset, rows, acts, as_of).feasible.any():
            # no candidate anywhere (every activity closed at that instant): no opinion on any
            # row, whatever the features (the mask is the one candidate_features reuses)
            return np.full((len(rows), len(acts)), np.nan)
        feats, cand, _ = candidate_features(
            self.bases_, dataset, rows, acts, as_of, self.config.candidates_per_model
        )
        n, m = cand.shape
        out = np.full((n, m), NOT_CANDIDATE)
        if cand.any():
            x = feats[cand]
            # a single participant's few dozen rows: threads cost more than they save
            out[cand] = self.booster_.predict(x, num_threads=1 if len(x) < 5_000 else 0)
        # rows without any candidate (nothing feasible) have no opinion
        out[~cand.any(axis=1)] = np.nan
        return out

    def feature_importance(self) -> dict[str, float]:
        """Gain importance per feature (for reports)."""
        self.check_fitted()
        gain = self.booster_.feature_importance("gain")
        return {f: float(g) for f, g in zip(FEATURES, gain, strict=True)}

    def primary_reasons(
        self, dataset: RecommendDataset, rows: np.ndarray, sel: np.ndarray, valid: np.ndarray
    ) -> list[list[Reason]]:
        content = self.bases_["content"]
        out = content.primary_reasons(dataset, rows, sel, valid)
        generic = reason(ReasonCode.RANKED_BY_MODEL)
        # the content model's reasons explain the content model's ranking, not this one: only
        # the chance band (a fact about the item, true whatever ranked it) is kept
        return [[r if r[0] in CHANCE_CODES else generic for r in line] for line in out]
