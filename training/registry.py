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

from core.errors import TalentError
from core.logs import get_logger
from training.bundles import BundleIntegrityError, publish, sidecar, verify_checksum
from training.config import CANDIDATE, GatedMetric

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
CANDIDATE_TAG = "candidate"
"""Which model of the evaluation report a version is (``rerank``, ``popular_direction``...)."""


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

    @property
    def candidate(self) -> str:
        """The report row this version is (empty for versions registered before the tag)."""
        return self.tags.get(CANDIDATE_TAG, "")

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}" + (f" ({self.candidate})" if self.candidate else "")


def version_provenance(
    pipeline_run: str, as_of: dt.datetime, snapshot_source: dict[str, Any]
) -> dict[str, str]:
    """Version tags that let a later promotion rebuild the evaluation snapshot and re-run the
    pipeline run's config (see :mod:`training.reevaluate`)."""
    return {
        PIPELINE_RUN_TAG: pipeline_run,
        SNAPSHOT_AS_OF_TAG: as_of.isoformat(),
        SNAPSHOT_SOURCE_TAG: json.dumps(snapshot_source, sort_keys=True, default=str),
    }


def register_bundle(
    name: str,
    run_id: str,
    artifact_uri: str,
    bundle_path: Path,
    sha256: str,
    snapshot_id: str,
    metrics: dict[str, float],
    extra_tags: dict[str, str] | None = None,
    challenger: bool = True,
    model_id: str | None = None,
) -> str:
    """Register a logged bundle as a new version of ``name`` and make it the ``challenger``.

    Parameters
    ----------
    name
        Registered model name.
    run_id, artifact_uri
        The run that logged the bundle and where it is: an artifact folder, or the URI of the
        MLflow model the bundle travels in (``models:/<model id>``, with ``model_id``; see
        :func:`register_model`).
    bundle_path
        The local bundle file (its name is recorded; its checksum must be ``sha256``).
    sha256
        The digest recorded when the bundle was written.
    snapshot_id
        The snapshot the metrics were computed on (promotion compares like with like).
    metrics
        Evaluation metrics (``metric.<name>`` tags; the gate reads them).
    extra_tags
        More version tags, e.g. :func:`version_provenance` and :data:`CANDIDATE_TAG`.
    challenger
        Point the ``challenger`` alias at it (the pipeline's other candidates are registered
        without it, so a baseline that wins can be promoted; see :func:`promote`).
    model_id
        The logged MLflow model the version is (``mlflow.pyfunc.log_model``'s ``model_id``).

    Returns
    -------
    str
        The new version number.
    """
    mlc = client()
    if not mlc.search_registered_models(filter_string=f"name = '{name}'"):
        mlc.create_registered_model(name, description="Trained by `talent train --config`.")
    tags = (extra_tags or {}) | {
        SHA_TAG: sha256,
        FILE_TAG: bundle_path.name,
        SNAPSHOT_TAG: snapshot_id,
    }
    tags |= {
        METRIC_TAG + metric_key(k): repr(float(v))
        for k, v in metrics.items()
        if v is not None and math.isfinite(float(v))
    }
    version = mlc.create_model_version(
        name, source=artifact_uri, run_id=run_id, tags=tags, model_id=model_id
    )
    if challenger:
        mlc.set_registered_model_alias(name, CHALLENGER, version.version)
    log.info("bundle registered", model=name, version=version.version, sha256=sha256[:16])
    return str(version.version)


def register_model(
    kind: str,
    name: str,
    run_id: str,
    bundle_path: Path,
    sha256: str,
    snapshot_id: str,
    metrics: dict[str, float],
    snapshot_folder: Path | None,
    extra_tags: dict[str, str] | None = None,
    challenger: bool = True,
) -> str:
    """Log a published bundle as an MLflow pyfunc model of the active run
    (:func:`training.pyfunc.log_bundle_model`) and register that model as a new version of
    ``name``: ``mlflow.pyfunc.load_model("models:/<name>@<alias>")`` and ``mlflow models serve``
    then work on it, and :func:`fetch_bundle` finds the bundle among its artifacts.

    ``kind`` is ``recommend`` or ``competence``; ``snapshot_folder`` is the data the model scores
    when loaded by MLflow (None: the footprint store as it is then). The rest as for
    :func:`register_bundle`.
    """
    from core.artifacts import signature_path
    from training.bundles import sign
    from training.pyfunc import log_bundle_model

    if not signature_path(bundle_path).is_file():
        sign(bundle_path, sha256)  # what serving checks before unpickling a registry download
    info = log_bundle_model(kind, bundle_path, snapshot_folder, name="model")
    return register_bundle(
        name,
        run_id,
        str(info.model_uri),
        bundle_path,
        sha256,
        snapshot_id,
        metrics,
        extra_tags,
        challenger,
        model_id=str(info.model_id),
    )


def describe_versions(name: str, versions: list[str], card: str) -> None:
    """Put the model card (markdown) in each version's description, where the registry's UI
    shows it."""
    mlc = client()
    for version in versions:
        mlc.update_model_version(name, version, description=card)


def version_info(name: str, alias: str) -> VersionInfo | None:
    """The version behind an alias, or None when the alias is not set."""
    from mlflow.exceptions import MlflowException

    try:
        mv = client().get_model_version_by_alias(name, alias)
    except MlflowException:
        return None
    return _info(name, mv)


def _info(name: str, mv: Any) -> VersionInfo:
    tags = dict(mv.tags)
    metrics = {k[len(METRIC_TAG) :]: float(v) for k, v in tags.items() if k.startswith(METRIC_TAG)}
    return VersionInfo(
        name,
        str(mv.version),
        tags.get(SHA_TAG, ""),
        tags.get(SNAPSHOT_TAG, ""),
        metrics,
        str(mv.source),
        tags.get(FILE_TAG, ""),
        str(mv.run_id or ""),
        tags,
    )


def resolve(metric: str, info: VersionInfo) -> str:
    """A gated metric's key for one version (``{candidate}`` replaced by its candidate)."""
    if CANDIDATE in metric:
        if not info.candidate:
            raise PromotionError(
                f"{info.name} v{info.version} records no candidate, so "
                f"{metric!r} cannot be read for it; retrain it with "
                "`talent train --config` or gate on a named metric"
            )
        return metric.replace(CANDIDATE, info.candidate)
    return metric


def run_candidates(info: VersionInfo) -> dict[str, VersionInfo]:
    """Every version the same pipeline run registered under ``info.name``, by candidate."""
    run = info.tags.get(PIPELINE_RUN_TAG)
    if not run:
        return {}
    out = {}
    for mv in client().search_model_versions(f"name = '{info.name}'"):
        other = _info(info.name, mv)
        if other.tags.get(PIPELINE_RUN_TAG) == run and other.candidate:
            out[other.candidate] = other
    return out


@dataclass(frozen=True)
class BaselineRow:
    """One gated metric against the best baseline on the challenger's own snapshot."""

    metric: str
    challenger: float | None
    best_baseline: str | None
    """The winning baseline's metric key (None when no listed baseline was evaluated)."""
    baseline: float | None
    margin: float
    higher_is_better: bool
    passed: bool

    @property
    def winner(self) -> str | None:
        """The baseline's model name (the report row, e.g. ``popular_direction``)."""
        if self.best_baseline is None:
            return None
        parts = self.best_baseline.split(".")
        return parts[1] if parts[0] == "recommend" else parts[-1]


def baseline_gate(
    challenger: VersionInfo, gated: tuple[GatedMetric, ...]
) -> tuple[BaselineRow, ...]:
    """Each gated metric with baselines: the challenger against the best of them, read from its
    own tags (the same evaluation report, so the same snapshot by construction)."""
    rows = []
    for g in gated:
        if not g.baselines:
            continue
        key = resolve(g.name, challenger)
        new = challenger.metrics.get(metric_key(key))
        present = {
            b: challenger.metrics[metric_key(b)]
            for b in g.baselines
            if b != key and metric_key(b) in challenger.metrics
        }
        sign = 1.0 if g.higher_is_better else -1.0
        best = max(present, key=lambda b: sign * present[b]) if present else None
        value = present[best] if best is not None else None
        if value is None:
            # a baseline itself, with no other baseline evaluated, is the best baseline
            passed = new is not None and key in g.baselines
        else:
            passed = new is not None and sign * (new - value) >= g.margin - 1e-12
        rows.append(BaselineRow(key, new, best, value, g.margin, g.higher_is_better, passed))
    return tuple(rows)


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
    baselines: tuple[BaselineRow, ...] = ()
    """The challenger against the best baseline on its snapshot, per gated metric."""
    refused: tuple[str, ...] = ()
    """Challengers refused on the way (a baseline won), as ``name vN (candidate)`` labels."""
    candidate: str = ""
    """The promoted (or refused) version's candidate, e.g. ``popular_direction``."""


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


def gate(
    champion: VersionInfo | None, challenger: VersionInfo, gated: tuple[GatedMetric, ...]
) -> tuple[tuple[GateRow, ...], bool]:
    """Compare every gated metric; the challenger passes when it is at least as good on all.

    A metric the challenger lacks fails; with no champion every present metric passes.
    Returns the rows and whether both were evaluated on the same snapshot.
    """
    rows = []
    for g in gated:
        key = metric_key(resolve(g.name, challenger))
        new = challenger.metrics.get(key)
        old = champion.metrics.get(metric_key(resolve(g.name, champion))) if champion else None
        if new is None:
            passed = False
        elif old is None:
            passed = champion is None
        elif g.higher_is_better:
            passed = new >= old - g.tolerance
        else:
            passed = new <= old + g.tolerance
        rows.append(GateRow(resolve(g.name, challenger), old, new, g.higher_is_better, passed))
    same = champion is None or champion.snapshot_id == challenger.snapshot_id
    return tuple(rows), same


def fetch_bundle(info: VersionInfo, folder: Path) -> Path:
    """Download a version's bundle into ``folder`` and verify its recorded SHA-256."""
    import mlflow

    local = Path(
        mlflow.artifacts.download_artifacts(artifact_uri=info.source, dst_path=str(folder))
    )
    path = local / info.bundle_file if local.is_dir() else local
    if local.is_dir() and not path.is_file():
        # a version that is an MLflow model holds the bundle among the model's artifacts
        path = next(iter(sorted(local.rglob(info.bundle_file))), path)
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


def _fallback(challenger: VersionInfo, baselines: tuple[BaselineRow, ...]) -> VersionInfo | None:
    """The winning baseline's version from the challenger's own pipeline run, if registered."""
    lost = [b.winner for b in baselines if not b.passed and b.winner]
    if not lost:
        return None
    found = run_candidates(challenger).get(lost[0])
    return found if found is not None and found.version != challenger.version else None


def promotion_card(result: PromotionResult) -> str:
    """Why the served version is the one it is (markdown, beside the exported bundle)."""
    verdict = "promoted" if result.promoted else "not promoted"
    lines = [
        f"# {result.model} v{result.challenger} ({result.candidate or 'model'}): {verdict}",
        "",
    ]
    if result.refused:
        lines += [
            f"Refused before it: {', '.join(result.refused)} (a baseline beat it on the "
            "same snapshot), so the baseline that won is served instead.",
            "",
        ]
    lines += [
        "| metric | this version | best baseline | baseline value | margin |",
        "|---|---|---|---|---|",
    ]
    for b in result.baselines:
        lines.append(
            f"| {b.metric} | {_fmt(b.challenger)} | {b.best_baseline or 'none'} | "
            f"{_fmt(b.baseline)} | {b.margin:g} |"
        )
    lines += ["", "| metric | previous champion | this version |", "|---|---|---|"]
    for r in result.rows:
        lines.append(f"| {r.metric} | {_fmt(r.champion)} | {_fmt(r.challenger)} |")
    if result.forced:
        lines += ["", "Promoted with --force: the gate did not pass."]
    return "\n".join(lines) + "\n"


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def promote(
    name: str,
    gated: tuple[GatedMetric, ...],
    force: bool = False,
    export_dir: Path | None = None,
    reevaluate: Reevaluate | None = None,
    baseline_fallback: bool = True,
) -> PromotionResult:
    """Move ``champion`` to the ``challenger`` when the gate passes (or when forced).

    The gate has two parts. Against the baselines: every gated metric with ``baselines`` must
    beat the best of them on the challenger's own snapshot by the metric's margin (read from the
    challenger's own evaluation report, so like is compared with like). Against the champion: at
    least as good on every gated metric on the same snapshot. When the challenger loses to a
    baseline that its own pipeline run registered too and ``baseline_fallback`` is on, the
    challenger is refused and that baseline's version goes through the same gate in its place:
    the service then serves the model that won (and the card beside the bundle says so).

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
    baselines = baseline_gate(challenger, relevant)
    refused: list[str] = []
    if baseline_fallback and not force:
        winner = _fallback(challenger, baselines)
        if winner is not None:
            log.info(
                "challenger lost to a baseline; gating the baseline instead",
                model=name,
                refused=challenger.label,
                baseline=winner.label,
            )
            refused.append(challenger.label)
            challenger = winner
            baselines = baseline_gate(challenger, relevant)
    rows, same = gate(champion, challenger, relevant)
    reevaluation = None
    if (
        not same
        and reevaluate is not None
        and champion is not None
        and champion.version != challenger.version
    ):
        reevaluation = reevaluate(champion, challenger)
        if reevaluation.snapshot_id != challenger.snapshot_id:
            raise PromotionError(
                f"the re-evaluation of {name} v{champion.version} ran on "
                f"snapshot {reevaluation.snapshot_id[:16]}, not the "
                f"challenger's {challenger.snapshot_id[:16]}"
            )
        # the champion's metrics re-run on the challenger's snapshot are keyed by the
        # champion's own candidate, which resolve() reads through its tags
        rerun = replace(
            champion, snapshot_id=reevaluation.snapshot_id, metrics=reevaluation.metrics
        )
        rows, same = gate(rerun, challenger, relevant)
    beats_baselines = all(b.passed for b in baselines)
    passes = same and all(r.passed for r in rows) and beats_baselines
    already = champion is not None and champion.version == challenger.version
    promoted = (passes or force) and not already
    result = PromotionResult(
        name,
        champion.version if champion else None,
        challenger.version,
        rows,
        same,
        promoted,
        force,
        None,
        reevaluation.run_id if reevaluation else None,
        baselines,
        tuple(refused),
        challenger.candidate,
    )
    mlc = client()
    if promoted:
        mlc.set_registered_model_alias(name, CHAMPION, challenger.version)
        if force:
            mlc.set_model_version_tag(name, challenger.version, "promoted_by_force", "true")
        if refused:
            mlc.set_model_version_tag(
                name, challenger.version, "promoted_instead_of", ", ".join(refused)
            )
        if export_dir is not None:
            exported = export_bundle(challenger, export_dir)
            card = exported.parent / f"{exported.name}.card.md"
            card.write_text(promotion_card(result), "utf-8")
            result = replace(result, exported=exported)
    from training.tracking import use_experiment

    use_experiment("promotion")
    with mlflow.start_run(run_name=f"promote {name} v{challenger.version}"):
        mlflow.log_params(
            {
                "model": name,
                "challenger": challenger.version,
                "candidate": challenger.candidate or "none",
                "refused": ", ".join(refused) or "none",
                "champion": champion.version if champion else "none",
                "force": force,
                "same_snapshot": same,
                "reevaluation_run": reevaluation.run_id if reevaluation else "none",
            }
        )
        mlflow.log_metrics(
            {
                "promoted": float(promoted),
                "gate_passed": float(passes),
                "beats_baselines": float(beats_baselines),
            }
        )
        mlflow.log_dict(
            {"rows": [r.__dict__ for r in rows], "baselines": [b.__dict__ for b in baselines]},
            "comparison.json",
        )
        mlflow.log_text(promotion_card(result), "promotion_card.md")
    log.info(
        "promotion decided",
        model=name,
        challenger=challenger.version,
        candidate=challenger.candidate,
        promoted=promoted,
        forced=force,
        passed=passes,
        beats_baselines=beats_baselines,
    )
    return result
