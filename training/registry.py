"""Model registry: every trained bundle a model version; ``champion`` and ``challenger`` aliases.

The MLflow model registry on the embedded SQLite store holds one registered model per kind
(``talent-competence``, ``talent-recommend``). Registering a bundle creates a version whose tags
record the bundle file's SHA-256, the evaluation snapshot (its id, instant and the source that
rebuilds it), the pipeline run (whose ``config.toml`` re-runs it) and every evaluation metric, and
points the ``challenger`` alias at it. :func:`promote` moves ``champion`` to the challenger only
when the challenger is at least as good on every gated metric on the same snapshot (or when
forced, which is logged). When the two were evaluated on different snapshots, a ``reevaluate``
callback (:mod:`training.reevaluate`) can supply the champion's metrics on the challenger's
snapshot. The promoted bundle is then exported, checksum verified, to the folder serving watches
(``latest.txt`` + bundle + ``.sha256``), so serving needs neither MLflow nor this package.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from footprint.errors import TalentError
from footprint.logs import get_logger
from training.bundles import BundleIntegrityError, publish, sidecar, verify_checksum
from training.config import GatedMetric

log = get_logger(__name__)
CHAMPION = "champion"
CHALLENGER = "challenger"
METRIC_TAG = "metric."
SHA_TAG = "sha256"
FILE_TAG = "bundle_file"
SNAPSHOT_TAG = "eval_snapshot_id"
SNAPSHOT_AS_OF_TAG = "eval_snapshot_as_of"
SNAPSHOT_SOURCE_TAG = "eval_snapshot_source"
"""JSON of the config's ``[snapshot]`` table that rebuilds the snapshot (store instant pinned)."""
PIPELINE_RUN_TAG = "pipeline_run_id"
"""The parent run of ``talent train --config``; its ``config.toml`` re-runs the version."""


class PromotionError(TalentError):
    """A promotion cannot be decided (no challenger, unknown model, missing metric)."""


def client() -> Any:
    """An MLflow client on the configured tracking store (registry on the same store)."""
    import mlflow

    from training.tracking import tracking_uri

    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)


def metric_key(name: str) -> str:
    """A metric name MLflow accepts (``@`` and ``+`` are not allowed)."""
    return name.replace("@", "_at_").replace("+", "plus")


@dataclass(frozen=True)
class VersionInfo:
    """One registered version as the gate sees it."""

    name: str
    version: str
    sha256: str
    snapshot_id: str
    metrics: dict[str, float]
    source: str
    bundle_file: str
    run_id: str = ""
    tags: dict[str, str] = field(default_factory=dict)


def version_provenance(pipeline_run: str, as_of: dt.datetime,
                       snapshot_source: dict[str, Any]) -> dict[str, str]:
    """Version tags that let a later promotion rebuild the evaluation snapshot and re-run the
    pipeline run's config (see :mod:`training.reevaluate`)."""
    return {PIPELINE_RUN_TAG: pipeline_run, SNAPSHOT_AS_OF_TAG: as_of.isoformat(),
            SNAPSHOT_SOURCE_TAG: json.dumps(snapshot_source, sort_keys=True, default=str)}


def register_bundle(
    name: str, run_id: str, artifact_uri: str, bundle_path: Path, sha256: str,
    snapshot_id: str, metrics: dict[str, float], extra_tags: dict[str, str] | None = None,
) -> str:
    """Register a logged bundle as a new version of ``name`` and make it the ``challenger``.

    Parameters
    ----------
    name
        Registered model name.
    run_id, artifact_uri
        The run that logged the bundle and the artifact folder holding it.
    bundle_path
        The local bundle file (its name is recorded; its checksum must be ``sha256``).
    sha256
        The digest recorded when the bundle was written.
    snapshot_id
        The snapshot the metrics were computed on (promotion compares like with like).
    metrics
        Evaluation metrics (``metric.<name>`` tags; the gate reads them).
    extra_tags
        More version tags, e.g. :func:`version_provenance`.

    Returns
    -------
    str
        The new version number.
    """
    mlc = client()
    if not mlc.search_registered_models(filter_string=f"name = '{name}'"):
        mlc.create_registered_model(name, description="Trained by `talent train --config`.")
    tags = (extra_tags or {}) | {SHA_TAG: sha256, FILE_TAG: bundle_path.name,
                                 SNAPSHOT_TAG: snapshot_id}
    tags |= {METRIC_TAG + metric_key(k): repr(float(v)) for k, v in metrics.items()
             if v is not None and math.isfinite(float(v))}
    version = mlc.create_model_version(name, source=artifact_uri, run_id=run_id, tags=tags)
    mlc.set_registered_model_alias(name, CHALLENGER, version.version)
    log.info("bundle registered", model=name, version=version.version, sha256=sha256[:16])
    return str(version.version)


def version_info(name: str, alias: str) -> VersionInfo | None:
    """The version behind an alias, or None when the alias is not set."""
    from mlflow.exceptions import MlflowException

    try:
        mv = client().get_model_version_by_alias(name, alias)
    except MlflowException:
        return None
    tags = dict(mv.tags)
    metrics = {k[len(METRIC_TAG):]: float(v) for k, v in tags.items() if k.startswith(METRIC_TAG)}
    return VersionInfo(name, str(mv.version), tags.get(SHA_TAG, ""), tags.get(SNAPSHOT_TAG, ""),
                       metrics, str(mv.source), tags.get(FILE_TAG, ""), str(mv.run_id or ""),
                       tags)


@dataclass(frozen=True)
class GateRow:
    """One gated metric: both values and whether the challenger passes."""

    metric: str
    champion: float | None
    challenger: float | None
    higher_is_better: bool
    passed: bool


@dataclass(frozen=True)
class PromotionResult:
    """What ``talent promote`` decided and why."""

    model: str
    champion: str | None
    challenger: str
    rows: tuple[GateRow, ...]
    same_snapshot: bool
    promoted: bool
    forced: bool
    exported: Path | None
    reevaluation_run: str | None = None
    """The run that re-evaluated the champion's config on the challenger's snapshot, if any."""


@dataclass(frozen=True)
class Reevaluation:
    """The champion's config re-run on the challenger's snapshot (never registered)."""

    run_id: str | None
    snapshot_id: str
    metrics: dict[str, float]
    """Keyed like the version tags (:func:`metric_key`)."""


Reevaluate = Callable[[VersionInfo, VersionInfo], Reevaluation]
"""Given champion and challenger evaluated on different snapshots, the champion re-evaluated."""


def gated_models(gated: tuple[GatedMetric, ...]) -> tuple[str, ...]:
    """The registered models the gated metrics name, in the config's order."""
    return tuple(dict.fromkeys(g.model for g in gated))


def gate(champion: VersionInfo | None, challenger: VersionInfo,
         gated: tuple[GatedMetric, ...]) -> tuple[tuple[GateRow, ...], bool]:
    """Compare every gated metric; the challenger passes when it is at least as good on all.

    A metric the challenger lacks fails; with no champion every present metric passes.
    Returns the rows and whether both were evaluated on the same snapshot.
    """
    rows = []
    for g in gated:
        key = metric_key(g.name)
        new = challenger.metrics.get(key)
        old = champion.metrics.get(key) if champion else None
        if new is None:
            passed = False
        elif old is None:
            passed = champion is None
        elif g.higher_is_better:
            passed = new >= old - g.tolerance
        else:
            passed = new <= old + g.tolerance
        rows.append(GateRow(g.name, old, new, g.higher_is_better, passed))
    same = champion is None or champion.snapshot_id == challenger.snapshot_id
    return tuple(rows), same


def fetch_bundle(info: VersionInfo, folder: Path) -> Path:
    """Download a version's bundle into ``folder`` and verify its recorded SHA-256."""
    import mlflow

    local = Path(mlflow.artifacts.download_artifacts(artifact_uri=info.source,
                                                     dst_path=str(folder)))
    path = local / info.bundle_file if local.is_dir() else local
    if not info.sha256:
        raise BundleIntegrityError(f"{info.name} version {info.version} has no recorded SHA-256")
    verify_checksum(path, info.sha256)
    return path


def export_bundle(info: VersionInfo, export_dir: Path) -> Path:
    """Copy a verified bundle into the folder serving watches, then switch ``latest.txt``.

    The bundle and its ``.sha256`` land first and ``latest.txt`` is replaced atomically last, so
    a watcher never sees a name whose file is incomplete.
    """
    export_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = fetch_bundle(info, Path(tmp))
        target = export_dir / path.name
        shutil.copyfile(path, target)
    verify_checksum(target, info.sha256)
    publish(target)
    log.info("champion exported", path=str(target), sidecar=str(sidecar(target)))
    return target


def promote(name: str, gated: tuple[GatedMetric, ...], force: bool = False,
            export_dir: Path | None = None,
            reevaluate: Reevaluate | None = None) -> PromotionResult:
    """Move ``champion`` to the ``challenger`` when the gate passes (or when forced).

    When champion and challenger were evaluated on different snapshots, ``reevaluate`` (if
    given) supplies the champion's metrics on the challenger's snapshot and the gate compares
    those; without it the gate refuses. Every decision, promoted or not, is logged as a run of
    the ``promotion`` experiment with the comparison and the ``force`` flag; a forced promotion
    also tags the version.
    """
    import mlflow

    challenger = version_info(name, CHALLENGER)
    if challenger is None:
        raise PromotionError(f"{name} has no challenger; train one with `talent train --config`")
    champion = version_info(name, CHAMPION)
    relevant = tuple(g for g in gated if g.model == name)
    if not relevant:
        raise PromotionError(f"no gated metric is configured for {name}")
    rows, same = gate(champion, challenger, relevant)
    reevaluation = None
    if not same and reevaluate is not None and champion is not None \
            and champion.version != challenger.version:
        reevaluation = reevaluate(champion, challenger)
        if reevaluation.snapshot_id != challenger.snapshot_id:
            raise PromotionError(f"the re-evaluation of {name} v{champion.version} ran on "
                                 f"snapshot {reevaluation.snapshot_id[:16]}, not the "
                                 f"challenger's {challenger.snapshot_id[:16]}")
        baseline = replace(champion, snapshot_id=reevaluation.snapshot_id,
                           metrics=reevaluation.metrics)
        rows, same = gate(baseline, challenger, relevant)
    passes = same and all(r.passed for r in rows)
    already = champion is not None and champion.version == challenger.version
    promoted = (passes or force) and not already
    mlc = client()
    exported = None
    if promoted:
        mlc.set_registered_model_alias(name, CHAMPION, challenger.version)
        if force:
            mlc.set_model_version_tag(name, challenger.version, "promoted_by_force", "true")
        if export_dir is not None:
            exported = export_bundle(challenger, export_dir)
    mlflow.set_experiment("promotion")
    with mlflow.start_run(run_name=f"promote {name} v{challenger.version}"):
        mlflow.log_params({"model": name, "challenger": challenger.version,
                           "champion": champion.version if champion else "none",
                           "force": force, "same_snapshot": same,
                           "reevaluation_run": reevaluation.run_id if reevaluation else "none"})
        mlflow.log_metrics({"promoted": float(promoted), "gate_passed": float(passes)})
        mlflow.log_dict({"rows": [r.__dict__ for r in rows]}, "comparison.json")
    log.info("promotion decided", model=name, challenger=challenger.version,
             promoted=promoted, forced=force, passed=passes)
    return PromotionResult(name, champion.version if champion else None, challenger.version,
                           rows, same, promoted, force, exported,
                           reevaluation.run_id if reevaluation else None)
