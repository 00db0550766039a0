"""Read one input file into a frame of raw values, whatever its format.

Text values stay strings (or missing) so validation can name the exact row, field and bad value, and
malformed values are still seen and quarantined. Columns a typed format already holds as timestamps,
numbers or booleans are kept typed and checked without being parsed again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from core.errors import InputFileError
from core.hashing import file_sha256
from footprint.enums import ENTITY_ORDER, Entity
from footprint.ingest.fields import ENTITY_FIELDS

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


@dataclass(frozen=True)
class RawFile:
    """A file's rows as strings, with the entity its name declares."""

    path: Path
    entity: Entity
    sha256: str
    rows: pd.DataFrame  # str/None, or already typed (Parquet, JSON); index = 1-based row number


def entity_of(path: Path) -> Entity:
    stem = path.name.split(".")[0]
    try:
        return Entity(stem)
    except ValueError:
        names = ", ".join(e.value for e in ENTITY_ORDER)
        raise InputFileError(
            f"{path}: cannot tell the entity from the file name; name it <entity>.<format> "
            f"with entity one of: {names}"
        ) from None


def list_input_files(path: Path) -> list[Path]:
    """The files to ingest from ``path`` (a file or a folder), in dependency order."""
    if not path.exists():
        raise InputFileError(f"{path}: no such file or folder")
    if path.is_file():
        files = [path]
    else:
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in FORMATS)
        if not files:
            raise InputFileError(f"{path}: the folder holds no .csv, .jsonl or .parquet files")
    order = {e: i for i, e in enumerate(ENTITY_ORDER)}
    return sorted(files, key=lambda p: (order[entity_of(p)], p.name))


def _wide_int(text: str) -> int | str:
    """JSON integers beyond 64 bits stay text, so validation quarantines the row (out of range)
    instead of the parser refusing the whole file."""
    value = int(text)
    return value if -(2**63) <= value < 2**63 else text


def _read_jsonl(path: Path) -> pd.DataFrame:
    try:
        return pd.read_json(path, lines=True, dtype=False)
    except ValueError:
        # pandas' parser refuses integers beyond 64 bits; the standard parser does not
        pass
    records = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line, parse_int=_wide_int))
            except ValueError as exc:
                raise InputFileError(f"{path}: line {number} is not valid JSON: {exc}") from exc
    return pd.DataFrame.from_records(records)


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Typed columns (timestamps, numbers, booleans) stay typed, so validation can skip parsing
    them; everything else becomes Python strings or None."""
    out = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            if getattr(s.dt, "tz", None) is not None:
                s = s.dt.tz_convert(None)
            out[col] = s.astype("datetime64[us]")
        elif pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            out[col] = s
        else:
            out[col] = s.astype(object).where(s.notna(), None)
            out[col] = out[col].map(lambda v: v if v is None or isinstance(v, str) else str(v))
    return pd.DataFrame(out, index=frame.index)


def read_raw(path: Path) -> RawFile:
    """Read ``path`` (CSV, JSON Lines or Parquet) into a :class:`RawFile`.

    Raises
    ------
    InputFileError
        Unknown format or entity, unreadable file, unknown or missing required columns.
    """
    entity = entity_of(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputFileError(
            f"{path}: unknown format {path.suffix!r}; use .csv, .jsonl or .parquet"
        )
    try:
        if fmt == "csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
            frame = frame.astype(object).where(frame != "", None)
        elif fmt == "jsonl":
            frame = _normalise(_read_jsonl(path))
        else:
            frame = _normalise(pq.read_table(path).to_pandas())
    except InputFileError:
        raise
    except Exception as exc:  # the parsers raise many types; the user needs the file and cause
        raise InputFileError(f"{path}: cannot be read as {fmt}: {exc}") from exc
    return RawFile(
        path=path,
        entity=entity,
        sha256=file_sha256(path),
        rows=_conform_columns(frame, entity, str(path)),
    )


def _conform_columns(frame: pd.DataFrame, entity: Entity, where: str) -> pd.DataFrame:
    known = {f.name for f in ENTITY_FIELDS[entity]}
    unknown = sorted(set(frame.columns) - known)
    if unknown:
        raise InputFileError(
            f"{where}: unknown columns {unknown} for entity {entity.value!r}; "
            f"known columns: {sorted(known)} (see docs/data-model.md)"
        )
    missing = [f.name for f in ENTITY_FIELDS[entity] if f.required and f.name not in frame.columns]
    if missing:
        raise InputFileError(f"{where}: required columns {missing} are absent")
    for f in ENTITY_FIELDS[entity]:
        if f.name not in frame.columns:
            frame[f.name] = None
    frame = frame[[f.name for f in ENTITY_FIELDS[entity]]]
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="row_number")
    return frame


def raw_from_records(entity: Entity, records: list[dict[str, object]], name: str) -> RawFile:
    """A batch pushed as JSON objects (the API), read like a JSON Lines file named ``name``.

    Keys must be known columns of ``entity``; absent optional keys mean missing values.
    """
    payload = json.dumps(records, sort_keys=True, ensure_ascii=False, default=str).encode()
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    frame = _normalise(frame.astype(object)) if len(frame.columns) else frame
    rows = _conform_columns(frame, entity, name)
    return RawFile(
        path=Path(name), entity=entity, sha256=hashlib.sha256(payload).hexdigest(), rows=rows
    )
