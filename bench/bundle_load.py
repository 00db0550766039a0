"""What loading and dropping a recommender file costs a serving worker: the time, and the longest
the loading thread keeps the GIL from the others.

Usage::

    uv run python bench/bundle_load.py --bundle /work/bench-data/load/s4/mar

A second thread wakes every millisecond and records how late it woke: while another thread
holds the GIL it cannot run, so its longest waits are the longest stretches a request of the
worker would have waited. The file is loaded once first (imports, page cache), then measured:
the load, the first request after it and the same request again (``recommend_records``, one
participant, ``--as-of``: the first builds the per-dataset lookups), and dropping the model.

For a "before" figure, run it from a worktree of older code: ``cd /tmp/old && uv run python
/work/main/bench/bundle_load.py ...`` imports that worktree's packages.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.artifacts import read_latest

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


class Ticker:
    """A thread that sleeps 1 ms at a time and records how late each wake-up came."""

    def __init__(self) -> None:
        self.waits: list[tuple[float, float]] = []  # (when, seconds since the previous tick)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        last = time.perf_counter()
        while not self._stop.is_set():
            time.sleep(0.001)
            now = time.perf_counter()
            self.waits.append((now, now - last))
            last = now

    def __enter__(self) -> Ticker:
        self._thread.start()
        time.sleep(0.1)
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(0.1)
        self._stop.set()
        self._thread.join()

    def longest_ms(self, start: float, end: float, n: int = 3) -> list[float]:
        inside = sorted((w for t, w in self.waits if start <= t <= end + 0.05), reverse=True)
        return [round(1000 * w, 1) for w in inside[:n]]


def _timed(ticker: Ticker, work: Callable[[], object]) -> tuple[object, float, list[float]]:
    start = time.perf_counter()
    out = work()
    end = time.perf_counter()
    return out, end - start, ticker.longest_ms(start, end)


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--bundle",
        type=Path,
        required=True,
        help="a recommender file, or a folder whose latest.txt names one",
    )
    parser.add_argument("--as-of", default="2026-03-01", help="the requests' instant")
    parser.add_argument(
        "--snapshot",
        type=Path,
        default=None,
        help="a footprint snapshot standing for the live store: the requests "
        "are answered from its dataset (a bundle holds parameters only); "
        "without it only the load is measured",
    )
    args = parser.parse_args(argv)
    from models.recommend.base import Recommender

    path = args.bundle
    if path.is_dir():
        path = read_latest(path)
    as_of = dt.datetime.fromisoformat(args.as_of)
    command = shlex.join(
        [
            "uv",
            "run",
            "python",
            "bench/bundle_load.py",
            *(argv if argv is not None else sys.argv[1:]),
        ]
    )
    print(
        f"$ {command}\n{path.name}: {path.stat().st_size / 1e6:.0f} MB, load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    warm: Any = Recommender.load(path)  # imports and the page cache, not measured
    del warm
    out: dict[str, object] = {"command": command, "bundle": str(path)}
    with Ticker() as ticker:
        model, seconds, longest = _timed(ticker, lambda: Recommender.load(path))
        out["load_s"], out["load_longest_gil_waits_ms"] = round(seconds, 3), longest
        holder: list[Any] = [model]
        del model
        if args.snapshot is not None:
            from footprint.snapshot import load_snapshot
            from models.recommend.dataset import dataset_from_snapshot

            snap = load_snapshot(args.snapshot)
            # the live dataset is the service's, built once per store generation: not measured
            data = dataset_from_snapshot(snap, snap.as_of, ability=holder[0].ability_model or False)
            pid = data.participant_ids[0]
            for label in ("first_request", "second_request"):
                _, seconds, _ = _timed(
                    ticker,
                    lambda: holder[0].recommend_records([pid], k=10, as_of=as_of, dataset=data),
                )
                out[f"{label}_ms"] = round(1000 * seconds, 1)
        start = time.perf_counter()
        holder.clear()  # the last reference: the model is freed here
        end = time.perf_counter()
        out["drop_ms"] = round(1000 * (end - start), 1)
        out["drop_longest_gil_waits_ms"] = ticker.longest_ms(start, end)
    for key, value in out.items():
        if key not in ("command", "bundle"):
            print(f"{key:<28}{value}")
    return out


if __name__ == "__main__":
    main()
