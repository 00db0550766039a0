"""Progress bars for steps that take more than a few seconds: one library (rich), one switch.

Bars go to stderr, so a command's result on stdout stays clean; they draw only on a terminal
(a pipe or a log file gets none), and ``set_enabled(False)`` (the CLI's ``--quiet``) turns them
all off. A step knows its size wherever it can (files of a folder, frames of a snapshot, cut-offs,
the pipeline's stages, trials), so the bar shows how far it is and how long is left; a step
inside another one draws a second line under its parent's.
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

    def reached(self, completed: float) -> None:
        """Set how many steps are done (a resumed job starts part-way)."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=completed)

    def note(self, text: str) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, note=text)


def _console() -> Console:
    """Where bars draw (stderr); a function so a test can hand in a terminal of its own."""
    return Console(file=sys.stderr)


_live: Progress | None = None
"""The display a bar is drawing on: a bar started inside another one is a second line of the
same display (rich allows one live display at a time), removed when its step ends."""


@contextmanager
def progress_bar(
    total: float | None, description: str, *, show: bool = True, transient: bool = False
) -> Iterator[Bar]:
    """A bar of ``total`` steps labelled ``description`` (``None``: no known size, the elapsed
    time only); a no-op when off, when ``show`` is false or when stderr is not a terminal."""
    global _live
    if not (show and _enabled):
        yield Bar(None, None)
        return
    if _live is not None:
        outer = _live
        task = outer.add_task(description, total=total, note="")
        try:
            yield Bar(outer, task)
        finally:
            outer.remove_task(task)
        return
    console = _console()
    if not console.is_terminal:  # a log file or a pipe gets no bar (and no final frame)
        yield Bar(None, None)
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[note]}"),
    )
    with Progress(*columns, console=console, transient=transient) as progress:
        _live = progress
        try:
            task = progress.add_task(description, total=total, note="")
            yield Bar(progress, task)
        finally:
            _live = None
