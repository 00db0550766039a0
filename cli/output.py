"""What every command prints and how it exits: one ``--json`` option, one JSON writer, one way
to report an error, one table of exit codes (docs/operations.md, "The command line").

With ``--json`` a command prints its result as one JSON document on stdout (and nothing else on
stdout; logs and progress stay on stderr); an error is then a JSON object too, with the stable
``code`` the API uses for the same condition (``not_found`` for an unknown participant), so a
script reads the same codes from the CLI and the service.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import enum
import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Final

import typer
from rich.console import Console

from core.errors import TalentError, UnknownIdError

EXIT_OK: Final = 0
EXIT_REFUSED: Final = 1
"""A decision, not a failure: a promotion gate refused a challenger, a file of a folder was
refused by ingestion."""
EXIT_ERROR: Final = 2
"""Bad input, configuration, store or usage (click's own usage errors exit 2 as well)."""
EXIT_NOT_FOUND: Final = 3
"""An id the store does not hold (the API answers 404 ``not_found`` for the same request)."""

CODE_NOT_FOUND: Final = "not_found"
CODE_ERROR: Final = "error"

JsonOpt = Annotated[
    bool,
    typer.Option(
        "--json", help="Print the result as one JSON document on stdout (errors too, with a code)"
    ),
]


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data: pydantic models, dataclasses, frames, numpy scalars,
    paths, instants and enums become their plain form; non-finite floats become None."""
    if hasattr(value, "model_dump"):
        return plain(value.model_dump(mode="json"))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    if hasattr(value, "to_dict") and hasattr(value, "columns"):  # a pandas frame
        return plain(value.to_dict(orient="records"))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if getattr(value, "ndim", 0) and hasattr(value, "tolist"):  # numpy arrays
        return plain(value.tolist())
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return plain(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    try:
        if value != value:  # pandas NA / NaT
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def emit_json(data: Any) -> None:
    """Print ``data`` as one JSON document on stdout (UTF-8 text, not escaped)."""
    typer.echo(json.dumps(plain(data), ensure_ascii=False))


def error_code(exc: BaseException) -> tuple[str, int]:
    """The stable code and exit code of an error."""
    if isinstance(exc, UnknownIdError):
        return CODE_NOT_FOUND, EXIT_NOT_FOUND
    return CODE_ERROR, EXIT_ERROR


def fail(exc: Exception, *, as_json: bool = False) -> typer.Exit:
    """Report ``exc`` (a line on stderr; with ``--json`` also an error object on stdout) and
    return the exit to raise: ``raise fail(exc, as_json=json_out) from exc``."""
    code, exit_code = error_code(exc)
    typer.secho(f"error[{code}]: {exc}", err=True, fg=typer.colors.RED)
    if as_json:
        error: dict[str, Any] = {"code": code, "detail": str(exc)}
        if isinstance(exc, UnknownIdError):
            error["ids"] = list(exc.ids)
        emit_json({"error": error})
    return typer.Exit(code=exit_code)


__all__ = [
    "EXIT_ERROR",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_REFUSED",
    "JsonOpt",
    "TalentError",
    "emit_json",
    "error_code",
    "fail",
    "plain",
    "results_only",
    "working",
]


@contextlib.contextmanager
def results_only(console: Console, on: bool) -> Iterator[None]:
    """Silence a command's human output (its rich tables) while ``on``, so that with ``--json``
    only the JSON document reaches stdout; errors still go to stderr through :func:`fail`."""
    previous = console.quiet
    console.quiet = previous or on
    try:
        yield
    finally:
        console.quiet = previous


@contextlib.contextmanager
def working(description: str) -> Iterator[None]:
    """An indeterminate bar with the elapsed time on stderr while a long step runs (training,
    evaluation, tuning, a rating): only on a terminal, off under ``--quiet``
    (:func:`footprint.progress.progress_bar`). Steps that know their size draw their own bar."""
    from footprint.progress import progress_bar

    with progress_bar(None, description, transient=True):
        yield
