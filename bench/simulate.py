"""Benchmark: simulate a world, print wall time, peak memory, rows written and realism figures.

    uv run python bench/simulate.py [--participants 250000] [--seasons 4] [--seed 0]
                                    [--format parquet] [--messy] [--chunk-size 250000]
                                    [--out bench/out/simulate]

Wall time and peak RSS cover the simulation and writing only (measured before the realism figures
are computed, which read the files back). The issue's target: 250,000 participants over 4 seasons
in under 3 minutes with peak memory under 6 GiB on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shlex
import sys
import time
from pathlib import Path

from simulator import SimulationConfig, simulate
from simulator.stats import world_stats


def _peak_rss_gib() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--participants", type=int, default=250_000)
    ap.add_argument("--seasons", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--format", choices=["csv", "jsonl", "parquet"], default="parquet")
    ap.add_argument("--messy", action="store_true")
    ap.add_argument("--chunk-size", type=int, default=250_000)
    ap.add_argument("--out", type=Path, default=Path("bench/out/simulate"))
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args()

    config = SimulationConfig(
        participants=args.participants,
        seasons=args.seasons,
        seed=args.seed,
        format=args.format,
        messy=args.messy,
        chunk_size=args.chunk_size,
    )
    start = time.perf_counter()
    summary = simulate(config, args.out, progress=not args.no_progress)
    wall = time.perf_counter() - start
    rss = _peak_rss_gib()

    print(f"command: uv run python {shlex.join(sys.argv)}")
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} cores, python {platform.python_version()}")
    print(
        f"world: {config.participants:,} participants, {config.seasons} seasons, "
        f"seed {config.seed}, format {config.format}, messy {config.messy}"
    )
    print(f"wall time: {wall:.1f} s")
    print(f"peak RSS: {rss:.2f} GiB")
    print(f"achievement records written (all sources): {summary.achievements:,}")
    for path, rows in sorted(summary.rows.items()):
        print(f"  {path}: {rows:,}")
    if config.messy:
        print("injected mess: " + ", ".join(f"{k}={v}" for k, v in summary.messy.items()))
    else:
        print("realism figures:")
        for line in world_stats(args.out).lines():
            print(f"  {line}")


if __name__ == "__main__":
    main()
