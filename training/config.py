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

from footprint.errors import ConfigError
from footprint.simulate import SimulationConfig
from training.competence import TrainConfig
from training.recommend import SimSplitConfig


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
        given = [n for n, v in (("path", self.path), ("store", self.store),
                                ("simulate", self.simulate)) if v is not None]
        if len(given) != 1:
            raise ValueError("snapshot: give exactly one of path, store (with as_of) or simulate; "
                             f"got {given or 'none'}")
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
    """The recommender stage: evaluation on the simulator split, then the final models."""

    enabled: bool = True
    split: SimSplitConfig = Field(default_factory=SimSplitConfig)
    final_models: tuple[str, ...] = ("rerank",)
    """Models fitted on the whole snapshot and saved as bundles (the first one is registered)."""


class GatedMetric(_Strict):
    """A metric a challenger must match or beat to replace the champion."""

    name: str = Field(min_length=1)
    """Metric key as logged, e.g. ``competence.all.spearman_label.model``."""
    model: str = "talent-competence"
    """The registered model whose promotion this metric gates."""
    higher_is_better: bool = True
    tolerance: float = Field(default=0.0, ge=0)
    """Allowed shortfall (absolute), for metrics with known noise."""


class PromotionConfig(_Strict):
    """What ``talent promote`` checks, and where the champion is exported for serving."""

    competence_model: str = "talent-competence"
    recommend_model: str = "talent-recommend"
    gated: tuple[GatedMetric, ...] = (
        GatedMetric(name="competence.all.spearman_label.model"),
        GatedMetric(name="competence.all.spearman_next_performance.model"),
        GatedMetric(name="recommend.rerank.ndcg@10", model="talent-recommend"),
    )
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


class TuningConfig(_Strict):
    """Optuna settings: the metric to maximise, the sampler seed, pruning rungs, the space."""

    metric: str = "all.spearman_label.model"
    """A key of the competence evaluation report (maximised)."""
    seed: int = 0
    rungs: tuple[float, ...] = (0.25, 0.5, 1.0)
    """Fractions of ``n_estimators`` at which a trial reports and may be pruned."""
    startup_trials: int = Field(default=3, ge=0)
    """Trials never pruned (the median needs some history)."""
    space: dict[str, SearchDim] = Field(default_factory=lambda: {
        "competence.model.booster.learning_rate": SearchDim(type="float", low=0.02, high=0.2,
                                                            log=True),
        "competence.model.booster.num_leaves": SearchDim(type="int", low=8, high=63),
        "competence.model.booster.min_child_samples": SearchDim(type="int", low=10, high=100),
    })

    @model_validator(mode="after")
    def _rungs(self) -> TuningConfig:
        if not self.rungs or list(self.rungs) != sorted(self.rungs) or self.rungs[-1] != 1.0 \
                or self.rungs[0] <= 0:
            raise ValueError("tuning.rungs must increase and end at 1.0")
        for key in self.space:
            if not key.startswith("competence.model."):
                raise ValueError(f"tuning.space key {key!r}: only competence.model.* is tunable")
        return self


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
    bundle_dir: Path = Path("mlruns") / "bundles"
    """Where trained bundles are written before they are logged and registered."""

    def seeded(self) -> PipelineConfig:
        """The config with :attr:`seed` pushed into every stage that draws random numbers."""
        comp = self.competence.model_copy(update={
            "model": self.competence.model.model_copy(update={"seed": self.seed})})
        split = self.recommend.split.model_copy(update={"seed": self.seed})
        rec = self.recommend.model_copy(update={"split": split})
        return self.model_copy(update={"competence": comp, "recommend": rec})


def _field_errors(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}"
                     for e in exc.errors())


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
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}"
                               for k, v in value.items() if v is not None) + "}"
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
