"""Benchmark: how many competence review items a simulated world opens, per 1,000 participants.

    flock /work/bench.lock uv run python bench/review_queue.py --participants 2000 --seasons 3 \
        --seed 7

Simulates a clean world in memory (the demo's size, seasons and seed; the demo's messy export is
not reproduced here, so pending verifications are rarer than in `talent demo`), trains the
competence bundle as the demo does (180-day label window, no MLflow run), estimates every
participant as of the snapshot with the rating features of the whole snapshot, and counts the
estimates that would open a review item: with today's rule (an actionable flag, not a cold start)
and with the earlier rule (any of the earlier flags: wide interval, large change, rating
disagreement, mostly unverified). A first refresh has
no previous estimate, so ``large_change`` cannot fire here.
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=2_000)
    parser.add_argument("--seasons", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--first-season", type=int, default=2024)
    args = parser.parse_args()

    from core.logs import configure
    from models.competence.codes import ACTIONABLE, FlagCode
    from models.competence.columns import CompetenceColumns as CC
    from models.competence.rating_features import rating_frame
    from simulator.config import SimulationConfig
    from training.competence.train import TrainConfig, train_competence
    from training.simworld import simulate_world

    configure("WARNING")
    EARLIER = {
        FlagCode.WIDE_INTERVAL.value,
        FlagCode.LARGE_CHANGE.value,
        FlagCode.RATING_DISAGREEMENT.value,
        FlagCode.MOSTLY_UNVERIFIED.value,
    }
    started = time.perf_counter()
    sim = simulate_world(
        SimulationConfig(
            participants=args.participants,
            seasons=args.seasons,
            seed=args.seed,
            first_season=args.first_season,
        )
    )
    snap = sim.snapshot
    with tempfile.TemporaryDirectory() as tmp:
        path, _ = train_competence(snap, TrainConfig(window_days=180), Path(tmp), track=False)
        from models.competence.bundle import CompetenceBundle

        bundle = CompetenceBundle.load(path)
    trained = time.perf_counter() - started
    t = time.perf_counter()
    est = bundle.estimate(
        snap.achievements,
        snap.participants,
        snap.as_of,
        rating=rating_frame(snap, snap.as_of),
        evidence=False,
    )
    estimate_s = time.perf_counter() - t
    n = len(snap.participants)
    now_items, old_items = 0, 0
    by_flag: Counter[str] = Counter()
    for cold, flags in zip(est[CC.COLD_START], est[CC.FLAGS], strict=True):
        codes = {f["code"] for f in flags} - {FlagCode.COLD_START.value}
        if cold or not codes:
            continue
        old_items += bool(codes & EARLIER)
        if codes & {c.value for c in ACTIONABLE}:
            now_items += 1
            by_flag.update(codes)
    per = 1000.0 / n
    print(f"command: uv run python bench/review_queue.py {shlex.join(sys.argv[1:])}")
    print(
        f"world: {n} participants, {len(snap.achievements)} records, as of "
        f"{snap.as_of:%Y-%m-%d}; estimates: {len(est)} (participant x direction)"
    )
    print(
        f"open items per 1,000 participants: {now_items * per:.1f} (today's rule), "
        f"{old_items * per:.1f} (earlier rule: its flags, a wide interval included)"
    )
    print("items per 1,000 participants carrying each flag (an item may carry several):")
    for code, count in by_flag.most_common():
        print(f"  {code}: {count * per:.1f}")
    print(f"seconds: simulate + train {trained:.1f}, estimate everyone {estimate_s:.1f}")
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"peak RSS: {peak_gib:.2f} GiB")


if __name__ == "__main__":
    main()
