"""Which model bundles a service loads, from the settings.

Each configured kind gets a :class:`~serving.bundles.BundleHolder` with its loader and smoke check
and a source saying which file to serve. Kinds that are not configured are simply absent, and
readiness does not wait for them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from core.instants import utc_now
from footprint.frames import ACHIEVEMENT_DTYPES
from serving.bundles import BundleHolder, BundleSource, FileSource, LoadedBundle, ModelRegistry
from serving.core.config import ServingSettings
from serving.metrics import Metrics

if TYPE_CHECKING:  # loaded on first use: a service without a recommender never imports it
    from models.competence.bundle import CompetenceBundle
    from models.recommend.base import Recommender

COMPETENCE = "competence"
RECOMMEND = "recommend"
ACHIEVEMENT_COLUMNS = tuple(ACHIEVEMENT_DTYPES)


def competence_bundle(registry: ModelRegistry) -> LoadedBundle[CompetenceBundle] | None:
    """The competence bundle being served, if any."""
    holder = registry.holder(COMPETENCE)
    # the holder of this kind is made by configure_models with _load_competence
    return cast("LoadedBundle[CompetenceBundle] | None", holder.current if holder else None)


def recommend_bundle(registry: ModelRegistry) -> LoadedBundle[Recommender] | None:
    """The recommender being served, if any."""
    holder = registry.holder(RECOMMEND)
    # the holder of this kind is made by configure_models with _load_recommender
    return cast("LoadedBundle[Recommender] | None", holder.current if holder else None)


def _load_recommender(path: Path) -> Recommender:
    from models.recommend.base import Recommender

    return Recommender.load(path)


def _recommender_smoke(
    instant: Callable[[], dt.datetime],
    dataset_for: Callable[[Any], Any] | None,
) -> Callable[[Any], None]:
    """A recommender must answer a participant it has never seen (the cold-start path) with the
    library's columns before it may serve.

    The bundle holds parameters only, so it answers from the live store's dataset
    (``dataset_for(model)``, :class:`serving.services.live.LiveDatasets`), built here in the
    loading thread with the bundle's ability parameters; it then answers one participant of the
    store as a request would (at the service's instant), so the per-dataset lookups the request
    path builds on first use (edition sizes, ability maps) are ready before the first request
    reaches the new bundle, which otherwise paid for them (70 ms on the 250k re-ranker,
    bench/bundle_load.py).
    """

    def smoke(model: Any) -> None:
        from models.recommend.columns import RECOMMENDATION_COLUMNS

        if dataset_for is None:
            return
        dataset = dataset_for(model)
        out = model.recommend(["smoke-check"], k=3, dataset=dataset)
        if tuple(out.columns) != RECOMMENDATION_COLUMNS:
            raise ValueError(f"the recommender answered with columns {list(out.columns)}")
        known = dataset.participant_ids
        if len(known):
            model.recommend_records([known[0]], k=3, as_of=instant(), dataset=dataset)

    return smoke


def _recommender_version(model: Any) -> str:
    as_of = model.cutoff_
    return f"{model.name}@{as_of:%Y-%m-%d}" if as_of is not None else str(model.name)


def _competence_smoke(bundle: Any) -> None:
    """A competence bundle must estimate a made-up participant without records (the cold-start
    path: features, model, evidence and flags all run) into sane values before it may serve."""
    import pandas as pd

    from footprint.columns import Columns as C
    from footprint.frames import conform
    from models.competence.columns import CompetenceColumns as CC

    as_of = bundle.stats.as_of
    participant = conform(
        pd.DataFrame(
            {
                C.PARTICIPANT_ID: ["smoke-check"],
                C.GRADE: [8],
                C.GRADE_YEAR: [as_of.year if as_of.month >= 6 else as_of.year - 1],
                C.REGION: ["RU-MOW"],
                C.SCHOOL_ID: [None],
                C.REGISTERED_AT: [as_of - pd.Timedelta(days=400)],
                C.ACCOUNT_VERIFIED: [True],
                C.DECLARED_INTERESTS: [None],
            }
        ),
        "participants",
    )
    achievements = conform(pd.DataFrame(columns=list(ACHIEVEMENT_COLUMNS)), "achievements")
    out = bundle.estimate(achievements, participant, as_of=as_of)
    directions = set(getattr(bundle.model, "directions_", []))
    if not directions or set(out[C.DIRECTION]) != directions:
        raise ValueError("the bundle did not estimate every direction it was trained for")
    values = out[[CC.COMPETENCE, CC.LOWER, CC.UPPER]].to_numpy(float)
    if not ((values >= 0) & (values <= 100)).all():
        raise ValueError("the bundle's estimates leave the 0-100 scale")


def _load_competence(path: Path) -> CompetenceBundle:
    from models.competence.bundle import CompetenceBundle

    return CompetenceBundle.load(path)


def _switch_metric(metrics: Metrics) -> Any:
    def on_switch(new: LoadedBundle[Any], old: LoadedBundle[Any] | None) -> None:
        if old is not None:
            metrics.model_info.labels(old.kind, old.version).set(0)
        metrics.model_info.labels(new.kind, new.version).set(1)

    return on_switch


def configure_models(
    registry: ModelRegistry,
    settings: ServingSettings,
    metrics: Metrics,
    recommend_dataset: Callable[[Any], Any] | None = None,
) -> None:
    """Add a holder for every kind the settings name (``recommend_dataset``: the live dataset
    for a recommender, which its smoke check answers from)."""
    if settings.competence_bundle is not None or settings.competence_model_uri is not None:
        registry.add(
            BundleHolder(
                COMPETENCE,
                loader=_load_competence,
                smoke=_competence_smoke,
                version_of=lambda b: str(b.version),
                on_switch=_switch_metric(metrics),
                signing_key=settings.bundle_key,
            ),
            _source(
                settings,
                settings.competence_model_uri,
                settings.competence_bundle,
                settings.competence_bundle_sha256,
            ),
        )
    if settings.recommend_bundle is not None or settings.recommend_model_uri is not None:
        registry.add(
            BundleHolder(
                RECOMMEND,
                loader=_load_recommender,
                smoke=_recommender_smoke(
                    lambda: settings.live_as_of or utc_now(), recommend_dataset
                ),
                version_of=_recommender_version,
                on_switch=_switch_metric(metrics),
                signing_key=settings.bundle_key,
            ),
            _source(
                settings,
                settings.recommend_model_uri,
                settings.recommend_bundle,
                settings.recommend_bundle_sha256,
            ),
        )


def _source(
    settings: ServingSettings, uri: str | None, path: Path | None, sha256: str | None
) -> BundleSource:
    """A registry alias when one is configured, else the exported file or folder."""
    if uri is not None:
        from serving.registry_source import RegistrySource

        return RegistrySource(
            uri, settings.data_dir / "models" / "registry", data_dir=settings.data_dir
        )
    assert path is not None
    return FileSource(path, sha256)
