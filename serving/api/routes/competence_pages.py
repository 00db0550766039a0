"""The moderators' pages for the competence review queue: the queue in order of worth, one
estimate with its flags and evidence, and the decision form (approve, override, send back)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from models.competence.codes import ACTIONABLE, FLAG_NAME_RU, FlagCode
from serving.api.deps import MetricsDep, ModeratorPageDep, RequestIdDep, StateDep, StoreDep
from serving.api.templating import PAGE_SIZE, csrf_ok, message, render, stale_form
from serving.auth import Principal
from serving.directions import known_directions
from serving.errors import ConflictError, InvalidInputError, NotFoundError
from serving.schemas.common import ID_PATTERN, MAX_COMMENT_LENGTH
from serving.services.reviews import (
    QueueFilter,
    ReviewDecision,
    decide_review,
    next_open,
    open_queue,
    review_detail,
)

FILTER_KEYS = ("direction", "flag", "participant_id", "updated_from", "updated_to")
# the flags a filter offers: those that open items, in the order of the codes
FLAG_CHOICES = [(f.value, FLAG_NAME_RU[f]) for f in FlagCode if f in ACTIONABLE]


class FilterError(ValueError):
    """A filter value a moderator typed that cannot be used; ``field`` names the input."""

    def __init__(self, field: str, text: str) -> None:
        super().__init__(text)
        self.field = field


def _date(value: str, field: str) -> dt.datetime | None:
    if not value.strip():
        return None
    try:
        return dt.datetime.combine(dt.date.fromisoformat(value.strip()), dt.time())
    except ValueError:
        raise FilterError(field, "Дата должна быть в виде ГГГГ-ММ-ДД.") from None


def parse_filters(raw: dict[str, str]) -> QueueFilter:
    """The queue filter from the page's query parameters (strings as typed)."""
    direction = raw.get("direction", "").strip() or None
    if direction is not None and direction not in known_directions():
        raise FilterError("direction", "Такого направления нет.")
    flag = raw.get("flag", "").strip() or None
    if flag is not None and flag not in dict(FLAG_CHOICES):
        raise FilterError("flag", "Такой причины нет.")
    participant = raw.get("participant_id", "").strip() or None
    if participant is not None and not re.fullmatch(ID_PATTERN, participant):
        raise FilterError(
            "participant_id",
            "Идентификатор участника: латинские буквы, цифры, "
            "«-», «_» и «.», не длиннее 64 знаков.",
        )
    start = _date(raw.get("updated_from", ""), "updated_from")
    end = _date(raw.get("updated_to", ""), "updated_to")
    if end is not None:
        end += dt.timedelta(days=1)  # "по" a date includes that day
    if start is not None and end is not None and end <= start:
        raise FilterError("updated_to", "Дата «по» раньше даты «с».")
    return QueueFilter(direction, flag, participant, start, end)


def _filter_values(request: Request) -> dict[str, str]:
    return {k: request.query_params.get(k, "")[:64] for k in FILTER_KEYS}


def _query(values: dict[str, str], **extra: str) -> str:
    """The query string that keeps a moderator's filters across pages."""
    kept = {k: v for k, v in values.items() if v} | extra
    return f"?{urlencode(kept)}" if kept else ""


router = APIRouter(prefix="/moderation", include_in_schema=False)


@router.get("/competence", response_class=HTMLResponse)
def competence_queue_page(
    request: Request,
    principal: ModeratorPageDep,
    store: StoreDep,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    done: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    values = _filter_values(request)
    context: dict[str, Any] = {
        "filters": values,
        "query": _query(values),
        "flag_choices": FLAG_CHOICES,
        "direction_choices": known_directions(),
        "offset": offset,
        "limit": PAGE_SIZE,
        "notice": "Решение сохранено. Других оценок с такими фильтрами нет." if done else None,
    }
    try:
        filters = parse_filters(values)
    except FilterError as exc:
        return render(
            request,
            "competence_queue.html",
            context | {"items": [], "total": 0, "error": str(exc), "error_field": exc.field},
            principal,
            status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    total, items = open_queue(store, offset=offset, limit=PAGE_SIZE, filters=filters)
    return render(
        request, "competence_queue.html", context | {"items": items, "total": total}, principal
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
        return message(
            request,
            "Не найдено",
            "Такой оценки на проверке нет (возможно, данные участника удалены).",
            status.HTTP_404_NOT_FOUND,
            principal,
        )
    values = _filter_values(request)
    notice = (
        "Решение сохранено. Это следующая оценка в очереди."
        if request.query_params.get("done")
        else None
    )
    return render(
        request,
        "competence_item.html",
        {
            "item": item,
            "audit": item.audit,
            "error": error,
            "notice": notice,
            "query": _query(values),
            **(form or {}),
        },
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
    # what the moderator typed and chose comes back with an error, so nothing is typed twice;
    # ``error_field`` gets the focus (and aria-invalid) on the re-rendered page
    form: dict[str, Any] = {
        "comment": comment,
        "value": value,
        "decision": decision.value if decision else None,
    }
    if not csrf_ok(request, state.auth, csrf):
        return stale_form(request, principal)
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
                form=form | {"error_field": "value"},
                error="Значение должно быть числом от 0 до 100.",
                status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            )
    if decision is None:
        return _review_page(
            request,
            principal,
            store,
            review_id,
            form=form | {"error_field": "decision"},
            error="Выберите решение.",
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    if decision is not ReviewDecision.OVERRIDE:
        number = None  # the value field is only read for an override
    action = f"competence.{decision.value}"
    try:
        with metrics.decision(action):
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
    except InvalidInputError as exc:
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
            form=form | {"error_field": str(exc.field[-1])},
            error=text,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    except NotFoundError:
        return _review_page(request, principal, store, review_id)
    values = _filter_values(request)
    try:
        following = next_open(store, parse_filters(values), skip=review_id)
    except FilterError:
        values, following = {}, next_open(store, QueueFilter(), skip=review_id)
    if following is not None:  # straight to the next item of the same (filtered) queue
        return RedirectResponse(
            f"/moderation/competence/{following}{_query(values, done='1')}",
            status.HTTP_303_SEE_OTHER,
        )
    return RedirectResponse(
        f"/moderation/competence{_query(values, done='1')}", status.HTTP_303_SEE_OTHER
    )
