"""MLflow logging of competence runs: params, metrics, snapshot id, schema, plots, the bundle.

The tracking store is embedded by default: ``sqlite:///mlruns/mlflow.db`` with artifacts under
``mlruns/<experiment id>/`` (MLflow 3 refuses a plain ``./mlruns`` file store without an opt-in);
``MLFLOW_TRACKING_URI`` overrides it. Nothing per participant is logged: metrics are aggregates,
plots are binned, the bundle holds per-activity statistics and models only.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features.schema import KEYS, schema_records
from footprint.logs import get_logger
from training.redaction import redact

log = get_logger(__name__)
DEFAULT_ROOT = Path("mlruns")


def tracking_uri(root: Path = DEFAULT_ROOT) -> str:
    """``MLFLOW_TRACKING_URI`` when set, else the embedded SQLite store under ``root``."""
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    root.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{root / 'mlflow.db'}"


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


def _plots(features: pd.DataFrame, labels: pd.DataFrame, predictions: pd.DataFrame,
           folder: Path) -> list[Path]:
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
    axes[0].set(xlabel="competence (decile bin)", ylabel="mean label in the next window",
                title="Calibration by decile")
    axes[1].set(xlabel="interval width (points)", ylabel="rows", title="90% interval widths")
    for ax in axes:
        ax.legend()
    fig.tight_layout()
    path = folder / "evaluation.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    paths.append(path)
    return paths


@contextmanager
def competence_run(experiment: str, run_name: str | None = None) -> Iterator[Any]:
    """An active MLflow run in ``experiment`` on the configured tracking store."""
    import mlflow

    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(experiment)  # created on first use; artifacts go next to the store
    with mlflow.start_run(run_name=run_name) as run:
        yield run


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
    finite = {k.replace("+", "plus"): float(v) for k, v in metrics.items()
              if v is not None and np.isfinite(v)}
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
