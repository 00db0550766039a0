"""Deterministic writers for CSV, JSON Lines and Parquet, and file hashing.

The same table always gives the same bytes: no pandas index or metadata, no timestamps of the run,
fixed row-group sizes and compression, timestamps spelled ``YYYY-MM-DDTHH:MM:SS`` in text formats.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from simulator.config import FileFormat

EXTENSIONS: dict[str, str] = {"csv": "csv", "jsonl": "jsonl", "parquet": "parquet"}
ROW_GROUP = 500_000
TEXT_CHUNK = 250_000
ISO = "%Y-%m-%dT%H:%M:%S"


def iso_strings(table: pa.Table) -> pa.Table:
    """Timestamp columns as ISO 8601 strings (UTC, no offset); other columns unchanged."""
    cols = []
    for col in table.columns:
        if pa.types.is_timestamp(col.type):
            col = pc.strftime(col.cast(pa.timestamp("s")), format=ISO)
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def all_strings(table: pa.Table) -> pa.Table:
    """Every column as strings (timestamps ISO, numbers and booleans in their plain spelling)."""
    table = iso_strings(table)
    return pa.table([c.cast(pa.string()) for c in table.columns], names=table.column_names)


def write_table(table: pa.Table, stem: Path, fmt: FileFormat) -> Path:
    """Write ``table`` to ``stem.<ext>`` and return the path."""
    sink = TableSink(stem, fmt)
    sink.write(table)
    sink.close()
    return sink.path


class TableSink:
    """Appends tables of one schema to one file, piece by piece (the chunks of a big world).

    One piece gives the same bytes as writing the whole table at once; several give the file of
    their concatenation (Parquet with a row group boundary between pieces, CSV with one header).
    """

    def __init__(self, stem: Path, fmt: FileFormat) -> None:
        self.path = stem.with_name(f"{stem.name}.{EXTENSIONS[fmt]}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fmt = fmt
        self.rows = 0
        self._writer: Any = None
        self._file: IO[bytes] | None = None

    def write(self, table: pa.Table) -> None:
        self.rows += table.num_rows
        if self.fmt == "parquet":
            if self._writer is None:
                self._writer = pq.ParquetWriter(self.path, table.schema, compression="zstd")
            self._writer.write_table(table, row_group_size=ROW_GROUP)
        elif self.fmt == "csv":
            text = iso_strings(table)
            if self._writer is None:
                opts = pcsv.WriteOptions(include_header=True, quoting_style="needed")
                self._writer = pcsv.CSVWriter(self.path, text.schema, write_options=opts)
            self._writer.write_table(text)
        else:
            if self._file is None:
                self._file = self.path.open("wb")
            _write_jsonl(iso_strings(table), self._file)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._file is not None:
            self._file.close()


def _write_jsonl(table: pa.Table, out: IO[bytes]) -> None:
    """One JSON object per line, keys in column order, built with vectorised string kernels."""
    for lo in range(0, max(table.num_rows, 1), TEXT_CHUNK):
        chunk = table.slice(lo, TEXT_CHUNK)
        if chunk.num_rows == 0:
            break
        parts = [
            _json_values(chunk.column(i), f'"{name}":') for i, name in enumerate(chunk.column_names)
        ]
        lines = pc.binary_join_element_wise(*parts, ",")
        lines = pc.binary_join_element_wise("{", lines, "}\n", "")
        out.write(_utf8_bytes(lines))


def _utf8_bytes(values: pa.Array | pa.ChunkedArray) -> bytes:
    """The concatenated UTF-8 bytes of a string array without nulls (no Python strings made)."""
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[
        arr.offset : arr.offset + len(arr) + 1
    ]
    data = arr.buffers()[2]
    return data.to_pybytes()[offsets[0] : offsets[-1]]


def _json_values(col: pa.ChunkedArray, key: str) -> pa.Array:
    """``"key":value`` per row, with JSON escaping for strings and ``null`` for missing."""
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        text = pc.replace_substring(col, "\\", "\\\\")
        text = pc.replace_substring(text, '"', '\\"')
        text = pc.replace_substring(text, "\n", "\\n")
        text = pc.binary_join_element_wise('"', text, '"', "")
    else:
        text = col.cast(pa.string())
    text = pc.fill_null(text, "null")
    return pc.binary_join_element_wise(key, text, "")


class TruthWriter:
    """Streams truth checkpoints into one Parquet file, one row group per checkpoint."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.rows = 0
        self._writer = pq.ParquetWriter(path, schema, compression="zstd")

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(table, row_group_size=max(table.num_rows, 1))
        self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()
