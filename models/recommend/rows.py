"""Row selections of the dataset's sparse matrices, cheap for the few rows of a request.

scipy's fancy indexing (``matrix[rows]``, ``matrix[rows][:, cols].toarray()``) validates and
allocates through several layers and costs tens of microseconds per call whatever the size; a
single participant's request to the re-ranker made five or six of them. For up to
:data:`SMALL_BATCH` rows these functions slice ``indptr`` directly; larger batches (evaluation,
training) keep scipy's path. Both give the same matrices (``tests/models/recommend/test_rows.py``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

SMALL_BATCH = 32
"""Up to this many rows, select by slicing ``indptr``; above, scipy's indexing is as fast."""


def _spans(matrix: sp.csr_matrix, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions in ``matrix.data`` of the selected rows' entries, in row order, and each
    selected row's number of entries and output row."""
    starts = matrix.indptr[rows]
    counts = matrix.indptr[rows + 1] - starts
    if len(rows) == 1:
        s = int(starts[0])
        return np.arange(s, s + int(counts[0])), counts, np.zeros(int(counts[0]), np.int64)
    total = int(counts.sum())
    # entry positions: each row's start, plus 0..count-1 within the row
    out_row = np.repeat(np.arange(len(rows)), counts)
    first = np.cumsum(counts) - counts
    pos = starts[out_row] + (np.arange(total) - first[out_row])
    return pos, counts, out_row


def take_rows(matrix: sp.csr_matrix, rows: np.ndarray) -> sp.csr_matrix:
    """``matrix[rows]`` (rows: non-negative row indices, repeats allowed), as a new matrix: its
    arrays are never shared with ``matrix``, so callers may overwrite them."""
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) > SMALL_BATCH or len(rows) == 0:
        return sp.csr_matrix(matrix[rows])
    pos, counts, _ = _spans(matrix, rows)
    indptr = np.zeros(len(rows) + 1, dtype=matrix.indptr.dtype)
    np.cumsum(counts, out=indptr[1:])
    return sp.csr_matrix(
        (matrix.data[pos], matrix.indices[pos], indptr),
        shape=(len(rows), matrix.shape[1]),
        copy=False,
    )


def dense_block(matrix: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``matrix[rows][:, cols].toarray()`` (non-negative indices; repeats allowed in both;
    duplicate entries of a cell are summed, as scipy does)."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    if len(rows) > SMALL_BATCH or len(rows) == 0:
        return np.asarray(matrix[rows][:, cols].toarray())
    pos, _, out_row = _spans(matrix, rows)
    wide = np.zeros((len(rows), matrix.shape[1]), dtype=matrix.dtype)
    if matrix.has_canonical_format:
        wide[out_row, matrix.indices[pos]] = matrix.data[pos]
    else:
        np.add.at(wide, (out_row, matrix.indices[pos]), matrix.data[pos])
    return wide[:, cols]
