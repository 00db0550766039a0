"""Benchmark: competence estimation on a simulated world whose true competence is known.

    uv run python bench/competence.py --snapshot /work/bench-data/snapshots/e7d5db9031d66f8b \
        --truth /work/bench-data/sim250k/truth/competence.parquet

Prints, for the snapshot's held-out cut-off (the last one with a full label window):

1. recovery of the truth: Spearman of the estimate with the true competence (as population
   percentiles) by number of records (0, 1, 2-4, 5+), next to the baselines;
2. prediction of the next window: Spearman with the ability shown there and with the plain mean
   percentile there, model vs rule-based rating points, number of achievements, mean percentile;
3. interval honesty: share of 90% intervals that contain the true population percentile;
4. speed: features of every participant (statistics + per-participant function) with peak memory,
   measured in a fresh process; calibration + training of all directions; one participant's
   features and estimate online (median over a sample) through the same code.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import resource
import shlex
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd

from footprint.columns import Columns as C
from footprint.snapshot import load_snapshot


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _features_job(snapshot_path: str, cutoff: str, queue: mp.Queue) -> None:
    """In a fresh process: statistics, calibration, features of everyone at ``cutoff``."""
    from features.activity_stats import compute_activity_stats
    from features.calibration import CalibrationConfig
    from features.participant import participant_features
    from training.competence.cutoffs import fit_at

    snap = load_snapshot(Path(snapshot_path))
    cut = dt.datetime.fromisoformat(cutoff)
    t = time.perf_counter()
    stats, cal = fit_at(snap, cut, CalibrationConfig())
    calibration_s = time.perf_counter() - t
    t = time.perf_counter()
    stats = compute_activity_stats(snap, cut).with_difficulty(cal.item_difficulty(stats))
    feats = participant_features(snap.achievements, snap.participants, stats, cut, cal)
    features_s = time.perf_counter() - t
    queue.put(
        {
            "calibration_s": calibration_s,
            "features_s": features_s,
            "rows": len(feats),
            "participants": feats[C.PARTICIPANT_ID].nunique(),
            "peak_gib": _peak_rss_gib(),
        }
    )


def _mean(values: list[float]) -> float:
    """Mean of the finite values; NaN when there is none (a baseline undefined in a bucket)."""
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def _online(bundle, snap, cutoff, n: int, seed: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    ach, parts = snap.achievements, snap.participants
    groups = ach.groupby(ach[C.PARTICIPANT_ID].astype(object)).indices
    pids = parts[C.PARTICIPANT_ID].astype(object).to_numpy()
    rng = np.random.default_rng(seed)
    out = {}
    for evidence in (False, True):
        times = []
        for i in rng.choice(len(pids), n, replace=False):
            a = ach.iloc[groups.get(pids[i], [])]
            p = parts.iloc[[i]]
            t = time.perf_counter()
            bundle.estimate(a, p, cutoff, evidence=evidence)
            times.append(time.perf_counter() - t)
        key = "with_evidence" if evidence else "estimate"
        out[f"{key}_median_ms"] = 1000 * float(np.median(times))
        out[f"{key}_p90_ms"] = 1000 * float(np.percentile(times, 90))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--snapshot", type=Path, required=True)
    ap.add_argument("--truth", type=Path, required=True)
    ap.add_argument("--online-sample", type=int, default=300)
    ap.add_argument(
        "--skip-memory", action="store_true", help="skip the separate features-and-memory process"
    )
    args = ap.parse_args()

    from models.competence.bundle import CompetenceBundle
    from models.competence.model import CompetenceModel
    from training.competence.evaluation import BASELINES, MODEL, RECORD_BUCKETS
    from training.competence.train import TrainConfig, _dataset, evaluate_competence, plan_cutoffs

    snap = load_snapshot(args.snapshot)
    truth = pd.read_parquet(args.truth)
    cfg = TrainConfig()
    train_cuts, eval_cut = plan_cutoffs(snap, cfg)
    print(
        f"snapshot {snap.snapshot_id[:16]} as of {snap.as_of:%Y-%m-%d}: "
        f"{len(snap.participants):,d} participants, {len(snap.achievements):,d} achievements"
    )
    print(
        f"training cut-offs {[f'{c:%Y-%m-%d}' for c in train_cuts]}, "
        f"held-out cut-off {eval_cut:%Y-%m-%d}, window {cfg.window_days} days"
    )

    if not args.skip_memory:
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        # at the snapshot's as_of: every registered participant gets features
        proc = ctx.Process(
            target=_features_job, args=(str(args.snapshot), snap.as_of.isoformat(), queue)
        )
        proc.start()
        res = queue.get()
        proc.join()
        print(
            f"\n[speed] features of {res['participants']:,d} participants "
            f"({res['rows']:,d} rows): {res['features_s']:.1f} s; calibration of all "
            f"directions {res['calibration_s']:.1f} s; peak memory of that process (snapshot, "
            f"calibration, features) {res['peak_gib']:.2f} GiB"
        )

    t = time.perf_counter()
    evaluation, parts = evaluate_competence(snap, cfg, truth)
    eval_s = time.perf_counter() - t
    r = evaluation.report
    t = time.perf_counter()
    CompetenceModel(cfg.model).fit(_dataset(parts, snap.snapshot_id))
    final_fit_s = time.perf_counter() - t

    print(
        "\n[recovery] Spearman with the true competence at the held-out cut-off "
        "(population percentiles, mean over directions)"
    )
    header = f"{'records':>8} {'rows':>9} " + " ".join(f"{n:>16}" for n in (MODEL, *BASELINES))
    print(header)
    dirs = sorted({k.split(".")[0] for k in r if ".recovery_" in k} - {"all"})
    for name, _, _ in RECORD_BUCKETS:
        count = sum(r[f"{d}.recovery_n{name}.count"] for d in dirs)
        vals = [
            _mean([r.get(f"{d}.recovery_n{name}.{m}", np.nan) for d in dirs])
            for m in (MODEL, *BASELINES)
        ]
        print(f"{name:>8} {int(count):>9,d} " + " ".join(f"{v:>16.3f}" for v in vals))

    print(
        "\n[prediction] Spearman with the next window (rows with records there), "
        "mean over directions"
    )
    print(f"{'target':>18} " + " ".join(f"{n:>16}" for n in (MODEL, *BASELINES)))
    for target in ("label", "next_performance"):
        vals = [r[f"all.spearman_{target}.{m}"] for m in (MODEL, *BASELINES)]
        print(f"{target:>18} " + " ".join(f"{v:>16.3f}" for v in vals))
    margin = r["all.spearman_label.model"] - r["all.spearman_label.rating_points"]
    margin_next = (
        r["all.spearman_next_performance.model"] - r["all.spearman_next_performance.rating_points"]
    )
    print(f"model - rating points: {margin:+.3f} (label), {margin_next:+.3f} (next_performance)")

    print(
        "\n[other directions] no record in the direction, records in others: Spearman with "
        "the truth, model vs mean ability in the other directions"
    )
    for d in [*dirs, "all"]:
        print(
            f"  {d:<12} rows={int(r.get(f'{d}.recovery_other_only.count', 0)):>7,d} "
            f"model={r.get(f'{d}.recovery_other_only.model', np.nan):.3f} "
            f"mean_other={r.get(f'{d}.recovery_other_only.mean_other_directions', np.nan):.3f}"
        )
    served = {d: r.get(f"{d}.serves_ability") for d in dirs}
    print(f"serves the calibrated ability (1) or LightGBM (0): {served}")
    print("\n[intervals] share of 90% intervals containing the true population percentile")
    for d in [*dirs, "all"]:
        buckets = " ".join(f"n{b}={r[f'{d}.coverage_n{b}']:.3f}" for b, _, _ in RECORD_BUCKETS)
        print(f"  {d:<12} overall={r[f'{d}.coverage']:.3f}  {buckets}")

    cal_s = r["seconds.calibration_per_cutoff"]
    print(
        f"\n[speed] per cut-off: calibration {cal_s:.1f} s, features "
        f"{r['seconds.features_per_cutoff']:.1f} s; LightGBM fit of all directions "
        f"{r['seconds.model_fit']:.1f} s (training cut-offs), {final_fit_s:.1f} s "
        f"(all cut-offs); calibration + training of all directions at one cut-off: "
        f"{cal_s + final_fit_s:.1f} s; "
        f"whole evaluation ({len(parts)} cut-offs) {eval_s:.1f} s"
    )

    held = parts[-1]
    meta = {"model_version": "bench", "schema_version": 1}
    from features.schema import schema_hash

    meta["schema_hash"] = schema_hash(evaluation.model.features_)
    bundle = CompetenceBundle(held.stats, held.calibration, evaluation.model, meta)
    online = _online(bundle, snap, held.cutoff, args.online_sample, seed=0)
    print(
        f"[speed] online, one participant (features + estimate, same code): median "
        f"{online['estimate_median_ms']:.1f} ms (p90 {online['estimate_p90_ms']:.1f}); with "
        f"evidence {online['with_evidence_median_ms']:.1f} ms (p90 "
        f"{online['with_evidence_p90_ms']:.1f}); n={args.online_sample}"
    )
    print(f"peak memory of the main process {_peak_rss_gib():.2f} GiB")
    print("command: uv run python " + " ".join(shlex.quote(a) for a in sys.argv))


if __name__ == "__main__":
    main()
