"""Which model bundles a service loads, from the settings.

Each configured kind gets a :class:`~serving.bundles.BundleHolder` with its loader and smoke check
and a source saying which file to serve. Kinds that are not configured are simply absent, and
readiness does not wait for them.
"""

from __future__ import annotations

from typing import Any

from serving.bundles import BundleHolder, FileSource, LoadedBundle, ModelRegistry
from serving.core.config import ServingSettings
from serving.metrics import Metrics

COMPETENCE = "competence"


def _competence_smoke(bundle: Any) -> None:
    """A competence bundle must name its directions and features before it may serve."""
    model = bundle.model
    if not list(getattr(model, "directions_", [])):
        raise ValueError("the competence model has no fitted directions")
    if not list(getattr(model, "features_", [])):
        raise ValueError("the competence model has no feature list")


def _load_competence(path: Any) -> Any:
    from models.competence.bundle import CompetenceBundle

    return CompetenceBundle.load(path)


def _switch_metric(metrics: Metrics) -> Any:
    def on_switch(new: LoadedBundle[Any], old: LoadedBundle[Any] | None) -> None:
        if old is not None:
            metrics.model_info.labels(old.kind, old.version).set(0)
        metrics.model_info.labels(new.kind, new.version).set(1)

    return on_switch


def configure_models(registry: ModelRegistry, settings: ServingSettings, metrics: Metrics) -> None:
    """Add a holder for every kind the settings name."""
    if settings.competence_bundle is not None:
        registry.add(
            BundleHolder(
                COMPETENCE,
                loader=_load_competence,
                smoke=_competence_smoke,
                version_of=lambda b: str(b.version),
                on_switch=_switch_metric(metrics),
            ),
            FileSource(settings.competence_bundle, settings.competence_bundle_sha256),
        )
