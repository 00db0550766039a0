"""Progress bars for steps that take more than a few seconds: one library (rich), one switch.

Bars go to stderr, so a command's result on stdout stays clean; they draw only on a terminal
(rich prints nothing for a live display elsewhere), and ``set_enabled(False)`` (the CLI's
``--quiet``) turns them all off.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

_enabled = True


def set_enabled(enabled: bool) -> None:
    """Turn every progress bar of this process on or off."""
    global _enabled
    _enabled = enabled


def enabled() -> bool:
    return _enabled


@dataclass
class Bar:
    """A running bar: ``advance`` moves it, ``note`` shows what the step is doing now."""

    _progress: Progress | None
    _task: TaskID | None

    def advance(self, n: float = 1) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, n)

    def note(self, text: str) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, note=text)


@contextmanager
def progress_bar(
    total: float | None, description: str, *, show: bool = True, transient: bool = False
) -> Iterator[Bar]:
    """A bar of ``total`` steps labelled ``description``; a no-op when off or ``show`` is false."""
    if not (show and _enabled):
        yield Bar(None, None)
        return
    console = Console(file=sys.stderr)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[note]}"),
    )
    with Progress(*columns, console=console, transient=transient) as progress:
        task = progress.add_task(description, total=total, note="")
        yield Bar(progress, task)
