"""Every kind of bad row is quarantined with its field and a clear reason; good rows go through."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text

from core.errors import InputFileError
from footprint.enums import Entity
from footprint.ingest.reader import read_raw
from footprint.ingest.run import ingest_file, ingest_path
from footprint.ingest.validate import validate
from footprint.store import Store
from tests.footprint.factory import achievement, activity, participant, small_world, write


def _raw(entity: str, rows: list[dict[str, str]], tmp_path: Path) -> pd.DataFrame:
    return read_raw(write(tmp_path, entity, rows)).rows


@pytest.mark.parametrize(
    ("entity", "row", "field", "code", "phrase"),
    [
        (
            "participants",
            participant("x", grade="eleven"),
            "grade",
            "not_integer",
            "'eleven' is not an integer",
        ),
        ("participants", participant("x", grade="12"), "grade", "out_of_range", "between 1 and 11"),
        ("participants", participant("x", grade="8.5"), "grade", "not_integer", "not an integer"),
        (
            "participants",
            participant("x", registered_at="2025-13-45"),
            "registered_at",
            "not_timestamp",
            "not an ISO 8601",
        ),
        (
            "participants",
            participant("x", consent_status="maybe"),
            "consent_status",
            "unknown_value",
            "not one of: given, withdrawn",
        ),
        ("participants", participant("x", region=""), "region", "missing_required", "required"),
        (
            "participants",
            participant("x", declared_interests="python;cooking"),
            "declared_interests",
            "unknown_value",
            "codes of",
        ),
        ("participants", participant("x" * 65), "participant_id", "too_long", "longer than 64"),
        (
            "activities",
            activity("a", directions="python:0.5"),
            "directions",
            "bad_directions",
            "sum to 0.5",
        ),
        (
            "activities",
            activity("a", directions="chess:1"),
            "directions",
            "bad_directions",
            "'chess'",
        ),
        (
            "activities",
            activity("a", directions="python"),
            "directions",
            "bad_directions",
            "code:weight",
        ),
        (
            "activities",
            activity("a", end_at="2025-09-01"),
            "end_at",
            "inconsistent",
            "before start_at",
        ),
        ("activities", activity("a", format="offline"), "region", "missing_required", "offline"),
        (
            "activities",
            activity("a", grade_min="9", grade_max="7"),
            "grade_max",
            "inconsistent",
            "below grade_min",
        ),
        ("activities", activity("a", is_team="maybe"), "is_team", "not_boolean", "true or false"),
        ("activities", activity("a", max_score="-3"), "max_score", "out_of_range", "at least"),
        (
            "achievements",
            achievement("r", "p", "a", result="champion"),
            "result",
            "unknown_value",
            "'champion'",
        ),
        (
            "achievements",
            achievement("r", "p", "a", score="lots"),
            "score",
            "not_number",
            "not a number",
        ),
        (
            "achievements",
            achievement("r", "p", "a", status="verified", status_changed_at=""),
            "status_changed_at",
            "missing_required",
            "not pending",
        ),
        (
            "achievements",
            achievement("r", "p", "a", rank="0"),
            "rank",
            "out_of_range",
            "at least 1",
        ),
        (
            "activity_edges",
            {"from_activity_id": "a", "to_activity_id": "a", "edge_type": "selection"},
            "to_activity_id",
            "inconsistent",
            "itself",
        ),
    ],
)
def test_bad_field_names_row_field_and_reason(
    tmp_path: Path, entity: str, row: dict[str, str], field: str, code: str, phrase: str
) -> None:
    good = {
        "participants": participant("ok"),
        "activities": activity("ok"),
        "achievements": achievement("ok", "p", "a"),
        "activity_edges": {
            "from_activity_id": "a",
            "to_activity_id": "b",
            "edge_type": "selection",
        },
    }[entity]
    checked = validate(Entity(entity), _raw(entity, [good, row], tmp_path))
    assert list(checked.rows.index) == [1]
    problems = checked.problems[checked.problems["row_number"] == 2]
    hit = problems[problems["field"] == field]
    assert len(hit) == 1, problems
    assert hit["reason_code"].item() == code
    assert phrase in hit["reason"].item()


def test_typed_values_are_parsed(tmp_path: Path) -> None:
    raw = _raw(
        "activities",
        [activity("a", start_at="2025-10-01T10:30:00Z", is_team="TRUE", capacity="300")],
        tmp_path,
    )
    checked = validate(Entity.ACTIVITIES, raw)
    row = checked.rows.iloc[0]
    assert row["start_at"] == pd.Timestamp("2025-10-01 10:30:00")
    assert bool(row["is_team"]) is True
    assert row["capacity"] == 300
    long = checked.rows.attrs["directions_long"]
    assert long[["direction", "weight"]].values.tolist() == [["python", 1.0]]


def test_unknown_column_refuses_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "participants", [participant("p1") | {"full_name": "Иван"}])
    with pytest.raises(InputFileError, match="unknown columns \\['full_name'\\]"):
        read_raw(path)


def test_missing_required_column_refuses_the_file(tmp_path: Path) -> None:
    row = participant("p1")
    del row["grade"]
    with pytest.raises(InputFileError, match="required columns \\['grade'\\]"):
        read_raw(write(tmp_path, "participants", [row]))


def test_unknown_entity_name(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("a\n1\n")
    with pytest.raises(InputFileError, match="cannot tell the entity"):
        read_raw(path)


def test_reference_errors_are_quarantined_and_good_rows_stored(
    store: Store, tmp_path: Path
) -> None:
    small_world(tmp_path / "w")
    ingest_path(store, tmp_path / "w", "platform")
    bad = write(
        tmp_path / "b",
        "achievements",
        [
            achievement("n1", "p1", "a1", result="winner", score="90"),
            achievement("n2", "ghost", "a1"),
            achievement("n3", "p1", "nowhere"),
            achievement("n4", "p2", "a1", score="101"),
            achievement("n1", "p2", "a1", result="winner"),
        ],
    )
    summary = ingest_file(store, bad, "olympiad_org")
    assert (summary.added, summary.quarantined) == (1, 4)
    with store.engine.connect() as conn:
        q = conn.execute(
            text(
                "SELECT row_number, field, reason_code, raw_row FROM quarantine ORDER BY row_number"
            )
        ).all()
    assert [(r[0], r[1], r[2]) for r in q] == [
        (2, "participant_id", "unknown_participant"),
        (3, "activity_id", "unknown_activity"),
        (4, "score", "out_of_range"),
        (5, "source_record_id", "duplicate_in_file"),
    ]
    assert '"participant_id": "ghost"' in q[0][3]


def test_file_without_any_directions_is_quarantined_not_crashed(tmp_path: Path) -> None:
    """Regression: parse_directions raised AttributeError when no row had directions."""
    rows = [activity("a", directions=""), activity("b", directions="")]
    checked = validate(Entity.ACTIVITIES, _raw("activities", rows, tmp_path))
    assert checked.rows.empty
    assert set(checked.problems["reason_code"]) == {"missing_required"}
    assert set(checked.problems["field"]) == {"directions"}
