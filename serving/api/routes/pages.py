"""The moderators' web pages: login, the verification of pending achievements and the audit
trail (server-rendered, Russian, usable with the keyboard alone).

Login exchanges a moderator's token for an HttpOnly, SameSite=Strict session cookie; every form
carries a CSRF token bound to that cookie. The pages call the same service functions as the
moderation API, so a decision made here is audited and conflict-checked the same way.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from serving.api.deps import (
    SESSION_COOKIE,
    MetricsDep,
    ModeratorPageDep,
    RatingDep,
    RequestIdDep,
    StateDep,
    StoreDep,
    loopback_peer,
)
from serving.api.templating import (
    PAGE_ROLES,
    PAGE_SIZE,
    csrf_ok,
    message,
    render,
    safe_next,
    stale_form,
)
from serving.auth import Principal
from serving.errors import ConflictError, InvalidInputError, NotFoundError
from serving.schemas.common import MAX_COMMENT_LENGTH, MAX_PAGE_SIZE
from serving.services.audit import audit_entries
from serving.services.moderation import (
    AchievementDecision,
    achievement_detail,
    decide_achievement,
    pending_queue,
)
from serving.services.sessions import revoke_session

router = APIRouter(prefix="/moderation", include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: Annotated[str | None, Query()] = None) -> HTMLResponse:
    return render(request, "login.html", {"next": safe_next(next)})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    state: StateDep,
    token: Annotated[str, Form(max_length=512)],
    next: Annotated[str | None, Form(max_length=512)] = None,
) -> Response:
    principal = state.auth.principal(token.strip(), loopback=loopback_peer(request))
    target = safe_next(next)
    if principal is None:
        return render(
            request,
            "login.html",
            {"next": target, "error": "Неверный токен."},
            status_code=status.HTTP_401_UNAUTHORIZED,
        )
    if principal.role not in PAGE_ROLES:
        return render(
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
    if csrf_ok(request, state.auth, csrf):
        cookie = request.cookies.get(SESSION_COOKIE, "")
        expires_at = state.auth.session_expiry(cookie)
        if expires_at is not None:
            # the cookie's copies (another tab, a proxy's log) die with it, not at its expiry
            revoke_session(state.store, cookie, expires_at)
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
    return render(
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
    return render(
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
    decision: str | None = None,
    error_field: str | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    try:
        item = achievement_detail(store, achievement_id)
    except NotFoundError:
        return message(
            request,
            "Не найдено",
            "Такого достижения нет (возможно, данные участника удалены).",
            status.HTTP_404_NOT_FOUND,
            principal,
        )
    return render(
        request,
        "achievement.html",
        {
            "item": item,
            "audit": item.audit,
            "error": error,
            "comment": comment,
            # the choice and the text come back with an error; the field in error has the focus
            "decision": decision,
            "error_field": error_field,
        },
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
    if not csrf_ok(request, state.auth, csrf):
        return stale_form(request, principal)
    if decision is None:
        return _detail_page(
            request,
            principal,
            store,
            achievement_id,
            error="Выберите решение: подтвердить или отклонить.",
            comment=comment,
            error_field="decision",
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    action = f"achievement.{decision.value}"
    try:
        with metrics.decision(action):
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
        return _detail_page(
            request,
            principal,
            store,
            achievement_id,
            error="Другой модератор уже принял решение по этому достижению. Ниже — текущее "
            "состояние; ваше решение не сохранено.",
            comment=comment,
            decision=decision.value,
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
            decision=decision.value,
            error_field="comment",
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    except NotFoundError:
        return _detail_page(request, principal, store, achievement_id)
    rating.refresh()
    return RedirectResponse(
        f"/moderation/?done={quote(achievement_id, safe='')}", status.HTTP_303_SEE_OTHER
    )
