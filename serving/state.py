"""What one running service holds: settings, the store, authentication, caches and metrics.

Built by the application's lifespan (:func:`serving.main.create_app`) and reached by routes
through the dependencies in :mod:`serving.api.deps`, never through globals, so several apps (tests)
can live in one process.
"""

from __future__ import annotations

from dataclasses import dataclass

import anyio

from footprint.store import Store
from serving.auth import Authenticator
from serving.bundles import ModelRegistry
from serving.core.config import ServingSettings
from serving.metrics import Metrics
from serving.ratelimit import RateLimiter
from serving.services.competence import CompetenceService
from serving.services.erasures import ErasureWatcher
from serving.services.jobs import AdminFollower
from serving.services.live import LiveFootprint, LivePoller
from serving.services.portfolio import Diplomas
from serving.services.rating import RatingService
from serving.services.recommend import RecommendService
from serving.services.recorder import EstimateRecorder
from serving.services.refresh import RefreshJob
from serving.services.signing import Signer
from serving.services.talent import TalentService
from serving.services.universities import ConsentScopes


@dataclass
class ServiceState:
    """The service's long-lived objects."""

    settings: ServingSettings
    store: Store
    auth: Authenticator
    metrics: Metrics
    live: LiveFootprint
    rating: RatingService
    models: ModelRegistry
    competence: CompetenceService
    recommend: RecommendService
    recorder: EstimateRecorder
    refresh: RefreshJob
    erasures: ErasureWatcher
    model_limiter: anyio.CapacityLimiter
    scopes: ConsentScopes
    talent: TalentService
    signer: Signer
    diplomas: Diplomas
    verify_limiter: RateLimiter
    """Threads running the CPU-bound routes (``TALENT_MODEL_THREADS``, see
    :func:`serving.api.deps.model_work`)."""
    follower: AdminFollower | None = None
    """Follows the model reloads other workers took (started by the lifespan)."""
    poller: LivePoller | None = None
    """Applies the store's change log to ``live`` on a timer (started by the lifespan)."""
