"""The FastAPI application: ``create_app(settings)`` builds one service instance.

Start-up (the lifespan) opens and migrates the store, migrates the service's own tables, builds
the authenticator, the rating cache and the model registry, loads the configured bundles and builds
the live snapshot, all before the first request is accepted. The
routes reach all of it through :mod:`serving.api.deps`; nothing lives in module globals, so tests
can build as many apps as they like.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.utils import create_model_field
from fastapi_offline import FastAPIOffline
from sqlalchemy.exc import OperationalError

from core.errors import StoreError
from core.logs import configure, get_logger
from footprint.consent import bind_salt
from footprint.store import open_store
from serving import __version__
from serving.api.deps import LoginRequiredError, PageForbiddenError, RoleGuard
from serving.api.errors import install as install_error_handlers
from serving.api.errors import responses as problem_responses
from serving.api.routes import (
    batch,
    competence,
    competence_pages,
    directions,
    feedback,
    footprint,
    moderation,
    pages,
    portfolio,
    rating,
    recommend,
    system,
    talent,
    universities,
)
from serving.api.templating import forbidden_page, login_redirect
from serving.auth import Authenticator
from serving.bundles import ModelRegistry
from serving.core.config import ServingSettings
from serving.memory import settle_heap
from serving.metrics import Metrics
from serving.middleware import AccessLogMiddleware
from serving.migrate import upgrade
from serving.model_slots import competence_bundle, configure_models, recommend_bundle
from serving.ratelimit import RateLimiter
from serving.services.competence import CompetenceService
from serving.services.erasures import ErasureWatcher
from serving.services.jobs import AdminFollower, ReloadBoard
from serving.services.live import LiveDatasets, LiveFootprint, LivePoller
from serving.services.portfolio import Diplomas
from serving.services.rating import RatingService
from serving.services.recommend import RecommendService
from serving.services.recorder import EstimateRecorder
from serving.services.refresh import RefreshJob
from serving.services.signing import Signer
from serving.services.talent import TalentService
from serving.services.universities import ConsentScopes
from serving.state import ServiceState

log = get_logger(__name__)

DESCRIPTION = """
Competence, recommendations, trajectories and the «Талант 20.35» rating for the Talent platform,
footprint pushes, erasure on withdrawn consent, and the moderators' workspace.

Every `/v1` route takes a bearer token (`Authorization: Bearer <token>`) of a role the route
admits: **platform**, **moderator**, **data_scientist**, **admin** or **university**. A missing
or unknown token gets 401, a token of another role 403. Bad input gets 422 naming the field. Texts
meant for people are in Russian and always come with a stable machine-readable code.
"""

TAGS = [
    {"name": "footprint", "description": "Pushes of footprint records and erasure (platform)."},
    {"name": "competence", "description": "Competence estimates with the served model bundle."},
    {
        "name": "recommend",
        "description": "Next events and courses (one participant, or many in "
        "a batch); season trajectories.",
    },
    {
        "name": "feedback",
        "description": "What participants did with recommendations (platform); "
        "read back for evaluation (data scientists).",
    },
    {"name": "rating", "description": "The rule-based contest rating on the live store."},
    {"name": "moderation", "description": "Verification of achievements, with an audit trail."},
    {
        "name": "universities",
        "description": "Talent search, shortlists and invitations "
        "(partner universities); universities as data (admin); views and invitations "
        "(platform).",
    },
    {
        "name": "portfolio",
        "description": "The participant's verified portfolio (platform), "
        "its signed exports; public keys and verification (no token).",
    },
    {"name": "admin", "description": "Caches and model bundles."},
    {"name": "system", "description": "Health, readiness, metrics and identity."},
]


def build_state(settings: ServingSettings, metrics: Metrics) -> ServiceState:
    """Open the store and build everything the routes use."""
    store = open_store(settings.resolved_database_url())
    upgrade(store)
    with store.transaction() as conn:  # refuses a salt other than the tombstones' own
        bind_salt(conn, settings.erasure_salt)
    auth = Authenticator(
        settings.tokens(),
        settings.session_secret,
        settings.session_hours * 3600,
        loopback_only=settings.loopback_only_tokens(),
    )
    live = LiveFootprint(
        store,
        as_of=settings.live_as_of,
        check_seconds=settings.live_check_seconds,
        settle=settings.gc_freeze,
    )
    rating_service = RatingService(live, rules_path=settings.rating_rules, metrics=metrics)
    models = ModelRegistry()
    datasets = LiveDatasets(live)
    configure_models(
        models,
        settings,
        metrics,
        recommend_dataset=lambda model: datasets.dataset(model.ability_model),
    )
    models.load_all()
    competence = CompetenceService(live, lambda: competence_bundle(models))
    scopes = ConsentScopes(store)
    return ServiceState(
        settings=settings,
        store=store,
        auth=auth,
        metrics=metrics,
        live=live,
        rating=rating_service,
        models=models,
        competence=competence,
        recommend=RecommendService(
            live, rating_service, lambda: recommend_bundle(models), datasets
        ),
        poller=LivePoller(live, datasets, settings.live_check_seconds),
        follower=AdminFollower(ReloadBoard(store), models.reload, settings.admin_check_seconds),
        recorder=EstimateRecorder(store),
        refresh=RefreshJob(competence, spark_master=settings.refresh_spark_master),
        erasures=ErasureWatcher(
            store, check_seconds=settings.erasure_check_seconds, metrics=metrics
        ),
        model_limiter=anyio.CapacityLimiter(settings.model_threads),
        scopes=scopes,
        talent=TalentService(
            competence, rating_service, scopes, background=settings.talent_index_background
        ),
        signer=Signer(settings.portfolio_signing_key, settings.portfolio_retired_public_keys),
        verify_limiter=RateLimiter(settings.portfolio_verify_per_minute),
        diplomas=Diplomas(rating_service),
    )


def create_app(settings: ServingSettings | None = None) -> FastAPI:
    """The service, configured by ``settings`` (default: read from the environment).

    Raises
    ------
    pydantic.ValidationError
        When the environment's settings are invalid (e.g. default secrets in production).
    """
    settings = settings or ServingSettings()
    if settings.log_json:
        configure(json=True)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # plain-def handlers run in anyio's thread pool of this event loop: bound it (see the
        # setting); the CPU-bound routes have their own, smaller one (state.model_limiter)
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.handler_threads
        state = build_state(settings, metrics)
        app.state.talent = state
        # the live snapshot is built before the first request is accepted, so /readyz never says
        # ready while the first requests would each wait for it (about 25 s at 250,000)
        try:
            await anyio.to_thread.run_sync(state.live.snapshot)
        except (StoreError, OperationalError) as exc:
            log.warning("live_snapshot_not_built_at_start", error=type(exc).__name__)
        state.recorder.start()
        if state.poller is not None:
            state.poller.start()
        if state.follower is not None:
            state.follower.start()
        state.erasures.start()  # purges erasures made while the service was down, then watches
        if settings.model_watch_seconds > 0:
            state.models.watch(settings.model_watch_seconds)
        if settings.gc_freeze:
            settle_heap("service_started")
        if settings.dev_tokens_on_network():
            log.warning(
                "development_tokens_on_network",
                detail="TALENT_ALLOW_DEV_TOKENS_ON_NETWORK is set: the development tokens "
                "printed in this repository are accepted from any peer",
            )
        log.info("service_started", mode=settings.mode.value, models=list(state.models.kinds))
        try:
            yield
        finally:
            state.models.stop_watching()
            if state.poller is not None:
                state.poller.stop()
            if state.follower is not None:
                state.follower.stop()
            state.erasures.stop()
            state.recorder.stop()
            state.talent.wait_for_rebuild(timeout=30)
            state.store.dispose()
            app.state.talent = None

    # Swagger UI and ReDoc from assets shipped in the fastapi-offline package, not a CDN: the
    # service sits inside a closed network, where /docs was a blank page
    app = FastAPIOffline(
        title="Talent trajectories",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        max_body_size=settings.max_request_bytes,
    )
    for module in (
        system,
        footprint,
        rating,
        moderation,
        competence,
        recommend,
        batch,
        feedback,
        talent,
        portfolio,
        universities,
        pages,
        competence_pages,
        directions,
    ):
        _declare_problems(module.router)
        app.include_router(module.router)
    app.add_middleware(AccessLogMiddleware, metrics=metrics)
    _add_handlers(app)
    return app


def _guarded(dependant: Dependant) -> bool:
    return any(isinstance(d.call, RoleGuard) or _guarded(d) for d in dependant.dependencies)


def _declare_problems(router: APIRouter) -> None:
    """Declare in each operation's OpenAPI the problem answers it can give: 401 and 403 behind
    a role guard, 422 where it takes input, and the 404/409/503 it declares itself, all as
    ``application/problem+json``."""
    for route in router.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        statuses = {int(s) for s in route.responses if str(s).isdigit() and int(s) >= 400}
        if _guarded(route.dependant):
            statuses |= {401, 403}
        if route.dependant.path_params or route.dependant.query_params or route.body_field:
            statuses.add(422)
        kept = {
            s: r
            for s, r in route.responses.items()
            if not (str(s).isdigit() and int(s) in statuses)
        }
        declared = problem_responses(*sorted(statuses))
        for status_code, entry in declared.items():
            old = route.responses.get(status_code, {})
            if "description" in old:
                entry["description"] = f"{old['description']}; {entry['description']}"
        route.responses = kept | declared
        # FastAPI turned each declared model into a field when the route was built
        route.response_fields = {
            status_code: create_model_field(
                name=f"Response_{status_code}_{route.unique_id}",
                type_=entry["model"],
                mode="serialization",
            )
            for status_code, entry in route.responses.items()
            if entry.get("model")
        }


def _add_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequiredError)
    async def _login(request: Request, _: LoginRequiredError) -> Response:
        return login_redirect(request)

    @app.exception_handler(PageForbiddenError)
    async def _forbidden(request: Request, _: PageForbiddenError) -> Response:
        return forbidden_page(request)

    install_error_handlers(app)  # every other error: problem+json (serving/api/errors.py)
