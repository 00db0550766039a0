"""The participant's portfolio (platform, on the participant's behalf), its signed exports, and
the public keys and verify endpoint anyone can use without a token (docs/portfolio.md)."""

from __future__ import annotations

import math
import time
from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, HTTPException, Path, Query, Request, status
from fastapi.responses import JSONResponse, Response

from core.instants import utc_now
from serving.api.deps import PlatformDep, StateDep, model_work
from serving.api.templating import templates
from serving.schemas.common import ID_PATTERN, Message, rounded
from serving.schemas.portfolio import (
    Portfolio,
    PublicKeyOut,
    SignedPortfolio,
    VerifyIn,
    VerifyOut,
)
from serving.services import portfolio as service
from serving.services.portfolio_pdf import PDF_MEDIA_TYPE, render_pdf

router = APIRouter(prefix="/v1", tags=["portfolio"])
IdPath = Annotated[str, Path(pattern=ID_PATTERN)]
Format = Literal["json", "html", "pdf"]
GoalQuery = Annotated[
    str | None,
    Query(
        max_length=64,
        description=(
            "The participant's goal for the planned trajectory (`python:advanced`, "
            "`robotics:prize_winner`, `engineering:70`); without it, the next competence band in "
            "the strongest verified direction"
        ),
    ),
]
HTML = {"text/html": {"schema": {"type": "string"}}}
PDF = {PDF_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}
PAGE = "portfolio/page.html"


def _page(
    request: Request,
    content: dict[str, Any],
    signed: dict[str, Any] | None,
    format: Format,
    status_code: int = status.HTTP_200_OK,
) -> Response:
    if format == "pdf":
        html = templates.get_template(PAGE).render(p=content, signed=signed)
        code = signed["document"]["verification_code"] if signed else None
        name = f"portfolio-{content['participant_id']}{'-' + code if code else ''}.pdf"
        return Response(
            render_pdf(html),
            status_code=status_code,
            media_type=PDF_MEDIA_TYPE,
            headers={"Content-Disposition": f'inline; filename="{name}"'},
        )
    return templates.TemplateResponse(
        request, PAGE, {"p": content, "signed": signed}, status_code=status_code
    )


@router.get(
    "/participants/{participant_id}/portfolio",
    summary="The participant's portfolio (platform)",
    description=(
        "Verified achievements by direction and season, contest diplomas, competence with "
        "intervals and what it rests on (verified records only), pending items listed as "
        "pending, and the planned trajectory toward the participant's goal (a forecast). "
        "`format=html` gives the printable Russian page, `format=pdf` the same page as PDF "
        "(both unsigned)."
    ),
    response_model=Portfolio,
    responses={
        200: {"content": HTML | PDF},
        404: {"model": Message, "description": "no such participant"},
        422: {"model": Message, "description": "a malformed goal"},
    },
)
@model_work
def portfolio(
    participant_id: IdPath,
    request: Request,
    _: PlatformDep,
    state: StateDep,
    format: Format = "json",
    goal: GoalQuery = None,
) -> Any:
    content = service.build_portfolio(
        state.competence, state.diplomas, participant_id, state.recommend, goal
    )
    if format != "json":
        return _page(request, content, None, format)
    return Portfolio.model_validate(content)


@router.post(
    "/participants/{participant_id}/portfolio/exports",
    summary="A signed export of the portfolio with a verification code (platform)",
    description=(
        "The document is signed with Ed25519 over its RFC 8785 canonical JSON; check it offline "
        "with the key from `/v1/portfolio/keys` or at `/v1/portfolio/verify`. `format=html` "
        "gives the printable page with the code, `format=pdf` the same page as PDF (the JSON "
        "document is what is signed)."
    ),
    status_code=status.HTTP_201_CREATED,
    responses={
        201: {"model": SignedPortfolio, "content": HTML | PDF},
        404: {"model": Message, "description": "no such participant"},
        422: {"model": Message, "description": "a malformed goal"},
    },
)
@model_work
def export(
    participant_id: IdPath,
    request: Request,
    _: PlatformDep,
    state: StateDep,
    format: Format = "json",
    goal: GoalQuery = None,
) -> Response:
    content = service.build_portfolio(
        state.competence, state.diplomas, participant_id, state.recommend, goal
    )
    # the document signed is the one the JSON route shows: scores rounded by the API's rule
    signed = service.export(state.store, state.signer, rounded(content), utc_now())
    if format != "json":
        return _page(request, content, signed, format, status.HTTP_201_CREATED)
    return JSONResponse(signed, status_code=status.HTTP_201_CREATED)


@router.get("/portfolio/keys", summary="Public keys that verify portfolios (no token)")
def keys(state: StateDep) -> list[PublicKeyOut]:
    return [PublicKeyOut.model_validate(k.as_dict()) for k in state.signer.public_keys.values()]


@router.post(
    "/portfolio/verify",
    summary="Check a verification code or a signed document (no token; rate-limited)",
    description=(
        "A code alone yields `genuine`, `superseded` (a moderator rejected an item it showed) "
        "or `unknown`, and the document's hash; nothing more. A whole document is checked "
        "against its signature first (`bad_signature`). Every answer takes at least the same "
        "time, so unknown codes answer as fast as known ones."
    ),
    responses={429: {"model": Message, "description": "too many checks from this address"}},
)
async def verify(body: VerifyIn, request: Request, state: StateDep) -> VerifyOut:
    started = time.perf_counter()
    client = request.client.host if request.client is not None else "unknown"
    wait = state.verify_limiter.wait_seconds(client)
    if wait > 0:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too_many_requests: слишком много проверок с этого адреса, повторите позже",
            headers={"Retry-After": str(math.ceil(wait))},
        )

    def check() -> dict[str, Any]:
        if body.code is not None:
            return service.verify_code(state.store, body.code)
        return service.verify_document(
            state.store, state.signer, {"document": body.document, "signature": body.signature}
        )

    try:
        result = await anyio.to_thread.run_sync(check)
    finally:
        remaining = state.settings.portfolio_verify_floor_ms / 1000 - (
            time.perf_counter() - started
        )
        if remaining > 0:
            await anyio.sleep(remaining)
    return VerifyOut.model_validate(result)
