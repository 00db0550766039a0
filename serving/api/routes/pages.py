"""The moderators' web pages (server-rendered, Russian, usable with the keyboard alone).

Login exchanges a moderator's token for an HttpOnly, SameSite=Strict session cookie; every form
carries a CSRF token bound to that cookie. The pages call the same service functions as the
moderation API, so a decision made here is audited and conflict-checked the same way.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from footprint.directions import directions
from footprint.enums import RU_LABELS
from models.competence.config import load_bands
from serving.api.deps import (
    SESSION_COOKIE,
    MetricsDep,
    ModeratorPageDep,
    RatingDep,
    RequestIdDep,
    StateDep,
    StoreDep,
)
from serving.auth import Principal, Role
from serving.errors import ConflictError, InvalidInputError, NotFoundError
from serving.schemas.common import MAX_COMMENT_LENGTH, MAX_PAGE_SIZE
from serving.services.audit import audit_entries
from serving.services.moderation import (
    AchievementDecision,
    achievement_detail,
    decide_achievement,
    pending_queue,
)
from serving.services.reviews import (
    ReviewDecision,
    ReviewStatus,
    decide_review,
    open_queue,
    review_detail,
)

router = APIRouter(prefix="/moderation", include_in_schema=False)

PAGE_ROLES = frozenset({Role.MODERATOR, Role.ADMIN})
PAGE_SIZE = 50
ACTION_LABELS = {
    "achievement.verify": "подтверждение достижения",
    "achievement.reject": "отклонение достижения",
    "competence.approve": "согласие с оценкой",
    "competence.override": "исправление оценки",
    "competence.send_back": "возврат оценки аналитикам",
}
REVIEW_STATUS_LABELS = {
    ReviewStatus.OPEN: "на проверке",
    ReviewStatus.APPROVED: "согласовано",
    ReviewStatus.OVERRIDDEN: "исправлено модератором",
    ReviewStatus.SENT_BACK: "возвращено аналитикам",
}
DIRECTION_TITLES = {d.code: d.title_ru for d in directions()}
# the shipped bands' titles; a bundle trained with other bands shows its codes as they are
LEVEL_TITLES = {b.code: b.title_ru for b in load_bands().band}


def _ru_datetime(value: dt.datetime | None) -> str:
    return value.strftime("%d.%m.%Y %H:%M") if value else "—"


def _ru_date(value: dt.datetime | None) -> str:
    return value.strftime("%d.%m.%Y") if value else "—"


templates = Jinja2Templates(directory=str(Path(__file__).resolve().parents[2] / "templates"))
templates.env.filters["ru_datetime"] = _ru_datetime
templates.env.filters["ru_date"] = _ru_date
templates.env.globals["label"] = lambda code: (
    RU_LABELS.get(code) or REVIEW_STATUS_LABELS.get(code, code) if code else "—"
)
templates.env.globals["review_status"] = lambda code: REVIEW_STATUS_LABELS.get(code, code)
templates.env.globals["direction_title"] = lambda code: DIRECTION_TITLES.get(code, code)
templates.env.globals["level_title"] = lambda code: LEVEL_TITLES.get(code, code)
templates.env.globals["action_label"] = lambda code: ACTION_LABELS.get(code, code)


def _render(
    request: Request,
    name: str,
    context: dict[str, Any],
    principal: Principal | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    cookie = request.cookies.get(SESSION_COOKIE)
    state = request.app.state.talent
    csrf = state.auth.csrf_token(cookie) if cookie else ""
    return templates.TemplateResponse(
        request,
        f"moderation/{name}",
        {"principal": principal, "csrf": csrf, **context},
        status_code=status_code,
    )


def _message(
    request: Request, heading: str, text: str, status_code: int, principal: Principal | None = None
) -> HTMLResponse:
    return _render(
        request, "message.html", {"heading": heading, "text": text}, principal, status_code
    )


def login_redirect(request: Request) -> RedirectResponse:
    """Where a page asked for without a session sends the browser."""
    target = quote(request.url.path, safe="/")
    return RedirectResponse(f"/moderation/login?next={target}", status.HTTP_303_SEE_OTHER)


def forbidden_page(request: Request) -> HTMLResponse:
    return _message(
        request,
        "Нет доступа",
        "Эта страница доступна только модераторам. Войдите с токеном модератора.",
        status.HTTP_403_FORBIDDEN,
    )


def _safe_next(value: str | None) -> str:
    if value and value.startswith("/moderation/") and "//" not in value and "\\" not in value:
        return value
    return "/moderation/"


def _csrf_ok(request: Request, state_auth: Any, value: str | None) -> bool:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie is None:
        return True  # bearer-token clients (no cookie) cannot be driven by another site
    return bool(state_auth.check_csrf(cookie, value))


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: Annotated[str | None, Query()] = None) -> HTMLResponse:
    return _render(request, "login.html", {"next": _safe_next(next)})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    state: StateDep,
    token: Annotated[str, Form(max_length=512)],
    next: Annotated[str | None, Form(max_length=512)] = None,
) -> Response:
    principal = state.auth.principal(token.strip())
    target = _safe_next(next)
    if principal is None:
        return _render(
            request,
            "login.html",
            {"next": target, "error": "Неверный токен."},
            status_code=status.HTTP_401_UNAUTHORIZED,
        )
    if principal.role not in PAGE_ROLES:
        return _render(
            request,
            "login.html",
            {"next": target, "error": "Этот токен не даёт права модерации."},
            status_code=status.HTTP_403_FORBIDDEN,
        )
    response = RedirectResponse(target, status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        SESSION_COOKIE,
        state.auth.session_cookie(token.strip()),
        max_age=state.settings.session_hours * 3600,
        httponly=True,
        samesite="strict",
        secure=state.settings.secure_cookies,
        path="/moderation",
    )
    return response


@router.post("/logout")
def logout(request: Request, state: StateDep, csrf: Annotated[str, Form()] = "") -> Response:
    response = RedirectResponse("/moderation/login", status.HTTP_303_SEE_OTHER)
    if _csrf_ok(request, state.auth, csrf):
        response.delete_cookie(SESSION_COOKIE, path="/moderation")
    return response


@router.get("/", response_class=HTMLResponse)
def queue_page(
    request: Request,
    principal: ModeratorPageDep,
    store: StoreDep,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    done: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    total, items = pending_queue(store, offset=offset, limit=PAGE_SIZE)
    notice = f"Решение по достижению {done} сохранено." if done else None
    return _render(
        request,
        "queue.html",
        {"items": items, "total": total, "offset": offset, "limit": PAGE_SIZE, "notice": notice},
        principal,
    )


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    principal: ModeratorPageDep,
    store: StoreDep,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> HTMLResponse:
    with store.engine.connect() as conn:
        total, entries = audit_entries(conn, offset=offset, limit=MAX_PAGE_SIZE)
    return _render(
        request,
        "audit.html",
        {"audit": entries, "total": total, "offset": offset, "limit": MAX_PAGE_SIZE},
        principal,
    )


def _detail_page(
    request: Request,
    principal: Principal,
    store: StoreDep,
    achievement_id: str,
    *,
    error: str | None = None,
    comment: str | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    try:
        item = achievement_detail(store, achievement_id)
    except NotFoundError:
        return _message(
            request,
            "Не найдено",
            "Такого достижения нет (возможно, данные участника удалены).",
            status.HTTP_404_NOT_FOUND,
            principal,
        )
    return _render(
        request,
        "achievement.html",
        {"item": item, "audit": item["audit"], "error": error, "comment": comment},
        principal,
        status_code,
    )


@router.get("/achievements/{achievement_id}", response_class=HTMLResponse)
def achievement_page(
    request: Request, achievement_id: str, principal: ModeratorPageDep, store: StoreDep
) -> HTMLResponse:
    return _detail_page(request, principal, store, achievement_id)


@router.post("/achievements/{achievement_id}", response_class=HTMLResponse)
def decide_page(
    request: Request,
    achievement_id: str,
    principal: ModeratorPageDep,
    state: StateDep,
    store: StoreDep,
    rating: RatingDep,
    metrics: MetricsDep,
    request_id: RequestIdDep,
    expected_version: Annotated[int, Form(ge=0)],
    decision: Annotated[AchievementDecision | None, Form()] = None,
    comment: Annotated[str, Form(max_length=MAX_COMMENT_LENGTH)] = "",
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    if not _csrf_ok(request, state.auth, csrf):
        return _message(
            request,
            "Форма устарела",
            "Обновите страницу и повторите решение.",
            status.HTTP_403_FORBIDDEN,
            principal,
        )
    if decision is None:
        return _detail_page(
            request,
            principal,
            store,
            achievement_id,
            error="Выберите решение: подтвердить или отклонить.",
            comment=comment,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    action = f"achievement.{decision.value}"
    try:
        decide_achievement(
            store,
            achievement_id,
            decision,
            expected_version=expected_version,
            comment=comment,
            principal=principal,
            request_id=request_id,
        )
    except ConflictError:
        metrics.decisions.labels(action, "conflict").inc()
        return _detail_page(
            request,
            principal,
            store,
            achievement_id,
            error="Другой модератор уже принял решение по этому достижению. Ниже — текущее "
            "состояние; ваше решение не сохранено.",
            comment=comment,
            status_code=status.HTTP_409_CONFLICT,
        )
    except InvalidInputError:
        return _detail_page(
            request,
            principal,
            store,
            achievement_id,
            error="Чтобы отклонить достижение, напишите комментарий: почему.",
            comment=comment,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    except NotFoundError:
        return _detail_page(request, principal, store, achievement_id)
    metrics.decisions.labels(action, "done").inc()
    rating.invalidate()
    return RedirectResponse(
        f"/moderation/?done={quote(achievement_id, safe='')}", status.HTTP_303_SEE_OTHER
    )


@router.get("/competence", response_class=HTMLResponse)
def competence_queue_page(
    request: Request,
    principal: ModeratorPageDep,
    store: StoreDep,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    done: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    total, items = open_queue(store, offset=offset, limit=PAGE_SIZE)
    notice = "Решение сохранено." if done else None
    return _render(
        request,
        "competence_queue.html",
        {"items": items, "total": total, "offset": offset, "limit": PAGE_SIZE, "notice": notice},
        principal,
    )


def _review_page(
    request: Request,
    principal: Principal,
    store: StoreDep,
    review_id: str,
    *,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    try:
        item = review_detail(store, review_id)
    except NotFoundError:
        return _message(
            request,
            "Не найдено",
            "Такой оценки на проверке нет (возможно, данные участника удалены).",
            status.HTTP_404_NOT_FOUND,
            principal,
        )
    return _render(
        request,
        "competence_item.html",
        {"item": item, "audit": item["audit"], "error": error, **(form or {})},
        principal,
        status_code,
    )


@router.get("/competence/{review_id}", response_class=HTMLResponse)
def competence_review_page(
    request: Request, review_id: str, principal: ModeratorPageDep, store: StoreDep
) -> HTMLResponse:
    return _review_page(request, principal, store, review_id)


@router.post("/competence/{review_id}", response_class=HTMLResponse)
def competence_decide_page(
    request: Request,
    review_id: str,
    principal: ModeratorPageDep,
    state: StateDep,
    store: StoreDep,
    metrics: MetricsDep,
    request_id: RequestIdDep,
    expected_version: Annotated[int, Form(ge=0)],
    decision: Annotated[ReviewDecision | None, Form()] = None,
    value: Annotated[str, Form(max_length=16)] = "",
    comment: Annotated[str, Form(max_length=MAX_COMMENT_LENGTH)] = "",
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    form = {"comment": comment, "value": value}
    if not _csrf_ok(request, state.auth, csrf):
        return _message(
            request,
            "Форма устарела",
            "Обновите страницу и повторите решение.",
            status.HTTP_403_FORBIDDEN,
            principal,
        )
    number: float | None = None
    if value.strip():
        try:
            number = float(value.replace(",", "."))
        except ValueError:
            number = -1.0
        if not 0 <= number <= 100:
            return _review_page(
                request,
                principal,
                store,
                review_id,
                form=form,
                error="Значение должно быть числом от 0 до 100.",
                status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            )
    if decision is None:
        return _review_page(
            request,
            principal,
            store,
            review_id,
            form=form,
            error="Выберите решение.",
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    if decision is not ReviewDecision.OVERRIDE:
        number = None  # the value field is only read for an override
    action = f"competence.{decision.value}"
    try:
        decide_review(
            store,
            review_id,
            decision,
            expected_version=expected_version,
            value=number,
            comment=comment,
            principal=principal,
            request_id=request_id,
        )
    except ConflictError:
        metrics.decisions.labels(action, "conflict").inc()
        return _review_page(
            request,
            principal,
            store,
            review_id,
            form=form,
            error="Оценку уже изменили (новая оценка модели или решение другого модератора). "
            "Ниже — текущее состояние; ваше решение не сохранено.",
            status_code=status.HTTP_409_CONFLICT,
        )
    except InvalidInputError:
        text = (
            "Для исправления укажите значение от 0 до 100 и комментарий."
            if decision is ReviewDecision.OVERRIDE
            else "Напишите комментарий: почему оценка возвращается."
        )
        return _review_page(
            request,
            principal,
            store,
            review_id,
            form=form,
            error=text,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    except NotFoundError:
        return _review_page(request, principal, store, review_id)
    metrics.decisions.labels(action, "done").inc()
    return RedirectResponse("/moderation/competence?done=1", status.HTTP_303_SEE_OTHER)
