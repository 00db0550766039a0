"""Benchmark: the whole training pipeline (``talent train --config``) on a big world.

    uv run python bench/train.py --config training/configs/default.toml \
        --snapshot /work/bench-data/snapshots/e7d5db9031d66f8b \
        --truth /work/bench-data/sim250k/truth/competence.parquet \
        --tracking-dir /work/bench-data/mlruns

Runs :func:`training.pipeline.run_pipeline` exactly as the CLI does (tracked and registered, into
a tracking store of its own so the benchmark does not pollute ``mlruns/``) and prints:

- the wall time of the run and of each stage (competence: calibration, features and boosting at
  every cut-off; recommenders: the simulator split; the final recommender; MLflow logging and
  registry), measured by timing the stage functions the pipeline calls;
- the peak resident memory of the process;
- the MLflow overhead: the time spent logging and registering over the whole run.

``--participants N`` replaces the snapshot by a world of N participants simulated in memory
(the way ``small.toml`` works); ``--profile FILE`` writes cProfile statistics of the run.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import resource
import shlex
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _timed(seconds: dict[str, float], name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            seconds[name] += time.perf_counter() - t

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, default=Path("training/configs/default.toml"))
    parser.add_argument("--snapshot", type=Path, help="a `talent snapshot` folder")
    parser.add_argument("--truth", type=Path, help="simulator truth (recovery metrics)")
    parser.add_argument("--participants", type=int, help="simulate a world in memory instead")
    parser.add_argument("--seasons", type=int, default=4)
    parser.add_argument("--tracking-dir", type=Path, default=Path("bench/out/train/mlruns"))
    parser.add_argument("--bundle-dir", type=Path, help="default: <tracking-dir>/bundles")
    parser.add_argument("--no-track", action="store_true", help="skip MLflow (for the overhead)")
    parser.add_argument("--profile", type=Path, help="write cProfile statistics here")
    parser.add_argument("--output", type=Path, default=Path("bench/out/train.json"))
    args = parser.parse_args()

    args.tracking_dir = args.tracking_dir.resolve()
    args.tracking_dir.mkdir(parents=True, exist_ok=True)
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{args.tracking_dir / 'mlflow.db'}"
    os.environ.setdefault("MLFLOW_DEFAULT_ARTIFACT_ROOT", str(args.tracking_dir / "artifacts"))

    import training.pipeline as pipeline
    from simulator import SimulationConfig
    from training.config import load_pipeline_config

    config = load_pipeline_config(args.config)
    source: dict[str, Any] = {}
    if args.participants:
        source["simulate"] = SimulationConfig(
            participants=args.participants, seasons=args.seasons, seed=1
        )
    elif args.snapshot:
        source["path"] = args.snapshot
    if args.truth:
        source["truth"] = args.truth
    updates: dict[str, Any] = {"bundle_dir": args.bundle_dir or args.tracking_dir / "bundles"}
    if source:
        updates["snapshot"] = config.snapshot.model_validate(source)
    config = config.model_copy(update=updates)

    seconds: dict[str, float] = defaultdict(float)
    for name in (
        "load_source",
        "train_competence",
        "evaluate_simulator",
        "_fit_final_recommender",
        "_track",
    ):
        setattr(pipeline, name, _timed(seconds, name, getattr(pipeline, name)))

    profiler = cProfile.Profile() if args.profile else None
    t = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    result = pipeline.run_pipeline(config, track=not args.no_track, register=not args.no_track)
    if profiler is not None:
        profiler.disable()
        args.profile.parent.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(str(args.profile))
    wall = time.perf_counter() - t

    figures = {
        "world": f"{args.participants} simulated"
        if args.participants
        else str(args.snapshot or config.snapshot),
        "snapshot_id": result.snapshot_id,
        "participants": result.metrics.get("data.participants"),
        "wall_s": round(wall, 1),
        "peak_rss_gib": round(_peak_rss_gib(), 2),
        "tracking_s": round(result.tracking_seconds, 1),
        "tracking_share": round(result.tracking_seconds / wall, 4),
        "stages_s": {k: round(v, 1) for k, v in seconds.items()},
        "versions": result.versions,
        "metrics": {
            k: round(v, 4)
            for k, v in result.metrics.items()
            if k.startswith("competence.all.spearman")
            or (k.startswith("recommend.") and "ndcg" in k)
        },
        "load_average": os.getloadavg(),
        "command": "uv run python " + " ".join(shlex.quote(a) for a in sys.argv),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(figures, indent=2, default=str), "utf-8")
    print(json.dumps(figures, indent=2, default=str))


if __name__ == "__main__":
    main()
