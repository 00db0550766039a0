"""The small-batch row selections give scipy's own matrices."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from models.recommend.rows import SMALL_BATCH, dense_block, take_rows


@pytest.fixture(scope="module")
def matrix() -> sp.csr_matrix:
    m = sp.random(60, 25, density=0.15, format="csr", dtype=np.float64, random_state=3)
    m = sp.csr_matrix(m)
    m.data[m.indptr[7] : m.indptr[8]] = 0.0  # an empty row
    m.eliminate_zeros()
    assert m.indptr[8] == m.indptr[7]
    return m


ROW_SETS = [
    np.array([0]),
    np.array([7]),  # no entries
    np.array([59]),
    np.array([3, 3, 7, 0, 12]),  # repeats, an empty row, out of order
    np.arange(SMALL_BATCH),
    np.arange(SMALL_BATCH + 5) % 60,  # above the threshold: scipy's path
    np.array([], dtype=np.int64),
]


@pytest.mark.parametrize("rows", ROW_SETS, ids=lambda r: f"{len(r)}rows")
def test_take_rows_is_scipy_indexing(matrix: sp.csr_matrix, rows: np.ndarray) -> None:
    got = take_rows(matrix, rows)
    want = matrix[rows]
    assert isinstance(got, sp.csr_matrix)
    assert got.shape == want.shape
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got.indptr, want.indptr)
    np.testing.assert_array_equal(got.toarray(), want.toarray())
    # callers overwrite .data (binary profiles): the dataset's matrix must not change with it
    before = matrix.data.copy()
    got.data[:] = -1.0
    np.testing.assert_array_equal(matrix.data, before)


@pytest.mark.parametrize("rows", ROW_SETS, ids=lambda r: f"{len(r)}rows")
@pytest.mark.parametrize(
    "cols", [np.array([4]), np.array([0, 24, 3, 3]), np.arange(25)], ids=["one", "repeats", "all"]
)
def test_dense_block_is_scipy_indexing(
    matrix: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray
) -> None:
    got = dense_block(matrix, rows, cols)
    want = matrix[rows][:, cols].toarray()
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_dense_block_sums_duplicate_entries() -> None:
    # a matrix built without summing duplicates: scipy's toarray adds them up
    m = sp.csr_matrix(
        (np.array([1.0, 2.0, 5.0]), np.array([1, 1, 0]), np.array([0, 2, 3])), shape=(2, 3)
    )
    assert not m.has_canonical_format
    rows, cols = np.array([0, 1]), np.array([0, 1, 2])
    np.testing.assert_array_equal(dense_block(m, rows, cols), m[rows][:, cols].toarray())
    np.testing.assert_array_equal(dense_block(m, rows, cols), [[0.0, 3.0, 0.0], [5.0, 0.0, 0.0]])
