"""The training pipeline's configuration as data: TOML validated into :class:`PipelineConfig`.

A config names where the snapshot comes from (a snapshot folder, a store and an instant, or a
simulated world for demos and tests), the competence and recommender settings (the stages' own
pydantic configs, reused as they are), the metrics that gate a promotion and the Optuna search
spaces. Every model is ``extra="forbid"``, so a misspelt key is an error that names the field
instead of a setting silently ignored. :func:`dump_toml` writes a config back (used by tuning to
hand its best parameters to ``talent train --config``).
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.errors import ConfigError
from core.settings import FootprintSettings
from models.recommend.base import RecommenderConfig
from models.recommend.registry import spec
from models.recommend.rerank import RerankConfig
from training.competence.train import TrainConfig
from training.recommend.evaluate import MOVED_TO_MODELS, ModelSettings, SimSplitConfig
from training.select_simulator import SimSelectionConfig
from training.simworld import SimulationConfig


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SnapshotSource(_Strict):
    """Exactly one of: a snapshot folder, a store (URL or the default) with ``as_of``, a
    simulated world. The snapshot's id is logged with every run, so runs on the same data can be
    compared."""

    path: Path | None = None
    """A folder written by ``talent snapshot``."""
    store: str | None = None
    """Store URL; ``"default"`` means the configured store (``TALENT_DATABASE_URL`` or data/)."""
    as_of: dt.datetime | None = None
    """Instant of the snapshot made from the store; today at 00:00 UTC when omitted."""
    simulate: SimulationConfig | None = None
    """A clean simulated world built in memory (demos, tests, notebooks)."""
    truth: Path | None = None
    """Simulator truth (truth/competence.parquet) for recovery metrics; never a model input."""

    @model_validator(mode="after")
    def _one_source(self) -> SnapshotSource:
        given = [
            n
            for n, v in (("path", self.path), ("store", self.store), ("simulate", self.simulate))
            if v is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "snapshot: give exactly one of path, store (with as_of) or simulate; "
                f"got {given or 'none'}"
            )
        if self.as_of is not None and self.store is None:
            raise ValueError("snapshot.as_of applies to snapshot.store only")
        return self

    def instant(self) -> dt.datetime:
        """The store snapshot's instant: ``as_of``, else today at 00:00 UTC (naive UTC)."""
        if self.as_of is not None:
            return self.as_of
        now = dt.datetime.now(dt.UTC)
        return dt.datetime(now.year, now.month, now.day)


class RecommendStage(_Strict):
    """The recommender stage: evaluation on the simulator split, then the final models.

    Each model's settings are in their own section, ``[recommend.models.<name>]`` (a registered
    name, validated against that model's config); the split says only how the evaluation is cut.
    Configs written before 2026-12-03 kept ``als``, ``ease`` and ``rerank`` inside
    ``[recommend.split]``; those sections are moved to ``[recommend.models]`` on reading.
    """

    enabled: bool = True
    split: SimSplitConfig = Field(default_factory=SimSplitConfig)
    models: ModelSettings = Field(default_factory=dict)
    """Settings by registered model name; a model without a section uses its defaults."""
    final_models: tuple[str, ...] = ("rerank",)
    """Models fitted on the whole snapshot and saved as bundles; the first one is the
    challenger."""
    register_candidates: bool = True
    """Also fit, save and register every other model the split evaluated (not the
    ``challenger``), so that a baseline which beats the challenger can be promoted and served."""
    select: SimSelectionConfig = Field(default_factory=SimSelectionConfig)
    """Settings chosen on a validation cut-off inside the training period before the split is
    scored (``enabled = true``; :mod:`training.select_simulator`)."""

    @model_validator(mode="before")
    @classmethod
    def _moved_sections(cls, data: Any) -> Any:
        """Old configs: ``[recommend.split.<model>]`` becomes ``[recommend.models.<model>]``."""
        if not isinstance(data, dict) or not isinstance(data.get("split"), dict):
            return data
        split = dict(data["split"])
        moved = {k: split.pop(k) for k in MOVED_TO_MODELS if k in split}
        if not moved:
            return data
        models = dict(data.get("models") or {})
        both = sorted(set(moved) & set(models))
        if both:
            raise ValueError(
                f"{both} set both in [recommend.split] (the old place) and in "
                "[recommend.models]; keep the [recommend.models.<name>] sections"
            )
        return {**data, "split": split, "models": {**models, **moved}}

    @model_validator(mode="after")
    def _registered(self) -> RecommendStage:
        for name in self.final_models:
            spec(name)  # an unknown name fails here, listing the registered ones
        return self

    def settings_of(self, name: str) -> RecommenderConfig:
        """Model ``name``'s validated config: its section, else its defaults."""
        return self.models.get(name) or spec(name).config()


CANDIDATE = "{candidate}"
"""In a gated metric's name: the registered version's own candidate (``rerank``,
``popular_direction``, ...), so one gate reads each version's own row of the report."""
RECOMMEND_BASELINES: tuple[str, ...] = tuple(
    f"recommend.{m}.ndcg@10" for m in ("popular", "popular_direction", "ease", "als", "content")
)
"""The recommender's baselines on the same snapshot (those not evaluated are skipped)."""


def competence_baselines(target: str) -> tuple[str, ...]:
    """The competence model's baselines for a target (``label``, ``next_performance``): the
    calibrated ability alone, the mean of past results (mean percentile so far), the last result,
    the rating points and the number of records, as the evaluation report names them."""
    return tuple(
        f"competence.all.spearman_{target}.{b}"
        for b in ("ability", "mean_percentile", "last_result", "rating_points", "n_achievements")
    )


class GatedMetric(_Strict):
    """A metric a challenger must match or beat to replace the champion, and its baselines."""

    name: str = Field(min_length=1)
    """Metric key as logged, e.g. ``competence.all.spearman_label.model`` or
    ``recommend.{candidate}.ndcg@10`` (the version's own candidate)."""
    model: str = "talent-competence"
    """The registered model whose promotion this metric gates."""
    higher_is_better: bool = True
    tolerance: float = Field(default=0.0, ge=0)
    """Allowed shortfall (absolute) against the champion, for metrics with known noise."""
    baselines: tuple[str, ...] = ()
    """Baselines' metric keys on the same snapshot (the challenger's own evaluation report): the
    challenger must beat the best of those present by :attr:`margin`. A baseline that is the
    challenger itself is left out; listed baselines that were not evaluated are skipped, and
    none present at all refuses a challenger that is not a baseline itself (the gate cannot
    tell)."""
    margin: float = Field(default=0.0, ge=0)
    """How much better than the best baseline the challenger must be (0: not worse)."""


class PromotionConfig(_Strict):
    """What ``talent promote`` checks, and where the champion is exported for serving."""

    competence_model: str = "talent-competence"
    recommend_model: str = "talent-recommend"
    gated: tuple[GatedMetric, ...] = (
        GatedMetric(
            name="competence.all.spearman_label.model", baselines=competence_baselines("label")
        ),
        GatedMetric(
            name="competence.all.spearman_next_performance.model",
            baselines=competence_baselines("next_performance"),
        ),
        GatedMetric(
            name="recommend.{candidate}.ndcg@10",
            model="talent-recommend",
            baselines=RECOMMEND_BASELINES,
        ),
    )
    baseline_fallback: bool = True
    """When a recommender challenger loses to a baseline that the same pipeline run registered,
    promote that baseline instead (through the same gate): the service then serves the model
    that won, and says which."""
    export_dir: Path | None = None
    """Folder serving watches (latest.txt + bundle + .sha256); data/models/competence if None."""
    recommend_export_dir: Path | None = None
    """The recommender's folder serving watches; data/models/recommend if None."""


class SearchDim(_Strict):
    """One dimension of an Optuna search space, keyed by a dotted path into the config."""

    type: Literal["float", "int", "categorical"]
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[str | int | float | bool, ...] | None = None

    @model_validator(mode="after")
    def _bounds(self) -> SearchDim:
        if self.type == "categorical":
            if not self.choices:
                raise ValueError("a categorical dimension needs choices")
        elif self.low is None or self.high is None or self.low >= self.high:
            raise ValueError(f"a {self.type} dimension needs low < high")
        return self


COMPETENCE_SPACE = "competence.model."
"""Search-space keys of a competence study start here (the competence model's config)."""
RECOMMEND_SPACE = "recommend.models.rerank."
"""Search-space keys of a recommend study start here: the re-ranker's config, which both the
simulator split and the final recommender bundle use (``[recommend.models.rerank]``)."""
OLD_RECOMMEND_SPACE = "recommend.split.rerank."
"""Where the re-ranker's keys were before 2026-12-03 (read as :data:`RECOMMEND_SPACE`)."""
RECOMMEND_METRIC = "recommend.rerank."
"""A recommend study's metric: the re-ranker's row of the split, named as the pipeline logs it."""
TuningTarget = Literal["competence", "recommend"]


def _missing_field(model: type[BaseModel], path: list[str]) -> str | None:
    """The first segment of ``path`` that is not a field of ``model`` (walking nested models),
    or None when the whole path names a field."""
    for i, part in enumerate(path):
        field = model.model_fields.get(part)
        if field is None:
            return ".".join(path[: i + 1])
        ann = field.annotation
        if i + 1 < len(path):
            if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
                return ".".join(path[: i + 2])
            model = ann
    return None


RERANK_SPACE: dict[str, dict[str, Any]] = {
    "recommend.models.rerank.learning_rate": {
        "type": "float",
        "low": 0.01,
        "high": 0.2,
        "log": True,
    },
    "recommend.models.rerank.num_leaves": {"type": "int", "low": 7, "high": 63},
    "recommend.models.rerank.min_child_samples": {
        "type": "int",
        "low": 5,
        "high": 200,
        "log": True,
    },
    "recommend.models.rerank.n_estimators": {"type": "int", "low": 50, "high": 400},
}
"""The default space of a re-ranker study: the booster only, so the candidate features are
built once per study (``candidates_per_model`` or the base models' settings can be added, at the
cost of rebuilding them for every new value)."""


class TuningConfig(_Strict):
    """Optuna settings: the stage and metric to maximise, the sampler seed, pruning rungs, the
    space. One study tunes one stage: the competence model or the recommender's re-ranker."""

    target: TuningTarget | None = None
    """The stage tuned; derived from :attr:`metric` when omitted (``recommend.rerank.*`` is the
    re-ranker, anything else the competence model). Given, it must agree with the metric."""
    metric: str = "all.spearman_label.model"
    """Competence: a key of the competence evaluation report (optionally prefixed
    ``competence.``). Recommend: ``recommend.rerank.<metric>`` as the pipeline logs it, e.g.
    ``recommend.rerank.ndcg@10``. Maximised."""
    seed: int = 0
    rungs: tuple[float, ...] = (0.25, 0.5, 1.0)
    """Fractions of ``n_estimators`` (the competence booster's or the re-ranker's) at which a
    trial reports and may be pruned."""
    startup_trials: int = Field(default=3, ge=0)
    """Trials never pruned (the median needs some history)."""
    space: dict[str, SearchDim] = Field(
        default_factory=lambda: {
            "competence.model.booster.learning_rate": SearchDim(
                type="float", low=0.02, high=0.2, log=True
            ),
            "competence.model.booster.num_leaves": SearchDim(type="int", low=8, high=63),
            "competence.model.booster.min_child_samples": SearchDim(type="int", low=10, high=100),
        }
    )

    @model_validator(mode="before")
    @classmethod
    def _default_space(cls, data: Any) -> Any:
        # a re-ranker study without a space gets the re-ranker's booster space, not the
        # competence one (which it would then refuse)
        if (
            isinstance(data, dict)
            and "space" not in data
            and (
                data.get("target") == "recommend"
                or str(data.get("metric", "")).startswith("recommend.")
            )
        ):
            return {**data, "space": RERANK_SPACE}
        if isinstance(data, dict) and isinstance(data.get("space"), dict):
            # configs written before 2026-12-03 name the re-ranker's keys by its old section
            space = {
                (
                    RECOMMEND_SPACE + k.removeprefix(OLD_RECOMMEND_SPACE)
                    if k.startswith(OLD_RECOMMEND_SPACE)
                    else k
                ): v
                for k, v in data["space"].items()
            }
            return {**data, "space": space}
        return data

    @property
    def stage(self) -> TuningTarget:
        """The stage this study tunes (:attr:`target`, else derived from the metric)."""
        if self.target is not None:
            return self.target
        return "recommend" if self.metric.startswith("recommend.") else "competence"

    @property
    def report_key(self) -> str:
        """The metric's key in its stage's own report (``ndcg@10``, ``all.spearman_label...``)."""
        prefix = RECOMMEND_METRIC if self.stage == "recommend" else "competence."
        return self.metric.removeprefix(prefix)

    @model_validator(mode="after")
    def _rungs(self) -> TuningConfig:
        if (
            not self.rungs
            or list(self.rungs) != sorted(self.rungs)
            or self.rungs[-1] != 1.0
            or self.rungs[0] <= 0
        ):
            raise ValueError("tuning.rungs must increase and end at 1.0")
        metric_stage = "recommend" if self.metric.startswith("recommend.") else "competence"
        if self.target is not None and self.target != metric_stage:
            raise ValueError(
                f"tuning.target {self.target!r} does not match tuning.metric {self.metric!r}, a "
                f"{metric_stage} metric; one study tunes one stage: for the re-ranker use "
                f'metric = "{RECOMMEND_METRIC}ndcg@10", for the competence model a key of its '
                'report such as "all.spearman_label.model"'
            )
        if self.stage == "recommend" and not self.metric.startswith(RECOMMEND_METRIC):
            raise ValueError(
                f"tuning.metric {self.metric!r}: a recommend study tunes the "
                f"re-ranker, so its metric is {RECOMMEND_METRIC}<metric>, e.g. "
                f"{RECOMMEND_METRIC}ndcg@10"
            )
        prefix = RECOMMEND_SPACE if self.stage == "recommend" else COMPETENCE_SPACE
        other = COMPETENCE_SPACE if self.stage == "recommend" else RECOMMEND_SPACE
        model: type[BaseModel] = RerankConfig if self.stage == "recommend" else TrainConfig
        for key in self.space:
            if key.startswith(other):
                raise ValueError(
                    f"tuning.space key {key!r} tunes the {_stage_of(other)} stage, but "
                    f"tuning.metric {self.metric!r} makes this a {self.stage} study; one study "
                    f"tunes one stage: only {prefix}* keys here (or change tuning.metric)"
                )
            if key.startswith("recommend.rerank."):
                raise ValueError(
                    f"tuning.space key {key!r}: the re-ranker's parameters live in "
                    f"[recommend.models.rerank]; use "
                    f"{key.replace('recommend.rerank.', RECOMMEND_SPACE, 1)!r}"
                )
            if not key.startswith(prefix):
                raise ValueError(
                    f"tuning.space key {key!r}: a {self.stage} study tunes only {prefix}* keys"
                )
            root = "recommend.models.rerank" if self.stage == "recommend" else "competence"
            missing = _missing_field(model, key.removeprefix(root + ".").split("."))
            if missing is not None:
                raise ValueError(
                    f"tuning.space key {key!r}: {root}.{missing} is not a setting of the config"
                )
        return self


def _stage_of(prefix: str) -> str:
    return "recommend" if prefix == RECOMMEND_SPACE else "competence"


class PipelineConfig(_Strict):
    """Everything one ``talent train --config`` run depends on."""

    name: str = "default"
    experiment: str = "pipeline"
    seed: int = 0
    """Seeds the competence model and the recommender split (overrides theirs)."""
    snapshot: SnapshotSource
    competence: TrainConfig = Field(default_factory=lambda: TrainConfig.model_validate({}))
    recommend: RecommendStage = Field(default_factory=RecommendStage)
    promotion: PromotionConfig = Field(default_factory=PromotionConfig)
    tuning: TuningConfig = Field(default_factory=TuningConfig)
    bundle_dir: Path = Field(default_factory=lambda: FootprintSettings().mlruns_dir / "bundles")
    """Where trained bundles are written before they are logged and registered (default:
    ``mlruns/bundles`` under ``TALENT_DATA_DIR``, beside the tracking store)."""

    @model_validator(mode="after")
    def _recommend_study(self) -> PipelineConfig:
        """A re-ranker study's metric must be one the pipeline logs for this config, so the best
        config trains and reports it."""
        if self.tuning.stage != "recommend":
            return self
        split = self.recommend.split
        if not self.recommend.enabled or "rerank" not in split.models:
            raise ValueError(
                "tuning tunes the re-ranker, which this config does not evaluate: "
                'set recommend.enabled = true and include "rerank" in '
                "recommend.split.models"
            )
        known = (f"recall@{split.k}", f"ndcg@{split.k}", f"map@{split.k}", "coverage", "novelty")
        if self.tuning.report_key not in known:
            raise ValueError(
                f"tuning.metric {self.tuning.metric!r} is not logged for the "
                f"re-ranker with recommend.split.k = {split.k}; one of "
                + ", ".join(RECOMMEND_METRIC + m for m in known)
            )
        return self

    def seeded(self) -> PipelineConfig:
        """The config with :attr:`seed` pushed into every stage that draws random numbers."""
        comp = self.competence.model_copy(
            update={"model": self.competence.model.model_copy(update={"seed": self.seed})}
        )
        split = self.recommend.split.model_copy(update={"seed": self.seed})
        rec = self.recommend.model_copy(update={"split": split})
        return self.model_copy(update={"competence": comp, "recommend": rec})


def _field_errors(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in exc.errors()
    )


def parse_pipeline_config(data: dict[str, Any], origin: str = "<data>") -> PipelineConfig:
    """Validate a mapping; :class:`ConfigError` names each offending field by its dotted path."""
    try:
        return PipelineConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"pipeline config {origin} is invalid: {_field_errors(exc)}") from exc


def load_pipeline_config(path: Path) -> PipelineConfig:
    """Read and validate a TOML pipeline config."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"pipeline config {path} cannot be read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"pipeline config {path} is not valid TOML: {exc}") from exc
    return parse_pipeline_config(data, str(path))


def config_dict(config: PipelineConfig) -> dict[str, Any]:
    """The config as plain data, without the defaults that are data files (level bands)."""
    data = config.model_dump(mode="json", exclude_none=True)
    data["competence"]["model"].pop("bands", None)
    return data


def set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    """``set_dotted(d, "a.b.c", v)`` sets ``d["a"]["b"]["c"] = v``, creating tables."""
    *parents, leaf = key.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(
                f"{json.dumps(str(k))} = {_toml_value(v)}"
                for k, v in value.items()
                if v is not None
            )
            + "}"
        )
    return json.dumps(str(value), ensure_ascii=False)


def _dump_table(prefix: str, data: dict[str, Any], lines: list[str]) -> None:
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict) and v is not None}
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    if prefix and (scalars or not tables):
        lines.append(f"\n[{prefix}]")
    for k, v in scalars.items():
        lines.append(f"{json.dumps(str(k)) if '.' in k else k} = {_toml_value(v)}")
    for k, v in tables.items():
        name = json.dumps(k) if "." in k else k
        _dump_table(f"{prefix}.{name}" if prefix else name, v, lines)


def dump_toml(data: dict[str, Any]) -> str:
    """TOML text of nested plain data (tables, scalars, lists, datetimes; None left out)."""
    lines: list[str] = []
    _dump_table("", data, lines)
    return "\n".join(lines).lstrip("\n") + "\n"
