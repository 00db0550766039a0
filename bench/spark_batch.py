"""Benchmark: the batch jobs in process against Spark ``local[N]`` on one machine.

    uv run python bench/spark_batch.py \
        --snapshot /tmp/liveops-bench/ingest/snapshots/e7d5db9031d66f8b \
        --bundle /tmp/spark-bench/models/competence-....joblib --master 'local[2]'

For each job (features of every participant; competence estimates of every participant, with
evidence and flags) and each engine, a fresh child process runs the job from the snapshot's
files to its result, and this process samples the child's process tree every half second:

- wall time of the whole job (reading the snapshot, the global statistics, the work, writing
  Parquet; Spark's includes starting its JVM and Python workers);
- peak RSS of the driver (the child Python process itself) and peak summed RSS of the workers
  (every process below it: Spark's JVM and its Python workers; none in process).

In process, features are :func:`features.participant.participant_features` on everyone at once
(what training does); estimates are the bundle's ``estimate`` in chunks of 2,000 participants
(what the service's refresh does), with the rating frame computed once. On Spark they are
``talent spark features`` and ``talent spark estimate`` (:mod:`batch.jobs`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHUNK = 2000


def _inprocess_features(snapshot: Path, out: Path) -> int:
    from features.activity_stats import compute_activity_stats
    from features.participant import participant_features
    from footprint.snapshot import load_snapshot

    snap = load_snapshot(snapshot)
    stats = compute_activity_stats(snap, snap.as_of)
    frame = participant_features(snap.achievements, snap.participants, stats, snap.as_of)
    frame.to_parquet(out / "features.parquet", index=False)
    return len(frame)


def _inprocess_estimates(snapshot: Path, bundle_path: Path, out: Path) -> int:
    import numpy as np
    import pandas as pd

    from footprint.columns import Columns as C
    from footprint.snapshot import load_snapshot
    from models.competence.bundle import CompetenceBundle
    from models.competence.rating_features import rating_frame

    bundle = CompetenceBundle.load(bundle_path)
    snap = load_snapshot(snapshot)
    rating = rating_frame(snap, snap.as_of)
    ach, parts = snap.achievements, snap.participants
    by_person = ach.groupby(ach[C.PARTICIPANT_ID].astype(object)).indices
    by_rating = rating.groupby(rating[C.PARTICIPANT_ID].astype(object)).indices
    pids = parts[C.PARTICIPANT_ID].astype(object).to_numpy()
    rows = 0
    frames = []
    for i in range(0, len(pids), CHUNK):
        chunk = pids[i : i + CHUNK]
        a_rows = [by_person[p] for p in chunk if p in by_person]
        r_rows = [by_rating[p] for p in chunk if p in by_rating]
        frame = bundle.estimate(
            ach.iloc[np.concatenate(a_rows)] if a_rows else ach.iloc[:0],
            parts.iloc[i : i + CHUNK],
            as_of=snap.as_of,
            rating=rating.iloc[np.concatenate(r_rows)] if r_rows else rating.iloc[:0],
            previous=None,
        )
        rows += len(frame)
        frames.append(frame.drop(columns=["flags", "top_features", "top_achievements"]))
    pd.concat(frames).to_parquet(out / "estimates.parquet", index=False)
    return rows


def _one(job: str, engine: str, args: argparse.Namespace) -> None:
    """Run one job in this (child) process and print its rows as JSON."""
    out = Path(args.workdir) / f"{job}-{engine}"
    out.mkdir(parents=True, exist_ok=True)
    if engine == "inprocess":
        rows = (
            _inprocess_features(args.snapshot, out)
            if job == "features"
            else _inprocess_estimates(args.snapshot, args.bundle, out)
        )
    else:
        from batch.jobs import run_estimates, run_features

        summary = (
            run_features(args.snapshot, out / "parquet", master=args.master)
            if job == "features"
            else run_estimates(args.snapshot, args.bundle, out / "parquet", master=args.master)
        )
        rows = summary.rows
    print(json.dumps({"rows": rows}))


def _measure(argv: list[str]) -> dict[str, Any]:
    import psutil

    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    proc = psutil.Process(child.pid)
    peak = {"driver": 0, "workers": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            try:
                driver = proc.memory_info().rss
                workers = 0
                for p in proc.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        workers += p.memory_info().rss
                peak["driver"] = max(peak["driver"], driver)
                peak["workers"] = max(peak["workers"], workers)
            except psutil.Error:
                pass
            done.wait(0.5)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    stdout, _ = child.communicate()
    done.set()
    thread.join()
    if child.returncode != 0:
        raise SystemExit(f"{argv} exited with {child.returncode}")
    rows = json.loads(stdout.strip().splitlines()[-1])["rows"]
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "rows": rows,
        "driver_gib": round(peak["driver"] / 2**30, 2),
        "workers_gib": round(peak["workers"] / 2**30, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", type=Path, required=True)
    parser.add_argument("--bundle", type=Path, help="competence bundle (for the estimate job)")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--jobs", default="features,estimate")
    parser.add_argument("--engines", default="inprocess,spark")
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--one", nargs=2, metavar=("JOB", "ENGINE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        _one(args.one[0], args.one[1], args)
        return
    workdir = args.workdir or tempfile.mkdtemp(prefix="spark-bench-")
    from footprint.snapshot import load_manifest

    manifest = load_manifest(args.snapshot)
    people = manifest.tables["participants"].rows
    records = manifest.tables["achievements"].rows
    print(f"snapshot {args.snapshot}: {people:,} participants, {records:,} records")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for job in args.jobs.split(","):
        for engine in args.engines.split(","):
            argv = [sys.executable, __file__, "--snapshot", str(args.snapshot)]
            argv += ["--master", args.master, "--workdir", workdir, "--one", job, engine]
            if args.bundle:
                argv += ["--bundle", str(args.bundle)]
            r = _measure(argv)
            label = engine if engine == "inprocess" else f"spark {args.master}"
            print(
                f"[{job}] {label}: {r['seconds']} s, {r['rows']:,} rows; peak RSS driver "
                f"{r['driver_gib']} GiB, workers {r['workers_gib']} GiB "
                f"(load average now {os.getloadavg()[0]:.1f})",
                flush=True,
            )
    print("command: uv run python " + " ".join(shlex.quote(a) for a in sys.argv))


if __name__ == "__main__":
    main()
