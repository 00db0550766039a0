"""Dependencies shared by the routes: the service state, its parts and the role guards.

Routes take what they need through the ``Annotated`` aliases below, so each route's signature says
which roles it admits and what it uses, and the route bodies stay thin.

The dependencies are ``async def``: none of them waits on anything, and FastAPI runs a plain
``def`` dependency in the thread pool, one thread hop (and a turn on the GIL) per dependency per
request. Route bodies stay plain ``def``; the CPU-bound ones are wrapped by :func:`model_work`.
"""

from __future__ import annotations

import functools
import inspect
import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, ParamSpec, TypeVar

import anyio.to_thread
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from footprint.store import Store
from serving.api.errors import ApiError
from serving.auth import Principal, Role
from serving.bundles import ModelRegistry
from serving.core.config import ServingSettings
from serving.metrics import Metrics
from serving.services.rating import RatingService
from serving.services.sessions import session_revoked
from serving.services.universities import University, get_university
from serving.state import ServiceState

SESSION_COOKIE = "talent_session"
ALL_ROLES: frozenset[Role] = frozenset(Role)

_bearer = HTTPBearer(auto_error=False, description="A token configured in TALENT_API_TOKENS")


async def get_state(request: Request) -> ServiceState:
    """The running service's state (set by the lifespan)."""
    state: ServiceState | None = getattr(request.app.state, "talent", None)
    if state is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the service is starting")
    return state


StateDep = Annotated[ServiceState, Depends(get_state)]


async def get_settings(state: StateDep) -> ServingSettings:
    return state.settings


async def get_store(state: StateDep) -> Store:
    return state.store


async def get_rating(state: StateDep) -> RatingService:
    return state.rating


async def get_metrics(state: StateDep) -> Metrics:
    return state.metrics


async def get_models(state: StateDep) -> ModelRegistry:
    return state.models


async def get_request_id(request: Request) -> str | None:
    """The id the access-log middleware gave this request (also sent as ``X-Request-ID``)."""
    return getattr(request.state, "request_id", None)


SettingsDep = Annotated[ServingSettings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
RatingDep = Annotated[RatingService, Depends(get_rating)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
ModelsDep = Annotated[ModelRegistry, Depends(get_models)]
RequestIdDep = Annotated[str | None, Depends(get_request_id)]


def loopback_peer(request: Request) -> bool:
    """Whether the caller connected over loopback (or a Unix socket: no address at all).

    A host that is not an IP address is taken as local: servers give TCP peers as addresses
    (``talent serve`` ignores forwarded headers), and the test client calls itself
    ``testclient``.
    """
    host = request.client.host if request.client else None
    if not host:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


class RoleGuard:
    """A dependency admitting a bearer token of one of ``roles``: 401 without a known token, 403
    with a token of another role. ``roles`` stays readable, so tests can walk every route's
    declaration."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(
        self,
        request: Request,
        state: StateDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        token = credentials.credentials if credentials is not None else None
        loopback = loopback_peer(request)
        principal = state.auth.principal(token, loopback=loopback)
        if principal is None:
            if not loopback and state.auth.refuses_off_loopback(token):
                raise ApiError(
                    "dev_token_off_loopback",
                    "development tokens are accepted only over loopback; configure "
                    "TALENT_API_TOKENS",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "a valid bearer token is required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        request.state.principal_role = principal.role.value
        if principal.role not in self.roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"role {principal.role.value} may not use this route; allowed: "
                + ", ".join(sorted(r.value for r in self.roles)),
            )
        return principal


class LoginRequiredError(Exception):
    """A page was asked for without a session; the app answers with the login page."""


class PageForbiddenError(Exception):
    """A page was asked for with a session of a role that may not see it."""


class PageGuard:
    """The moderators' pages: a session cookie (or a bearer token) of one of ``roles``.

    Without a valid session the browser is sent to the login page; with another role it gets a
    403 page.
    """

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(
        self,
        request: Request,
        state: StateDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        principal = None
        loopback = loopback_peer(request)
        if credentials is not None:
            principal = state.auth.principal(credentials.credentials, loopback=loopback)
        if principal is None:
            cookie = request.cookies.get(SESSION_COOKIE, "")
            principal = state.auth.session_principal(cookie, loopback=loopback)
            if principal is not None and await anyio.to_thread.run_sync(
                session_revoked, state.store, cookie
            ):
                principal = None  # logged out: the cookie is dead though not yet expired
        if principal is None:
            raise LoginRequiredError()
        request.state.principal_role = principal.role.value
        if principal.role not in self.roles:
            raise PageForbiddenError()
        return principal


# Who may use what (docs/serving.md has the same table).
READ_ROLES = (Role.PLATFORM, Role.MODERATOR, Role.DATA_SCIENTIST, Role.ADMIN)
ReaderDep = Annotated[Principal, Depends(RoleGuard(*READ_ROLES))]
PusherDep = Annotated[Principal, Depends(RoleGuard(Role.PLATFORM, Role.ADMIN))]
PlatformDep = Annotated[Principal, Depends(RoleGuard(Role.PLATFORM))]
ModeratorDep = Annotated[Principal, Depends(RoleGuard(Role.MODERATOR, Role.ADMIN))]
OperatorDep = Annotated[Principal, Depends(RoleGuard(Role.DATA_SCIENTIST, Role.ADMIN))]
AdminDep = Annotated[Principal, Depends(RoleGuard(Role.ADMIN))]
ModeratorPageDep = Annotated[Principal, Depends(PageGuard(Role.MODERATOR, Role.ADMIN))]


@dataclass(frozen=True)
class UniversityCaller:
    """A university's token and the university it belongs to (its name is the code)."""

    principal: Principal
    university: University


async def get_university_caller(
    principal: Annotated[Principal, Depends(RoleGuard(Role.UNIVERSITY))], state: StateDep
) -> UniversityCaller:
    """403 when the token's university is not registered or not active (one indexed read)."""
    university = await anyio.to_thread.run_sync(get_university, state.store, principal.name)
    if university is None or not university.active:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "university_unknown: вуз этого токена не зарегистрирован или отключён",
        )
    return UniversityCaller(principal, university)


UniversityDep = Annotated[UniversityCaller, Depends(get_university_caller)]


P = ParamSpec("P")
R = TypeVar("R")


def model_work(endpoint: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """Run a plain ``def`` route on the worker's model-work threads (``state.model_limiter``,
    ``TALENT_MODEL_THREADS``) instead of the general handler pool.

    For routes whose work is CPU-bound library code holding the GIL (competence, recommendations,
    trajectories, the rating): more threads than cores per process only take turns on the GIL
    with each other and with the event loop. Routes that mostly wait on the store stay on the
    general pool, so a slow write never queues behind model work and vice versa. The route must
    take ``state: StateDep``; its signature (and so its OpenAPI description) is unchanged.
    """
    if "state" not in inspect.signature(endpoint).parameters:
        raise TypeError(f"{endpoint.__name__} must take `state: StateDep` to use model_work")

    @functools.wraps(endpoint)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        state = kwargs["state"]
        assert isinstance(state, ServiceState)
        call = functools.partial(endpoint, *args, **kwargs)
        return await anyio.to_thread.run_sync(call, limiter=state.model_limiter)

    run.model_work = True  # type: ignore[attr-defined]  # read by the route tests
    return run
