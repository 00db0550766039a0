"""Health, readiness, metrics, identity and the administrators' switches."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from serving.api.deps import (
    AdminDep,
    MetricsDep,
    ModelsDep,
    OperatorDep,
    RatingDep,
    ReaderDep,
    StateDep,
)
from serving.errors import NotFoundError
from serving.schemas.system import Health, Me, ModelStatus, RatingInvalidated, Readiness

router = APIRouter()


@router.get("/healthz", tags=["system"], summary="The process is alive (no auth)")
def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    tags=["system"],
    summary="The store answers and every configured model is loaded (no auth)",
    responses={503: {"model": Readiness, "description": "not ready"}},
)
def readyz(state: StateDep, response: Response) -> Readiness:
    try:
        with state.store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        store_ok = True
    except SQLAlchemyError:
        store_ok = False
    missing = state.models.not_ready()
    ready = store_ok and not missing
    if not ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Readiness(ready=ready, store=store_ok, models_missing=missing)


@router.get(
    "/metrics",
    tags=["system"],
    summary="Prometheus metrics (data_scientist, admin)",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
def metrics(_: OperatorDep, registry: MetricsDep) -> Response:
    return Response(registry.render(), media_type=registry.content_type)


@router.get("/v1/me", tags=["system"], summary="Who this token is (every role)")
def me(principal: ReaderDep) -> Me:
    return Me(name=principal.name, role=principal.role)


@router.post(
    "/v1/admin/rating/invalidate",
    tags=["admin"],
    summary="Drop the cached ratings; the next request recomputes (admin)",
)
def invalidate_rating(_: AdminDep, rating: RatingDep) -> RatingInvalidated:
    rating.invalidate()
    return RatingInvalidated(generation=rating.generation)


@router.get("/v1/admin/models", tags=["admin"], summary="Served model bundles (admin)")
def model_status(_: AdminDep, models: ModelsDep) -> list[ModelStatus]:
    return [ModelStatus.model_validate(s) for s in models.status()]


@router.post(
    "/v1/admin/models/{kind}/reload",
    tags=["admin"],
    summary="Switch to the bundle the source names now; a refused one leaves the old serving",
    responses={404: {"description": "kind not configured"}, 409: {"description": "refused"}},
)
def reload_model(kind: str, _: AdminDep, models: ModelsDep, state: StateDep) -> ModelStatus:
    if kind not in models.kinds:
        raise NotFoundError(f"model kind {kind!r} is not configured")
    models.reload(kind)  # a refused bundle: 409 bundle_refused, from the one error handler
    if state.follower is not None:  # every other worker follows (serving.services.jobs)
        state.follower.mark(state.follower.board.request(kind))
    return next(ModelStatus.model_validate(s) for s in models.status() if s["kind"] == kind)
