"""Every recommender on the simulator's temporal split of a world simulated in memory.

Usage::

    flock /work/bench.lock uv run python bench/recommend_quality.py --participants 3000 --seed 1

Prints the table of ``training.recommend.evaluate.evaluate_simulator`` (default ``SimSplitConfig``)
and the command; used to compare code versions on the same world and seed (docs/benchmarks.md).
With ``--select`` the table with the default settings is followed by a selection on the
validation cut-off a year before the first test cut-off (``training.select_simulator``, the
default ``SimSelectionConfig`` grids), as ``talent train`` does with ``[recommend.select]
enabled = true``: the chosen settings, their validation scores, the selection's time and the test
rows of the models whose settings it chose (the others do not change).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from typing import Any

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
    print("$", shlex.join(["uv", "run", "python", "bench/recommend_quality.py", *sys.argv[1:]]))

    def table(title: str, settings: dict[str, Any], cfg: SimSplitConfig) -> dict[str, Any]:
        t = time.perf_counter()
        report = evaluate_simulator(sim.snapshot, cfg, settings)
        print(f"-- {title} (test split {time.perf_counter() - t:.0f} s)")
        for model, row in report.table.items():
            print(f"{model:<18}", "  ".join(f"{k} {v:.4f}" for k, v in row.items()))
        return {"table": report.table, "info": report.info}

    out = {"defaults": table("default settings", {}, split)}
    if args.select:
        from training.select_simulator import SimSelectionConfig, select_sim_settings

        sel = select_sim_settings(sim.snapshot, split, {}, SimSelectionConfig(enabled=True))
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
        # only the models whose settings the selection sets are scored again
        changed = tuple(m for m in split.models if m in sel.settings)
        out["selected"] = table(
            "settings selected on validation",
            dict(sel.settings),
            split.model_copy(update={"models": changed}),
        )
    print(f"wall time {time.perf_counter() - started:.0f} s, load average {os.getloadavg()[0]:.1f}")
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump(out if args.select else out["defaults"], f, indent=1)


if __name__ == "__main__":
    main()
