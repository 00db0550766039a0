"""Every recommender on the simulator's temporal split of a world simulated in memory.

Usage::

    flock /work/bench.lock uv run python bench/recommend_quality.py --participants 3000 --seed 1

Prints the table of ``training.recommend.evaluate.evaluate_simulator`` (default ``SimSplitConfig``)
and the command; used to compare code versions on the same world and seed (docs/benchmarks.md).
With ``--select`` the models' settings are first chosen on the validation cut-off a year before
the first test cut-off (``training.select_simulator``, the default ``SimSelectionConfig`` grids),
as ``talent train`` does with ``[recommend.select] enabled = true``; the chosen settings, their
validation scores and the selection's time are printed before the test table.
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
    parser.add_argument(
        "--select", action="store_true", help="choose the settings on validation first"
    )
    parser.add_argument(
        "--models", default=None, help="comma-separated registered models (default: all)"
    )
    args = parser.parse_args()
    from simulator import SimulationConfig
    from training.recommend.evaluate import SimSplitConfig, evaluate_simulator
    from training.simworld import simulate_world

    started = time.perf_counter()
    sim = simulate_world(
        SimulationConfig(participants=args.participants, seasons=args.seasons, seed=args.seed)
    )
    split = SimSplitConfig(**({"models": tuple(args.models.split(","))} if args.models else {}))
    settings = {}
    print("$", shlex.join(["uv", "run", "python", "bench/recommend_quality.py", *sys.argv[1:]]))
    if args.select:
        from training.select_simulator import SimSelectionConfig, select_sim_settings

        sel = select_sim_settings(sim.snapshot, split, {}, SimSelectionConfig(enabled=True))
        settings = sel.settings
        print(
            f"selected on {sel.validation_cutoff:%Y-%m-%d} (first test cut-off "
            f"{sel.test_cutoff:%Y-%m-%d}) in {sel.seconds:.0f} s:",
            json.dumps(sel.chosen),
        )
        print(
            "validation ndcg@10:", json.dumps({m: round(v, 4) for m, v in sel.validation.items()})
        )
        for note in sel.notes:
            print("note:", note)
    evaluated = time.perf_counter()
    report = evaluate_simulator(sim.snapshot, split, settings)
    for model, row in report.table.items():
        print(f"{model:<18}", "  ".join(f"{k} {v:.4f}" for k, v in row.items()))
    print(
        f"wall time {time.perf_counter() - started:.0f} s (test split "
        f"{time.perf_counter() - evaluated:.0f} s), load average {os.getloadavg()[0]:.1f}"
    )
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump({"table": report.table, "info": report.info}, f, indent=1)


if __name__ == "__main__":
    main()
