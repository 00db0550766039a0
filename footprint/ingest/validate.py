"""Row validation: parse raw strings into typed columns and name every bad row, field and reason.

Vectorised over whole columns (millions of rows in seconds). Each problem becomes one
:class:`Problem` row; a row with any problem is quarantined and never reaches the store. The checks
are driven by the declarative specs in ``fields.py``; cross-field rules per entity live below them.
(pandera was tried for this stage; its coercion errors do not say, in our words, which value was
wrong and why, and quarantine reasons are read by people fixing exports.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from footprint.columns import Columns as C
from footprint.directions import direction_codes
from footprint.enums import Entity, Format, ModerationStatus
from footprint.ingest.fields import ENTITY_FIELDS, FieldSpec, FieldType

PROBLEM_COLUMNS = ["row_number", "field", "reason_code", "reason"]
TRUE_WORDS = {"true", "1", "yes", "t", "y"}
FALSE_WORDS = {"false", "0", "no", "f", "n"}
WEIGHT_TOLERANCE = 0.01
# integer fields are stored as 32-bit INTEGER columns (PostgreSQL's int4); anything wider is
# quarantined as out of range instead of failing the cast (2**63 used to crash the whole file)
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


@dataclass(frozen=True)
class DateWindow:
    """The plausible dates: anything outside is quarantined as ``implausible_date``."""

    earliest: dt.datetime
    latest: dt.datetime

    @classmethod
    def around(cls, now: dt.datetime, earliest: dt.date, years_ahead: int) -> DateWindow:
        return cls(
            dt.datetime.combine(earliest, dt.time()),
            now + dt.timedelta(days=round(365.25 * years_ahead)),
        )


@dataclass(frozen=True)
class Validated:
    """Typed rows that passed, and the problems of those that did not (by 1-based row number)."""

    rows: pd.DataFrame
    problems: pd.DataFrame


def _quote(value: object, limit: int = 60) -> str:
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _problems(rows: pd.Index, field: str, code: str, reasons: pd.Series | str) -> pd.DataFrame:
    reason = reasons if isinstance(reasons, pd.Series) else pd.Series(reasons, index=rows)
    return pd.DataFrame(
        {"row_number": rows, "field": field, "reason_code": code, "reason": reason.loc[rows].values}
    )


def _number_text(v: object) -> str:
    """Exact text of a typed number; integral floats lose ``.0`` so integer fields accept them."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return repr(v) if isinstance(v, float) else str(v)


def _typed_as_text(raw: pd.Series, spec: FieldSpec) -> pd.Series | None:
    """A typed column (Parquet, JSON) that fits ``spec`` without parsing, as its parsed value;
    ``None`` when the column must go through text parsing."""
    if spec.type is FieldType.TIMESTAMP and pd.api.types.is_datetime64_any_dtype(raw):
        return raw.astype("datetime64[us]")
    if spec.type is FieldType.BOOLEAN and pd.api.types.is_bool_dtype(raw):
        return raw.astype("boolean")
    return None


def _outside_window(value: pd.Series, spec: FieldSpec, window: DateWindow) -> pd.DataFrame:
    lo, hi = pd.Timestamp(window.earliest), pd.Timestamp(window.latest)
    outside = value.notna() & ((value < lo) | (value > hi))
    idx = value.index[outside.fillna(False).astype(bool)]
    span = f"{lo.date().isoformat()} .. {hi.date().isoformat()}"
    return _problems(
        idx,
        spec.name,
        "implausible_date",
        value.loc[idx].map(
            lambda v: f"{spec.name} {v.isoformat()} is outside the plausible dates {span}"
        ),
    )


def _parse_field(
    raw: pd.Series, spec: FieldSpec, window: DateWindow | None = None
) -> tuple[pd.Series, list[pd.DataFrame]]:
    value, out = _parse_value(raw, spec)
    if spec.type is FieldType.TIMESTAMP and window is not None:
        found = _outside_window(value, spec, window)
        if len(found):
            out.append(found)
            value = value.where(~value.index.isin(found["row_number"]))
    return value, out


def _parse_value(raw: pd.Series, spec: FieldSpec) -> tuple[pd.Series, list[pd.DataFrame]]:
    out: list[pd.DataFrame] = []
    typed = _typed_as_text(raw, spec)
    if typed is not None:
        if spec.required and typed.isna().any():
            out.append(
                _problems(
                    typed.index[typed.isna()],
                    spec.name,
                    "missing_required",
                    f"{spec.name} is required",
                )
            )
        return typed, out
    if pd.api.types.is_numeric_dtype(raw) or pd.api.types.is_bool_dtype(raw):
        raw = (
            raw.astype(object)
            .where(raw.notna(), None)
            .map(lambda v: v if v is None else _number_text(v))
        )
    text = raw.astype(object).where(raw.isna(), raw.astype(str).str.strip())
    present = text.notna() & (text != "")
    text = text.where(present, None)
    if spec.required:
        missing = text.index[~present]
        if len(missing):
            out.append(
                _problems(missing, spec.name, "missing_required", f"{spec.name} is required")
            )
    if spec.type is FieldType.STRING:
        value = text
        too_long = present & (text.str.len() > spec.max_length)
        if too_long.any():
            out.append(
                _problems(
                    text.index[too_long.fillna(False)],
                    spec.name,
                    "too_long",
                    f"{spec.name} is longer than {spec.max_length} characters",
                )
            )
        if spec.pattern is not None:
            unmatched = present & ~text.str.fullmatch(spec.pattern).fillna(False).astype(bool)
            if unmatched.any():
                idx = text.index[unmatched]
                out.append(
                    _problems(
                        idx,
                        spec.name,
                        "bad_format",
                        text.loc[idx].map(
                            lambda v: f"{spec.name} {_quote(v)} is not {spec.pattern_hint}"
                        ),
                    )
                )
    elif spec.type in (FieldType.INTEGER, FieldType.NUMBER):
        value = pd.to_numeric(text, errors="coerce").astype("float64")
        bad = present & (value.isna() | ~np.isfinite(value))
        kind = "an integer" if spec.type is FieldType.INTEGER else "a number"
        if spec.type is FieldType.INTEGER:
            bad |= present & value.notna() & (value != np.round(value))
        if bad.any():
            idx = text.index[bad]
            out.append(
                _problems(
                    idx,
                    spec.name,
                    "not_integer" if spec.type is FieldType.INTEGER else "not_number",
                    text.loc[idx].map(lambda v: f"{spec.name} {_quote(v)} is not {kind}"),
                )
            )
        value = value.where(~bad)
        lo = -np.inf if spec.min_value is None else spec.min_value
        hi = np.inf if spec.max_value is None else spec.max_value
        if spec.min_value is None:
            bounds = f"at most {hi:g}"
        elif spec.max_value is None:
            bounds = f"at least {lo:g}"
        else:
            bounds = f"between {lo:g} and {hi:g}"
        wide = pd.Series(False, index=value.index)
        if spec.type is FieldType.INTEGER:
            wide = value.notna() & ((value < INT_MIN) | (value > INT_MAX))
        outside = value.notna() & ((value < lo) | (value > hi))
        if (outside | wide).any():
            idx = value.index[outside | wide]
            out.append(
                _problems(
                    idx,
                    spec.name,
                    "out_of_range",
                    value.loc[idx].map(
                        lambda v: (
                            f"{spec.name} {v:g} is not {bounds}"
                            if v < lo or v > hi
                            else f"{spec.name} {v:.0f} does not fit a 32-bit integer"
                        )
                    ),
                )
            )
            value = value.where(~(outside | wide))
        if spec.type is FieldType.INTEGER:
            value = value.round().astype("Int64")
        else:
            value = value.astype("Float64")
    elif spec.type is FieldType.BOOLEAN:
        lowered = text.str.lower()
        value = pd.Series(pd.NA, index=text.index, dtype="boolean")
        value[lowered.isin(TRUE_WORDS).fillna(False)] = True
        value[lowered.isin(FALSE_WORDS).fillna(False)] = False
        bad = present & value.isna()
        if bad.any():
            idx = text.index[bad]
            out.append(
                _problems(
                    idx,
                    spec.name,
                    "not_boolean",
                    text.loc[idx].map(lambda v: f"{spec.name} {_quote(v)} is not true or false"),
                )
            )
    else:  # TIMESTAMP
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
        value = parsed.dt.tz_convert(None).astype("datetime64[us]")
        bad = present & value.isna()
        if bad.any():
            idx = text.index[bad]
            out.append(
                _problems(
                    idx,
                    spec.name,
                    "not_timestamp",
                    text.loc[idx].map(
                        lambda v: f"{spec.name} {_quote(v)} is not an ISO 8601 date or timestamp"
                    ),
                )
            )
    if spec.choices is not None:
        unknown = present & ~text.isin(spec.choices)
        if unknown.any():
            idx = text.index[unknown]
            allowed = ", ".join(spec.choices)
            out.append(
                _problems(
                    idx,
                    spec.name,
                    "unknown_value",
                    text.loc[idx].map(
                        lambda v: f"{spec.name} {_quote(v)} is not one of: {allowed}"
                    ),
                )
            )
    return value, out


def parse_directions(
    text: pd.Series, known: Collection[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse ``code:weight;code:weight`` cells into long form, and name malformed cells.

    Returns the long frame (row_number, direction, weight) and the ``directions`` problems.
    ``known`` are the direction codes the store holds (the configured defaults when None).
    """
    codes = set(direction_codes() if known is None else known)
    present = text.dropna().astype(str)
    if present.empty:  # nothing to parse; missing cells are reported as missing_required
        empty = pd.DataFrame(
            {
                "row_number": pd.Series(dtype="int64"),
                C.DIRECTION: pd.Series(dtype=object),
                C.WEIGHT: pd.Series(dtype="float64"),
            }
        )
        return empty, pd.DataFrame(columns=PROBLEM_COLUMNS)
    parts = present.str.split(";").explode().str.strip()
    parts = parts[parts != ""]
    pair = parts.str.split(":", n=1, expand=True).reindex(columns=[0, 1])
    long = pd.DataFrame(
        {
            "row_number": parts.index,
            C.DIRECTION: pair[0].str.strip().values,
            C.WEIGHT: pd.to_numeric(pair[1], errors="coerce").values,
        }
    )
    reasons: dict[int, str] = {}
    for row in long.loc[long[C.WEIGHT].isna(), "row_number"]:
        reasons.setdefault(int(row), "directions must be code:weight pairs separated by ';'")
    for row, code in long.loc[~long[C.DIRECTION].isin(codes), ["row_number", C.DIRECTION]].values:
        reasons.setdefault(
            int(row),
            f"direction {code!r} is not one of: {', '.join(sorted(codes))} "
            "(a new direction is ingested first, in directions.csv)",
        )
    bad_w = (long[C.WEIGHT] <= 0) | (long[C.WEIGHT] > 1)
    for row in long.loc[bad_w, "row_number"]:
        reasons.setdefault(int(row), "direction weights must be in (0, 1]")
    for row in long.loc[long.duplicated(["row_number", C.DIRECTION]), "row_number"]:
        reasons.setdefault(int(row), "a direction is listed twice")
    sums = long.groupby("row_number")[C.WEIGHT].sum()
    off = sums[(sums - 1).abs() > WEIGHT_TOLERANCE]
    for row, total in zip(off.index.astype(int), off.to_numpy(), strict=True):
        reasons.setdefault(int(row), f"direction weights sum to {total:g}, not 1")
    problems = pd.DataFrame(
        {
            "row_number": list(reasons),
            "field": C.DIRECTIONS,
            "reason_code": "bad_directions",
            "reason": list(reasons.values()),
        },
        columns=PROBLEM_COLUMNS,
    )
    return long[~long["row_number"].isin(reasons)].reset_index(drop=True), problems


def _rule(frame: pd.DataFrame, mask: pd.Series, field: str, code: str, reason: str) -> pd.DataFrame:
    mask = mask.fillna(False).astype(bool)
    return _problems(frame.index[mask], field, code, reason)


def _cross_field(entity: Entity, t: pd.DataFrame, codes: set[str]) -> list[pd.DataFrame]:
    out: list[pd.DataFrame] = []
    if entity is Entity.ACTIVITIES:
        out.append(
            _rule(
                t,
                t[C.END_AT] < t[C.START_AT],
                C.END_AT,
                "inconsistent",
                "end_at is before start_at",
            )
        )
        out.append(
            _rule(
                t,
                t[C.REGISTRATION_DEADLINE] > t[C.END_AT],
                C.REGISTRATION_DEADLINE,
                "inconsistent",
                "registration_deadline is after end_at",
            )
        )
        out.append(
            _rule(
                t,
                t[C.GRADE_MIN] > t[C.GRADE_MAX],
                C.GRADE_MAX,
                "inconsistent",
                "grade_max is below grade_min",
            )
        )
        out.append(
            _rule(
                t,
                (t[C.FORMAT] == Format.OFFLINE) & t[C.REGION].isna(),
                C.REGION,
                "missing_required",
                "region is required for an offline activity",
            )
        )
    elif entity is Entity.ACHIEVEMENTS:
        out.append(
            _rule(
                t,
                (t[C.STATUS] != ModerationStatus.PENDING) & t[C.STATUS_CHANGED_AT].isna(),
                C.STATUS_CHANGED_AT,
                "missing_required",
                "status_changed_at is required when status is not pending",
            )
        )
        out.append(
            _rule(
                t,
                t[C.RECORDED_AT] < t[C.ACHIEVED_AT],
                C.RECORDED_AT,
                "inconsistent",
                "recorded_at is before achieved_at: a result cannot be known before it happened",
            )
        )
    elif entity is Entity.ACTIVITY_EDGES:
        out.append(
            _rule(
                t,
                t[C.FROM_ACTIVITY_ID] == t[C.TO_ACTIVITY_ID],
                C.TO_ACTIVITY_ID,
                "inconsistent",
                "an edge cannot link an activity to itself",
            )
        )
    elif entity is Entity.PARTICIPANTS:
        interests = t[C.DECLARED_INTERESTS].dropna().str.split(";").explode().str.strip()
        bad = interests[~interests.isin(codes) & (interests != "")]
        out.append(
            _problems(
                pd.Index(bad.index.unique()),
                C.DECLARED_INTERESTS,
                "unknown_value",
                f"declared_interests must be ';'-separated codes of: {', '.join(sorted(codes))}",
            )
        )
    return out


def validate(
    entity: Entity,
    raw: pd.DataFrame,
    window: DateWindow | None = None,
    directions: Collection[str] | None = None,
) -> Validated:
    """Parse and check ``raw`` (strings, index = row numbers) as rows of ``entity``; with a
    ``window``, dates outside it are quarantined. ``directions`` are the codes the store knows
    (:func:`footprint.directions.store_directions`; the configured defaults when None)."""
    codes = set(direction_codes() if directions is None else directions)
    typed: dict[str, pd.Series] = {}
    problems: list[pd.DataFrame] = []
    for spec in ENTITY_FIELDS[entity]:
        typed[spec.name], found = _parse_field(raw[spec.name], spec, window)
        problems.extend(found)
    frame = pd.DataFrame(typed, index=raw.index)
    if entity is Entity.ACTIVITIES:
        long, bad_directions = parse_directions(frame[C.DIRECTIONS], codes)
        problems.append(bad_directions)
        frame.attrs["directions_long"] = long
    problems.extend(_cross_field(entity, frame, codes))
    found_all = pd.concat(
        [p for p in problems if len(p)] or [pd.DataFrame(columns=PROBLEM_COLUMNS)]
    )
    found_all = found_all.drop_duplicates(["row_number", "field"]).sort_values(
        ["row_number", "field"], kind="stable"
    )
    good = frame.loc[~frame.index.isin(found_all["row_number"])]
    if entity is Entity.ACTIVITIES:
        long = frame.attrs["directions_long"]
        good.attrs["directions_long"] = long[long["row_number"].isin(good.index)]
    return Validated(rows=good, problems=found_all.reset_index(drop=True))
