"""Top-k ranking metrics of recommendations against held-out choices.

All metrics take the ranked lists (one array of item ids per query, best first) and the relevant
sets (one set per query). NDCG is normalised by the best achievable DCG with
``min(|relevant|, k)`` hits (the ideal list puts every relevant item first); MAP@k divides by the
same number. Catalog coverage is the share of the candidate catalogue that appears in any list;
novelty the mean self-information ``-log2(share of training participants who took the item)`` of
recommended items.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence, Set
from typing import Any, TypeVar

import numpy as np

# an item id: a str in the project, any hashable in the metrics
Item = TypeVar("Item", bound=Hashable)


def _discounts(k: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, k + 2))


def hits_matrix(
    ranked: Sequence[Sequence[Item]], relevant: Sequence[Set[Item]], k: int
) -> np.ndarray:
    """queries x k: 1 where the item at that rank is relevant (0 past the end of a list)."""
    out = np.zeros((len(ranked), k))
    for i, (items, rel) in enumerate(zip(ranked, relevant, strict=True)):
        for j, item in enumerate(list(items)[:k]):
            if item in rel:
                out[i, j] = 1.0
    return out


def ranking_metrics(
    ranked: Sequence[Sequence[Item]], relevant: Sequence[Set[Item]], k: int = 10
) -> dict[str, float]:
    """Mean Recall@k, NDCG@k and MAP@k over queries with at least one relevant item."""
    keep = [i for i, r in enumerate(relevant) if len(r) > 0]
    if not keep:
        return {f"recall@{k}": float("nan"), f"ndcg@{k}": float("nan"), f"map@{k}": float("nan")}
    ranked = [ranked[i] for i in keep]
    relevant = [relevant[i] for i in keep]
    hits = hits_matrix(ranked, relevant, k)
    n_rel = np.array([len(r) for r in relevant], dtype=np.float64)
    ideal_n = np.minimum(n_rel, k).astype(np.int64)
    disc = _discounts(k)
    dcg = hits @ disc
    idcg = np.cumsum(disc)[ideal_n - 1]
    precision_at = np.cumsum(hits, axis=1) / np.arange(1, k + 1)
    ap = (precision_at * hits).sum(axis=1) / ideal_n
    return {
        f"recall@{k}": float(np.mean(hits.sum(axis=1) / n_rel)),
        f"ndcg@{k}": float(np.mean(dcg / idcg)),
        f"map@{k}": float(np.mean(ap)),
    }


def ndcg_per_query(
    ranked: Sequence[Sequence[Any]], relevant: Sequence[set[Any]], k: int = 10
) -> np.ndarray:
    """NDCG@k of each query (NaN where the relevant set is empty); the mean over the finite
    values is :func:`ranking_metrics`' ``ndcg@k``. Used to break the metric down by group."""
    hits = hits_matrix(ranked, relevant, k)
    n_rel = np.array([len(r) for r in relevant], dtype=np.int64)
    disc = _discounts(k)
    idcg = np.cumsum(disc)[np.clip(np.minimum(n_rel, k) - 1, 0, k - 1)]
    out = (hits @ disc) / idcg
    out[n_rel == 0] = np.nan
    return out


def catalog_coverage(ranked: Sequence[Sequence[object]], catalog_size: int, k: int = 10) -> float:
    """Distinct items in the top-k lists / items that could have been recommended."""
    seen: set[object] = set()
    for items in ranked:
        seen.update(list(items)[:k])
    return len(seen) / catalog_size if catalog_size else float("nan")


def novelty(
    ranked: Sequence[Sequence[Item]], popularity_share: Mapping[Item, float], k: int = 10
) -> float:
    """Mean ``-log2(p)`` of recommended items, ``p`` = share of training participants who took
    the item (items never taken count as taken by one participant)."""
    floor = min((v for v in popularity_share.values() if v > 0), default=1e-6)
    values = [
        -np.log2(max(popularity_share.get(item, 0.0), floor))
        for items in ranked
        for item in list(items)[:k]
    ]
    return float(np.mean(values)) if values else float("nan")
