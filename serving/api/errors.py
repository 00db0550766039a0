"""Domain errors as HTTP answers, for the routes to raise."""

from __future__ import annotations

from fastapi import HTTPException, status

from serving.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    NotReadyError,
    ServingError,
)


def http_error(exc: ServingError) -> HTTPException:
    """The HTTPException a route raises for a domain error.

    ``InvalidInputError`` becomes a 422 shaped like FastAPI's own validation errors, so clients
    read the field's location the same way in both cases.
    """
    if isinstance(exc, NotFoundError):
        return HTTPException(status.HTTP_404_NOT_FOUND, str(exc))
    if isinstance(exc, ConflictError):
        return HTTPException(
            status.HTTP_409_CONFLICT, {"message": str(exc), "current": exc.current}
        )
    if isinstance(exc, InvalidInputError):
        return HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [{"loc": list(exc.field), "msg": str(exc), "type": "value_error"}],
        )
    if isinstance(exc, NotReadyError):
        return HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, str(exc), headers={"Retry-After": "30"}
        )
    return HTTPException(status.HTTP_400_BAD_REQUEST, str(exc))
