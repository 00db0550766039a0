"""Every error of the API as RFC 9457 problem details (``application/problem+json``), from one
place.

:func:`install` registers the handlers: FastAPI's validation errors, ``HTTPException`` (the
guards', the routes'), the services' :class:`~serving.errors.ServingError`, an unreachable store
and anything unexpected all become one :class:`Problem`: ``type``, ``title``, ``status``,
``detail`` (English, for the caller's logs), a stable ``code``, ``text_ru`` (for a person), the
``request_id`` and, for bad input, ``field`` and ``errors`` (each naming its field). Routes raise
domain errors (or :class:`ApiError` with a code) and never build answers for them.

The codes are written once, in :data:`CODES`; ``docs/serving.md`` lists them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import StoreError
from core.logs import get_logger
from serving.bundles import BundleRefusedError
from serving.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    NotReadyError,
    ServingError,
)

log = get_logger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:talent:problem:"


@dataclass(frozen=True)
class Code:
    """One kind of error: its HTTP status, English title and Russian text."""

    status: int
    title: str
    text_ru: str


CODES: dict[str, Code] = {
    "validation_error": Code(
        422, "Invalid input", "Запрос содержит неверные данные: проверьте указанное поле."
    ),
    "unauthorized": Code(401, "Authentication required", "Нужен действующий токен доступа."),
    "dev_token_off_loopback": Code(
        401,
        "Development token from the network",
        "Токены разработки принимаются только с этого же компьютера.",
    ),
    "forbidden": Code(403, "Not allowed for this role", "У этой роли нет доступа к действию."),
    "not_found": Code(404, "Not found", "Запрошенный объект не найден."),
    "method_not_allowed": Code(405, "Method not allowed", "Этот метод здесь не поддерживается."),
    "conflict": Code(
        409,
        "Changed meanwhile",
        "Объект уже изменён другим пользователем: обновите его и повторите.",
    ),
    "bundle_refused": Code(
        409, "Model file refused", "Файл модели отклонён; продолжает работать прежняя модель."
    ),
    "busy": Code(409, "Already running", "Задача уже выполняется; дождитесь её окончания."),
    "payload_too_large": Code(413, "Request too large", "Запрос слишком большой."),
    "bad_request": Code(400, "Bad request", "Запрос не может быть обработан."),
    "not_ready": Code(503, "Not ready", "Сервис ещё не готов ответить; повторите позже."),
    "store_unavailable": Code(
        503, "Store unavailable", "Хранилище данных недоступно; повторите позже."
    ),
    "internal_error": Code(
        500, "Internal error", "Внутренняя ошибка сервиса; сообщите оператору номер запроса."
    ),
}
_BY_STATUS = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
    503: "not_ready",
    500: "internal_error",
}


class FieldProblem(BaseModel):
    """One bad field of a request."""

    field: str = Field(description="where, dotted: `body.records.3.score`, `query.season`")
    loc: list[str | int] = Field(description="the same location as a list")
    code: str = Field(description="what is wrong, e.g. `finite_number`, `missing`, `value_error`")
    detail: str


class Problem(BaseModel):
    """An error answer (RFC 9457 problem details, ``application/problem+json``)."""

    type: str = Field(description=f"`{TYPE_PREFIX}<code>`")
    title: str
    status: int
    detail: str = Field(description="what went wrong, in English, for the caller's logs")
    code: str = Field(description="stable machine-readable code (docs/serving.md lists them)")
    text_ru: str = Field(description="the error in Russian, for a person")
    request_id: str | None = None
    field: str | None = Field(None, description="the (first) bad field of a 422")
    errors: list[FieldProblem] | None = Field(None, description="every bad field of a 422")
    current: dict[str, Any] | None = Field(
        None, description="409 `conflict`: what the item looks like now"
    )


class ApiError(HTTPException):
    """An HTTP error with a code of :data:`CODES`, for routes and guards to raise."""

    def __init__(self, code: str, detail: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(CODES[code].status, detail, headers=dict(headers) if headers else None)
        self.code = code


def _dotted(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc)


def problem(
    request: Request,
    code: str,
    detail: str,
    *,
    status: int | None = None,
    errors: list[FieldProblem] | None = None,
    current: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The answer for an error of kind ``code``."""
    kind = CODES[code]
    request_id = getattr(request.state, "request_id", None)
    body = Problem(
        type=TYPE_PREFIX + code,
        title=kind.title,
        status=status or kind.status,
        detail=detail,
        code=code,
        text_ru=kind.text_ru,
        request_id=request_id,
        field=errors[0].field if errors else None,
        errors=errors,
        current=dict(current) if current is not None else None,
    )
    out = dict(headers or {})
    if request_id:
        out["X-Request-ID"] = request_id  # the 500 answer bypasses the access-log middleware
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True),
        status_code=body.status,
        headers=out,
        media_type=PROBLEM_JSON,
    )


def _safe(text: str) -> str:
    # messages may quote the input; a NaN or a 100 kB string has no place in an error answer
    return text if len(text) <= 300 else text[:300] + "..."


def _validation(exc: RequestValidationError) -> list[FieldProblem]:
    out = []
    for err in exc.errors():
        loc = [p if isinstance(p, int) else str(p) for p in err.get("loc", ())]
        out.append(
            FieldProblem(
                field=_dotted(loc),
                loc=loc,
                code=str(err.get("type", "")),
                detail=_safe(str(err.get("msg", ""))),
            )
        )
    return out


def _from_serving(request: Request, exc: ServingError) -> JSONResponse:
    if isinstance(exc, NotFoundError):
        return problem(request, "not_found", str(exc))
    if isinstance(exc, ConflictError):
        return problem(request, "conflict", str(exc), current=exc.current)
    if isinstance(exc, InvalidInputError):
        loc = list(exc.field)
        return problem(
            request,
            "validation_error",
            _safe(str(exc)),
            errors=[
                FieldProblem(
                    field=_dotted(loc), loc=loc, code="value_error", detail=_safe(str(exc))
                )
            ],
        )
    if isinstance(exc, BundleRefusedError):
        return problem(request, "bundle_refused", str(exc))
    if isinstance(exc, NotReadyError):
        return problem(request, "not_ready", str(exc), headers={"Retry-After": "30"})
    return problem(request, "bad_request", str(exc))


def install(app: FastAPI) -> None:
    """Register the one set of error handlers on ``app``."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = _validation(exc)
        return problem(
            request,
            "validation_error",
            "; ".join(f"{e.field}: {e.detail}" for e in errors)[:1000],
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = getattr(exc, "code", None) or _BY_STATUS.get(exc.status_code, "bad_request")
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return problem(request, code, detail, status=exc.status_code, headers=exc.headers)

    @app.exception_handler(ServingError)
    async def _serving(request: Request, exc: ServingError) -> Response:
        return _from_serving(request, exc)

    @app.exception_handler(StoreError)
    @app.exception_handler(OperationalError)
    async def _store_down(request: Request, exc: Exception) -> Response:
        log.error("store_unavailable", error=type(exc).__name__)
        return problem(
            request,
            "store_unavailable",
            "the store is not reachable; retry later",
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.error(
            "unhandled_error",
            error=type(exc).__name__,
            request_id=getattr(request.state, "request_id", None),
        )
        return problem(request, "internal_error", "internal error")


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` declaring problem answers for ``statuses`` (401, 403, ...)."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        codes = [c for c, k in CODES.items() if k.status == status]
        out[status] = {
            "model": Problem,
            "description": "problem details; code " + ", ".join(f"`{c}`" for c in codes),
            "content": {PROBLEM_JSON: {}},
        }
    return out


def finite(value: float) -> float:
    """Raise unless ``value`` is a finite number (for validators of numbers the API takes)."""
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value
