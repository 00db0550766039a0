"""Snapshot frames are written one row group at a time, byte for byte as a whole-table write."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from footprint import snapshot
from footprint.snapshot import _write_parquet


def test_sliced_write_gives_the_bytes_of_a_whole_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ROW_GROUP is pyarrow's default (1,048,576 rows); a small one keeps the test fast
    monkeypatch.setattr(snapshot, "ROW_GROUP", 1_000)
    n = 2_005  # three row groups, the last tiny
    ids = np.arange(n)
    frame = pd.DataFrame(
        {
            "n": ids,
            "label": pd.Series(np.where(ids % 3 == 0, None, "x"), dtype=object),
            "at": pd.Timestamp("2025-01-01") + pd.to_timedelta(ids % 86_400, unit="s"),
        }
    )
    _write_parquet(frame, tmp_path / "sliced.parquet")
    whole = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    pq.write_table(
        whole,
        tmp_path / "whole.parquet",
        compression="zstd",
        write_statistics=True,
        row_group_size=1_000,
    )
    assert (tmp_path / "sliced.parquet").read_bytes() == (tmp_path / "whole.parquet").read_bytes()
    assert pq.ParquetFile(tmp_path / "sliced.parquet").metadata.num_row_groups == 3


def test_an_empty_frame_is_written_as_before(tmp_path: Path) -> None:
    frame = pd.DataFrame({"n": pd.Series([], dtype="int64"), "label": pd.Series([], dtype=object)})
    _write_parquet(frame, tmp_path / "sliced.parquet")
    whole = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    pq.write_table(whole, tmp_path / "whole.parquet", compression="zstd", write_statistics=True)
    assert (tmp_path / "sliced.parquet").read_bytes() == (tmp_path / "whole.parquet").read_bytes()
