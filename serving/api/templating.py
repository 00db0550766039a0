"""Server-rendered pages of the moderators' workspace: the Jinja2 environment (Russian labels,
date formats) and the helpers every page route uses (render, message pages, CSRF, login
redirect)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from footprint.directions import directions
from footprint.enums import RU_LABELS
from models.competence.config import load_bands
from serving.api.deps import SESSION_COOKIE
from serving.auth import Principal, Role
from serving.services.reviews import ReviewStatus

PAGE_ROLES = frozenset({Role.MODERATOR, Role.ADMIN})
PAGE_SIZE = 50
ACTION_LABELS = {
    "achievement.verify": "подтверждение достижения",
    "achievement.reject": "отклонение достижения",
    "competence.approve": "согласие с оценкой",
    "competence.override": "исправление оценки",
    "competence.send_back": "возврат оценки аналитикам",
    "audit.rekey": "перевод журнала на случайные ключи",
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


templates = Jinja2Templates(directory=str(Path(__file__).resolve().parents[1] / "templates"))
templates.env.filters["ru_datetime"] = _ru_datetime
templates.env.filters["ru_date"] = _ru_date
templates.env.globals["label"] = lambda code: (
    RU_LABELS.get(code) or REVIEW_STATUS_LABELS.get(code, code) if code else "—"
)
templates.env.globals["review_status"] = lambda code: REVIEW_STATUS_LABELS.get(code, code)
templates.env.globals["direction_title"] = lambda code: DIRECTION_TITLES.get(code, code)
templates.env.globals["level_title"] = lambda code: LEVEL_TITLES.get(code, code)
templates.env.globals["action_label"] = lambda code: ACTION_LABELS.get(code, code)


def render(
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


def message(
    request: Request, heading: str, text: str, status_code: int, principal: Principal | None = None
) -> HTMLResponse:
    return render(
        request, "message.html", {"heading": heading, "text": text}, principal, status_code
    )


def stale_form(request: Request, principal: Principal) -> HTMLResponse:
    """The answer to a decision form whose CSRF token does not match the session (403)."""
    return message(
        request,
        "Форма устарела",
        "Обновите страницу и повторите решение.",
        status.HTTP_403_FORBIDDEN,
        principal,
    )


def login_redirect(request: Request) -> RedirectResponse:
    """Where a page asked for without a session sends the browser."""
    target = quote(request.url.path, safe="/")
    return RedirectResponse(f"/moderation/login?next={target}", status.HTTP_303_SEE_OTHER)


def forbidden_page(request: Request) -> HTMLResponse:
    return message(
        request,
        "Нет доступа",
        "Эта страница доступна только модераторам. Войдите с токеном модератора.",
        status.HTTP_403_FORBIDDEN,
    )


def safe_next(value: str | None) -> str:
    if value and value.startswith("/moderation/") and "//" not in value and "\\" not in value:
        return value
    return "/moderation/"


def csrf_ok(request: Request, state_auth: Any, value: str | None) -> bool:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie is None:
        return True  # bearer-token clients (no cookie) cannot be driven by another site
    return bool(state_auth.check_csrf(cookie, value))
