"""The moderators' pages for the competence review queue: the queue in order of worth, one
estimate with its flags and evidence, and the decision form (approve, override, send back)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from serving.api.deps import MetricsDep, ModeratorPageDep, RequestIdDep, StateDep, StoreDep
from serving.api.templating import PAGE_SIZE, csrf_ok, message, render
from serving.auth import Principal
from serving.errors import ConflictError, InvalidInputError, NotFoundError
from serving.schemas.common import MAX_COMMENT_LENGTH
from serving.services.reviews import (
    ReviewDecision,
    decide_review,
    open_queue,
    review_detail,
)

router = APIRouter(prefix="/moderation", include_in_schema=False)


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
    return render(
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
        return message(
            request,
            "Не найдено",
            "Такой оценки на проверке нет (возможно, данные участника удалены).",
            status.HTTP_404_NOT_FOUND,
            principal,
        )
    return render(
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
    # what the moderator typed and chose comes back with an error, so nothing is typed twice;
    # ``error_field`` gets the focus (and aria-invalid) on the re-rendered page
    form: dict[str, Any] = {
        "comment": comment,
        "value": value,
        "decision": decision.value if decision else None,
    }
    if not csrf_ok(request, state.auth, csrf):
        return message(
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
    metrics.decisions.labels(action, "done").inc()
    return RedirectResponse("/moderation/competence?done=1", status.HTTP_303_SEE_OTHER)
