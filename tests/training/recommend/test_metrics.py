"""Ranking metrics: hand-computed values and properties."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from training.recommend.metrics import catalog_coverage, novelty, ranking_metrics


def test_hand_computed_values() -> None:
    # one query, relevant {a, c}; ranked a, b, c
    m = ranking_metrics([["a", "b", "c"]], [{"a", "c"}], k=3)
    assert math.isclose(m["recall@3"], 1.0)
    dcg = 1 + 1 / math.log2(4)
    idcg = 1 + 1 / math.log2(3)
    assert math.isclose(m["ndcg@3"], dcg / idcg)
    assert math.isclose(m["map@3"], (1 + 2 / 3) / 2)


def test_ndcg_normalises_by_min_of_relevant_and_k() -> None:
    # 5 relevant items, k = 2, both top items relevant: a perfect list
    m = ranking_metrics([["a", "b"]], [{"a", "b", "c", "d", "e"}], k=2)
    assert math.isclose(m["ndcg@2"], 1.0)
    assert math.isclose(m["map@2"], 1.0)
    assert math.isclose(m["recall@2"], 2 / 5)


def test_queries_without_relevant_items_are_skipped() -> None:
    m = ranking_metrics([["a"], ["b"]], [{"a"}, set()], k=1)
    assert m["recall@1"] == 1.0


def test_coverage_and_novelty() -> None:
    assert catalog_coverage([["a", "b"], ["a", "c"]], 6, k=2) == 0.5
    assert math.isclose(novelty([["a"]], {"a": 0.25}, k=1), 2.0)


lists = st.lists(st.text("abcdefgh", min_size=1, max_size=1), min_size=0, max_size=8, unique=True)


@given(
    st.lists(
        st.tuples(
            lists, st.sets(st.text("abcdefgh", min_size=1, max_size=1), min_size=1, max_size=5)
        ),
        min_size=1,
        max_size=10,
    )
)
def test_metrics_are_bounded(queries: list[tuple[list[str], set[str]]]) -> None:
    ranked = [q[0] for q in queries]
    relevant = [q[1] for q in queries]
    m = ranking_metrics(ranked, relevant, k=5)
    for value in m.values():
        assert -1e-12 <= value <= 1 + 1e-12


@given(st.sets(st.text("abcdefgh", min_size=1, max_size=1), min_size=1, max_size=8))
def test_a_list_of_exactly_the_relevant_items_is_perfect(relevant: set[str]) -> None:
    m = ranking_metrics([sorted(relevant)], [relevant], k=10)
    assert math.isclose(m["ndcg@10"], 1.0) and math.isclose(m["map@10"], 1.0)
