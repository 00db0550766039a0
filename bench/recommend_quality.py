"""Every recommender on the simulator's temporal split of a world simulated in memory.

Usage::

    flock /work/bench.lock uv run python bench/recommend_quality.py --participants 3000 --seed 1

Prints the table of ``training.recommend.evaluate.evaluate_simulator`` (default ``SimSplitConfig``)
and the
command; used to compare code versions on the same world and seed (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=3000)
    parser.add_argument("--seasons", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", default=None, help="write the table as JSON here")
    args = parser.parse_args()
    from simulator import SimulationConfig
    from training.recommend.evaluate import SimSplitConfig, evaluate_simulator
    from training.simworld import simulate_world

    started = time.perf_counter()
    sim = simulate_world(
        SimulationConfig(participants=args.participants, seasons=args.seasons, seed=args.seed)
    )
    report = evaluate_simulator(sim.snapshot, SimSplitConfig())
    print("$", shlex.join(["uv", "run", "python", "bench/recommend_quality.py", *sys.argv[1:]]))
    for model, row in report.table.items():
        print(f"{model:<18}", "  ".join(f"{k} {v:.4f}" for k, v in row.items()))
    print(f"wall time {time.perf_counter() - started:.0f} s, load average {os.getloadavg()[0]:.1f}")
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump({"table": report.table, "info": report.info}, f, indent=1)


if __name__ == "__main__":
    main()
