"""Benchmark: a short re-ranker study, judged on a later season than the one it tuned on.

    flock /work/bench-data/heavy.lock uv run python bench/tune_recommend.py \
        --participants 25000 --trials 12 --out /work/bench-data/tune-recommend

The world is simulated in memory (``training/configs/tune-recommend.toml``'s settings with
``[snapshot.simulate]``). The study (:func:`training.tuning.tune`, resumable: rerunning the
command continues it) selects on the simulator split of the *tuning season* (cut-offs 1 Oct,
1 Dec, 1 Feb, 1 Apr of ``--tune-season``); the default and the best parameters are then both
evaluated on the *held-out season* (the next one, the pipeline's default cut-offs), which no
trial saw. Prints the NDCG@10 of both on both splits, the trial counts and the wall times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
import tomllib
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CONFIG = Path(__file__).resolve().parents[1] / "training" / "configs" / "tune-recommend.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=25_000)
    parser.add_argument("--seasons", type=int, default=4)
    parser.add_argument("--world-seed", type=int, default=1)
    parser.add_argument(
        "--tune-season",
        type=int,
        default=2024,
        help="first year of the season tuned on (cut-offs Oct..Apr)",
    )
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--out", type=Path, default=Path("/work/bench-data/tune-recommend"))
    args = parser.parse_args()

    os.environ.setdefault("MLFLOW_TRACKING_URI", f"sqlite:///{args.out / 'mlflow.db'}")
    from training.config import load_pipeline_config, parse_pipeline_config
    from training.pipeline import load_source
    from training.recommend.evaluate import default_cutoffs, prepare_split
    from training.recommend.tuning import RerankObjective
    from training.tuning import tune

    args.out.mkdir(parents=True, exist_ok=True)
    data = tomllib.loads(CONFIG.read_text("utf-8"))
    data["name"] = f"bench-{args.participants}"
    data["bundle_dir"] = str(args.out / "bundles")
    data["snapshot"] = {
        "simulate": {
            "participants": args.participants,
            "seasons": args.seasons,
            "seed": args.world_seed,
        }
    }
    y = args.tune_season
    tune_cuts = [
        dt.datetime(y, 10, 1),
        dt.datetime(y, 12, 1),
        dt.datetime(y + 1, 2, 1),
        dt.datetime(y + 1, 4, 1),
    ]
    data["recommend"]["split"]["cutoffs"] = tune_cuts
    cfg = parse_pipeline_config(data, "bench")

    import optuna

    snapshot, _ = load_source(cfg.snapshot)
    default = cfg.recommend.settings_of("rerank")
    name = f"{cfg.name}-recommend-{snapshot.snapshot_id[:12]}"
    storage = f"sqlite:///{args.out / 'optuna.db'}"
    study = optuna.create_study(
        study_name=name, storage=storage, direction="maximize", load_if_exists=True
    )
    if not study.trials:  # the defaults are trial 0: their value on the tuning split
        study.enqueue_trial({k: getattr(default, k.rsplit(".", 1)[1]) for k in cfg.tuning.space})
    started = time.perf_counter()
    result = tune(cfg, args.trials, storage_dir=args.out)
    tune_seconds = time.perf_counter() - started
    best = load_pipeline_config(result.config_path).recommend.settings_of("rerank")

    started = time.perf_counter()
    held_cuts = default_cutoffs(snapshot)
    if held_cuts[0] <= tune_cuts[-1]:
        raise SystemExit(
            f"the held-out season {held_cuts[0]:%Y-%m-%d} is not after the tuning "
            "season; pick an earlier --tune-season"
        )
    split = cfg.seeded().recommend.split.model_copy(update={"cutoffs": held_cuts})
    held = RerankObjective(prepare_split(snapshot, split), "ndcg@10")
    held_default = held.evaluate(default)["ndcg@10"]
    held_best = held.evaluate(best)["ndcg@10"] if best != default else held_default
    held_seconds = time.perf_counter() - started

    study = optuna.load_study(study_name=result.study_name, storage=result.storage)
    tune_default = study.trials[0].value

    print(
        f"# bench/tune_recommend.py --participants {args.participants} --seasons "
        f"{args.seasons} --world-seed {args.world_seed} --tune-season {y} --trials "
        f"{args.trials}"
    )
    print(f"snapshot {snapshot.snapshot_id}, as of {snapshot.as_of:%Y-%m-%d}")
    print(
        f"study {result.study_name}: {result.finished} finished ({result.pruned} pruned), "
        f"{len(study.trials)} in storage"
    )
    print(f"best params: {result.best_params}")
    print(
        f"tuning split ({', '.join(f'{c:%Y-%m-%d}' for c in tune_cuts)}): NDCG@10 default "
        f"{tune_default:.4f} (trial 0), best {result.best_value:.4f}"
    )
    print(
        f"held-out split ({', '.join(f'{c:%Y-%m-%d}' for c in held_cuts)}): NDCG@10 default "
        f"{held_default:.4f}, best {held_best:.4f} ({held_best / held_default - 1:+.1%})"
    )
    print(f"seconds: tuning {tune_seconds:.0f} (this invocation), held-out {held_seconds:.0f}")


if __name__ == "__main__":
    main()
