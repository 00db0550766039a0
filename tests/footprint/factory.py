"""Tiny hand-written footprint rows for tests, and a writer in any ingestion format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from footprint.enums import Entity
from footprint.ingest.fields import field_names


def participant(pid: str, **over: Any) -> dict[str, Any]:
    row = {
        "participant_id": pid,
        "grade": "8",
        "grade_year": "2025",
        "region": "RU-MOW",
        "school_id": "s1",
        "registered_at": "2025-09-01",
        "account_verified_at": "2025-09-02",
        "declared_interests": "python",
        "consent_status": "given",
        "consent_changed_at": "",
    }
    return row | over


def activity(aid: str, **over: Any) -> dict[str, Any]:
    row = {
        "activity_id": aid,
        "series_id": f"series-{aid}",
        "title": "Олимпиада",
        "kind": "olympiad_stage_individual",
        "directions": "python:1",
        "level": "national",
        "format": "online",
        "region": "",
        "start_at": "2025-10-01",
        "end_at": "2025-10-20",
        "registration_deadline": "2025-09-28",
        "grade_min": "5",
        "grade_max": "11",
        "capacity": "",
        "max_score": "100",
        "is_team": "false",
        "olympiad_list_level": "1",
        "published_at": "2025-06-01",
    }
    return row | over


def achievement(rid: str, pid: str, aid: str, **over: Any) -> dict[str, Any]:
    row = {
        "source_record_id": rid,
        "participant_id": pid,
        "activity_id": aid,
        "team_id": "",
        "result": "participant",
        "score": "50",
        "rank": "10",
        "evidence": "",
        "status": "verified",
        "status_changed_at": "2025-10-25",
        "achieved_at": "2025-10-20",
        "recorded_at": "2025-10-21",
    }
    return row | over


def write(folder: Path, entity: Entity | str, rows: list[dict[str, Any]], fmt: str = "csv") -> Path:
    """Write ``rows`` as ``folder/<entity>.<fmt>``; empty strings become missing values."""
    entity = Entity(entity)
    folder.mkdir(parents=True, exist_ok=True)
    cols = list(rows[0]) if rows else list(field_names(entity))
    frame = pd.DataFrame(rows, columns=cols)
    path = folder / f"{entity.value}.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "jsonl":
        with path.open("w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps({k: v for k, v in r.items() if v != ""}, ensure_ascii=False))
                fh.write("\n")
    else:
        frame.astype(object).where(frame != "", None).astype("string").to_parquet(path)
    return path


def small_world(folder: Path, fmt: str = "csv") -> Path:
    """Two participants, two linked activities and three achievements, all valid."""
    write(folder, "participants", [participant("p1"), participant("p2", grade="10")], fmt)
    write(
        folder,
        "activities",
        [
            activity("a1"),
            activity(
                "a2",
                kind="olympiad_final",
                format="offline",
                region="RU-MOW",
                start_at="2026-03-01",
                end_at="2026-03-05",
                registration_deadline="",
                directions="python:0.6;robotics:0.4",
                published_at="2025-06-01",
            ),
        ],
        fmt,
    )
    write(
        folder,
        "activity_edges",
        [{"from_activity_id": "a1", "to_activity_id": "a2", "edge_type": "selection"}],
        fmt,
    )
    write(
        folder,
        "achievements",
        [
            achievement("r1", "p1", "a1", result="prize_winner", score="80"),
            achievement("r2", "p2", "a1", status="pending", status_changed_at=""),
            achievement(
                "r3",
                "p1",
                "a2",
                result="finalist",
                score="40",
                achieved_at="2026-03-05",
                recorded_at="2026-03-07",
                status_changed_at="2026-03-10",
            ),
        ],
        fmt,
    )
    return folder
