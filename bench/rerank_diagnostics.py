"""Why the re-ranker gains little: candidate recall, the union's ceiling and its training groups.

Usage::

    flock /work/bench.lock uv run python bench/rerank_diagnostics.py --participants 3000 --seed 1

On the simulator split (default ``SimSplitConfig``, every model) of a world simulated in memory,
for each test cut-off: the re-ranker and every single model's NDCG@10; the *candidate recall*
(the share of the activities a participant chose, among those open at the cut-off, that are in
the union of the base models' top ``candidates_per_model`` feasible candidates; also for other
cut-off depths, read from the same ranks); the union's mean size; the *union ceiling* (NDCG@10 of
a ranking that puts every chosen candidate first: what a perfect re-ranker over these candidates
would reach); and how many of the decision points' choosers became training groups.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

DEPTHS = (10, 20, 30, 60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=3000)
    parser.add_argument("--seasons", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    import numpy as np

    from models.recommend.rerank import BASE_NAMES, RerankRecommender, candidate_features
    from simulator import SimulationConfig
    from training.recommend.evaluate import (
        SimSplitConfig,
        _lists,
        fit_on_cutoff,
        prepare_split,
    )
    from training.recommend.metrics import ranking_metrics
    from training.simworld import simulate_world

    started = time.perf_counter()
    sim = simulate_world(
        SimulationConfig(participants=args.participants, seasons=args.seasons, seed=args.seed)
    )
    cfg = SimSplitConfig()
    split = prepare_split(sim.snapshot, cfg)
    print("$", shlex.join(["uv", "run", "python", "bench/rerank_diagnostics.py", *sys.argv[1:]]))
    ranked: dict[str, list[list[str]]] = {}
    ceiling: list[list[str]] = []
    recall = {d: [0, 0] for d in DEPTHS}
    union_sizes: list[float] = []
    nb = len(BASE_NAMES)
    for cut in split.cutoffs:
        pids, relevant = cut.participants, cut.relevant
        for name in cfg.models:
            model = fit_on_cutoff(cut, name)
            recs = model.recommend(pids, k=cfg.k, as_of=cut.cutoff, reasons=False)
            ranked.setdefault(name, []).extend(_lists(recs, pids))
            if isinstance(model, RerankRecommender):
                rerank = model
        per_model = rerank.config.candidates_per_model
        data = cut.dataset
        acts = data.catalog.open_at(cut.cutoff)
        ids = data.catalog.activity_ids[acts]
        rows = data.rows(pids)
        feats, cand, ok = candidate_features(rerank.bases_, data, rows, acts, cut.cutoff, per_model)
        ranks = feats[:, :, nb : 2 * nb]
        for i, rel in enumerate(relevant):
            chosen = np.isin(ids, list(rel))
            for d in DEPTHS:
                union = ok[i] & (np.nan_to_num(ranks[i], nan=np.inf) <= d).any(axis=1)
                recall[d][0] += int((chosen & union).sum())
                recall[d][1] += int(chosen.sum())
            union_sizes.append(float(cand[i].sum()))
            inside = [str(a) for a in ids[chosen & cand[i]]]
            rest = [str(a) for a in ids[cand[i] & ~chosen]]
            ceiling.append(inside + rest)
        print(
            f"cut-off {cut.cutoff:%Y-%m-%d}: {len(pids)} queries, {len(acts)} open, "
            f"{rerank.n_train_groups_} training groups"
        )
    relevant_all: list[set[object]] = [set(r) for r in split.relevant]
    table = {m: ranking_metrics(r, relevant_all, cfg.k)[f"ndcg@{cfg.k}"] for m, r in ranked.items()}
    best = max((m for m in table if m != "rerank"), key=lambda m: table[m])
    for m, v in sorted(table.items(), key=lambda kv: -kv[1]):
        print(f"{m:<18} ndcg@{cfg.k} {v:.4f}")
    ceil = ranking_metrics(ceiling, relevant_all, cfg.k)[f"ndcg@{cfg.k}"]
    print(f"re-ranker vs best single ({best}): {table['rerank'] / table[best] - 1:+.1%}")
    print(
        f"union ceiling (chosen candidates first) ndcg@{cfg.k} {ceil:.4f} "
        f"({ceil / table[best] - 1:+.1%} over {best})"
    )
    for d in DEPTHS:
        hit, total = recall[d]
        mark = " (shipped)" if d == per_model else ""
        print(
            f"candidate recall at depth {d:>2}{mark}: {hit / max(total, 1):.4f} "
            f"({hit} of {total} chosen open activities)"
        )
    print(f"union size: mean {np.mean(union_sizes):.1f}, median {np.median(union_sizes):.0f}")
    print(f"wall time {time.perf_counter() - started:.0f} s, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
