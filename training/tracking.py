"""MLflow logging of competence runs: params, metrics, snapshot id, schema, plots, the bundle.

The tracking store is embedded by default: ``sqlite:///<data dir>/mlruns/mlflow.db`` with artifacts
under ``<data dir>/mlruns/artifacts/<experiment>/`` (``TALENT_DATA_DIR``, ``data/`` by default;
MLflow 3 refuses a plain ``./mlruns`` file store without an opt-in); ``MLFLOW_TRACKING_URI``
overrides it, and then MLflow's own rules place the artifacts. Nothing per participant is logged:
metrics are aggregates, plots are binned, the bundle holds per-activity statistics and models
only.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.logs import get_logger
from core.settings import FootprintSettings, default_tracking_uri
from features.schema import KEYS, schema_records
from training.redaction import redact

log = get_logger(__name__)
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
"""The experiment tag MLflow 3's UI reads to choose its view (its ``ExperimentKind`` values)."""
CLASSIC_ML = "custom_model_development"
"""Classic machine learning: runs, metrics, models (not the GenAI view of traces and prompts,
which MLflow 3 opens for an experiment without the tag)."""


def default_root() -> Path | None:
    """The local store's folder (``<data dir>/mlruns``), or None when ``MLFLOW_TRACKING_URI``
    names another store (``mlflow.set_tracking_uri`` also sets that variable, to the local
    store's URI once :func:`tracking_uri` has been set)."""
    settings = FootprintSettings()
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env and env != default_tracking_uri(settings.data_dir):
        return None
    return settings.mlruns_dir


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` when set, else the embedded SQLite store under the data folder
    (:func:`core.settings.default_tracking_uri`)."""
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    settings = FootprintSettings()
    settings.mlruns_dir.mkdir(parents=True, exist_ok=True)
    return default_tracking_uri(settings.data_dir)


def _flatten(prefix: str, data: Any, out: dict[str, str]) -> None:
    if isinstance(data, dict):
        for k, v in data.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out[prefix] = json.dumps(data) if isinstance(data, list | tuple) else str(data)


def flatten_params(config: dict[str, Any]) -> dict[str, str]:
    """Nested config -> ``{"a.b.c": "value"}`` (MLflow params are flat strings), with URL
    passwords and secret-named keys hidden (:func:`training.redaction.redact`)."""
    out: dict[str, str] = {}
    _flatten("", redact(config), out)
    return {k: v[:6000] for k, v in out.items()}


def _plots(
    features: pd.DataFrame, labels: pd.DataFrame, predictions: pd.DataFrame, folder: Path
) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from models.competence.columns import CompetenceColumns as CC

    paths = []
    dirs = predictions[KEYS[1]].astype("object").to_numpy()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for direction in pd.unique(dirs):
        m = (dirs == direction) & np.isfinite(labels[CC.LABEL].to_numpy(float))
        comp = predictions[CC.COMPETENCE].to_numpy(float)[m]
        y = labels[CC.LABEL].to_numpy(float)[m]
        bins = np.clip((comp // 10).astype(int), 0, 9)
        means = [y[bins == b].mean() if (bins == b).any() else np.nan for b in range(10)]
        axes[0].plot(np.arange(5, 100, 10), means, marker="o", label=direction)
        width = (predictions[CC.UPPER] - predictions[CC.LOWER]).to_numpy(float)[dirs == direction]
        axes[1].hist(width, bins=20, range=(0, 100), histtype="step", label=direction)
    axes[0].set(
        xlabel="competence (decile bin)",
        ylabel="mean label in the next window",
        title="Calibration by decile",
    )
    axes[1].set(xlabel="interval width (points)", ylabel="rows", title="90% interval widths")
    for ax in axes:
        ax.legend()
    fig.tight_layout()
    path = folder / "evaluation.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    paths.append(path)
    return paths


def use_experiment(name: str) -> str:
    """Make ``name`` the active experiment (created on first use) and mark it classic ML.

    MLflow 3 opens an experiment without :data:`EXPERIMENT_KIND_TAG` in its GenAI view (traces,
    prompts); every experiment of this project holds training runs and models, so the tag says
    so. Returns the experiment id.
    """
    import mlflow

    root = default_root()
    if root is not None and mlflow.get_experiment_by_name(name) is None:
        # MLflow would put a SQLite store's artifacts in ./mlruns of the working folder; the
        # local store keeps them beside its database instead
        slug = re.sub(r"[^A-Za-z0-9._-]", "_", name)
        location = str((root / "artifacts" / slug).resolve())
        try:
            mlflow.create_experiment(name, artifact_location=location)
        except mlflow.exceptions.MlflowException:
            if mlflow.get_experiment_by_name(name) is None:  # not a concurrent creation
                raise
    experiment = mlflow.set_experiment(name)
    if experiment.tags.get(EXPERIMENT_KIND_TAG) != CLASSIC_ML:
        mlflow.set_experiment_tag(EXPERIMENT_KIND_TAG, CLASSIC_ML)
    return str(experiment.experiment_id)


@contextmanager
def competence_run(experiment: str, run_name: str | None = None) -> Iterator[Any]:
    """An active MLflow run in ``experiment`` on the configured tracking store.

    MLflow's own context manager ends the run ``FAILED`` when the block raises, ``FINISHED``
    otherwise."""
    import mlflow

    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    use_experiment(experiment)
    with mlflow.start_run(run_name=run_name) as run:
        yield run


_MLFLOW_TYPES = {
    "string": "string",
    "Int16": "long",
    "Int64": "long",
    "Float64": "double",
    "float64": "double",
    "bool": "boolean",
}


def snapshot_schema() -> Any:
    """The snapshot's columns as an MLflow schema (``<frame>.<column>``), from the one place
    their dtypes are spelled (:data:`footprint.frames.FRAME_DTYPES`)."""
    from mlflow.types import ColSpec, Schema

    from footprint.frames import FRAME_DTYPES

    return Schema(
        [
            ColSpec(_MLFLOW_TYPES.get(dtype, "datetime"), f"{frame}.{column}")
            for frame, dtypes in FRAME_DTYPES.items()
            for column, dtype in dtypes.items()
        ]
    )


def snapshot_dataset(snapshot_id: str, record: dict[str, Any], path: Path | None) -> Any:
    """The snapshot as an MLflow dataset holding metadata only: its id as the digest, the
    columns as the schema, its folder (or, for a simulated world or a store instant, the source
    record that rebuilds it) as the source. No row enters the tracking store."""
    from mlflow.data.code_dataset_source import CodeDatasetSource
    from mlflow.data.dataset_source_registry import resolve_dataset_source
    from mlflow.data.meta_dataset import MetaDataset

    source = (
        resolve_dataset_source(str(path.resolve()))
        if path is not None
        else CodeDatasetSource(
            {
                k: json.dumps(v, default=str) if not isinstance(v, str) else v
                for k, v in redact(record).items()
            }
        )
    )
    return MetaDataset(
        source,
        name=f"snapshot-{snapshot_id[:24]}",  # type: ignore[abstract]
        digest=snapshot_id[:36],
        schema=snapshot_schema(),
    )


def log_dataset(dataset: Any, run_id: str, context: str = "training") -> None:
    """Record ``dataset`` as an input of run ``run_id`` (open or not)."""
    import mlflow
    from mlflow.entities import DatasetInput, InputTag
    from mlflow.utils.mlflow_tags import MLFLOW_DATASET_CONTEXT

    mlflow.MlflowClient().log_inputs(
        run_id,
        datasets=[
            DatasetInput(
                dataset._to_mlflow_entity(), tags=[InputTag(MLFLOW_DATASET_CONTEXT, context)]
            )
        ],
    )


def log_competence_run(
    params: dict[str, Any],
    metrics: dict[str, float],
    tags: dict[str, str],
    bundle_path: Path | None,
    eval_frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None,
) -> None:
    """Log one run's parameters, metrics, tags, schema, plots and bundle to the active run."""
    import mlflow

    mlflow.log_params(flatten_params(params))
    finite = {
        k.replace("+", "plus"): float(v)
        for k, v in metrics.items()
        if v is not None and np.isfinite(v)
    }
    mlflow.log_metrics(finite)
    mlflow.set_tags(redact(tags))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        schema = folder / "feature_schema.json"
        schema.write_text(json.dumps(schema_records(), ensure_ascii=False, indent=1), "utf-8")
        mlflow.log_artifact(str(schema))
        report = folder / "report.json"
        report.write_text(json.dumps(metrics, indent=1, sort_keys=True), "utf-8")
        mlflow.log_artifact(str(report))
        if eval_frames is not None:
            for path in _plots(*eval_frames, folder):
                mlflow.log_artifact(str(path), artifact_path="plots")
    if bundle_path is not None:
        mlflow.log_artifact(str(bundle_path), artifact_path="bundle")
    log.info("mlflow run logged", metrics=len(finite), bundle=bool(bundle_path))
