"""Messy mode injects each kind of mess at about its rate, and clean mode injects none.

Every check finds the mess in the written files by itself (the way ingestion would) and then
compares with the counts the manifest reports.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from footprint.columns import Columns as C
from footprint.enums import Entity, ModerationStatus, Result
from simulator.kinds import Source
from simulator.stats import manifest, read_table, source_file

from .conftest import MESSY

REQUIRED = (
    C.SOURCE_RECORD_ID,
    C.PARTICIPANT_ID,
    C.ACTIVITY_ID,
    C.RESULT,
    C.STATUS,
    C.ACHIEVED_AT,
    C.RECORDED_AT,
)
ACHIEVEMENT_SOURCES = (Source.OLYMPIAD, Source.COURSES, Source.EVENTS, Source.PLATFORM)
RATE = MESSY.messy_rates.malformed


def _frame(out: Path, source: Source, entity: Entity) -> pd.DataFrame:
    return read_table(source_file(out, source, entity)).to_pandas()


def _bad_dates(values: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(values, format="ISO8601", errors="coerce")
    return values.notna() & parsed.isna()


def _detect(df: pd.DataFrame, activities: pd.DataFrame) -> dict[str, pd.Series]:
    """Rows with each kind of defect, found from the values alone."""
    max_score = pd.to_numeric(activities.set_index(C.ACTIVITY_ID)[C.MAX_SCORE])
    cap = df[C.ACTIVITY_ID].map(max_score)
    score = pd.to_numeric(df[C.SCORE], errors="coerce")
    return {
        "bad_date": _bad_dates(df[C.ACHIEVED_AT]) | _bad_dates(df[C.RECORDED_AT]),
        "unknown_enum": (df[C.RESULT].notna() & ~df[C.RESULT].isin([r.value for r in Result]))
        | (df[C.STATUS].notna() & ~df[C.STATUS].isin([s.value for s in ModerationStatus])),
        "unknown_activity": df[C.ACTIVITY_ID].notna()
        & ~df[C.ACTIVITY_ID].isin(activities[C.ACTIVITY_ID]),
        "missing_required": df[list(REQUIRED)].isna().any(axis=1),
        "score_above_max": score > cap,
    }


def test_messy_files_are_all_strings(messy_dir: Path) -> None:
    for path in (messy_dir / "sources").rglob("*.parquet"):
        schema = read_table(path).schema
        assert all(pa.types.is_string(t) for t in schema.types), path


@pytest.mark.parametrize("source", ACHIEVEMENT_SOURCES)
def test_each_malformed_kind_at_about_half_a_percent(messy_dir: Path, source: Source) -> None:
    activities = _frame(messy_dir, Source.PLATFORM, Entity.ACTIVITIES)
    df = _frame(messy_dir, source, Entity.ACHIEVEMENTS)
    found = _detect(df, activities)
    reported = manifest(messy_dir)["messy"]["by_file"][f"{source.value}/achievements"]
    for kind, rows in found.items():
        assert rows.sum() == reported[kind], kind
        assert rows.sum() == pytest.approx(RATE * len(df), abs=1.5), kind
    hits = pd.concat(found, axis=1).sum(axis=1)
    assert hits.max() == 1, "a malformed row has exactly one defect"


def test_unparseable_grades(messy_dir: Path) -> None:
    p = _frame(messy_dir, Source.PLATFORM, Entity.PARTICIPANTS)
    bad = ~p[C.GRADE].str.fullmatch(r"\d+")
    assert bad.sum() == pytest.approx(RATE * len(p), abs=1)
    assert bad.sum() == manifest(messy_dir)["messy"]["totals"]["unparseable_grade"]


def test_duplicates_across_sources(messy_dir: Path) -> None:
    events = _frame(messy_dir, Source.EVENTS, Entity.ACHIEVEMENTS)
    platform = _frame(messy_dir, Source.PLATFORM, Entity.ACHIEVEMENTS)
    ids = _frame(messy_dir, Source.PLATFORM, Entity.IDENTITIES)
    alias = dict(zip(ids[C.SOURCE_PARTICIPANT_ID], ids[C.PARTICIPANT_ID], strict=True))
    canon = events[C.PARTICIPANT_ID].map(lambda x: alias.get(x, x))
    key = [C.PARTICIPANT_ID, C.ACTIVITY_ID, C.RESULT]
    events_keys = set(map(tuple, events.assign(**{C.PARTICIPANT_ID: canon})[key].to_numpy()))
    platform_keys = [tuple(k) for k in platform[key].to_numpy()]
    clean_rows = ~pd.concat(
        _detect(platform, _frame(messy_dir, Source.PLATFORM, Entity.ACTIVITIES)), axis=1
    ).any(axis=1)
    matched = [k in events_keys for k, ok in zip(platform_keys, clean_rows, strict=True) if ok]
    assert sum(matched) / len(matched) > 0.97, "platform re-exports events' achievements"
    assert len(platform) == pytest.approx(
        MESSY.messy_rates.duplicate_across_sources * len(events), abs=1
    )
    assert platform[C.SOURCE_RECORD_ID].str.startswith("r-pl-").all()
    assert platform[C.SOURCE_RECORD_ID].is_unique
    assert not set(platform[C.SOURCE_RECORD_ID]) & set(events[C.SOURCE_RECORD_ID])


def test_alias_ids_in_events_are_mapped(messy_dir: Path) -> None:
    events = _frame(messy_dir, Source.EVENTS, Entity.ACHIEVEMENTS)
    ids = _frame(messy_dir, Source.PLATFORM, Entity.IDENTITIES)
    people = set(_frame(messy_dir, Source.PLATFORM, Entity.PARTICIPANTS)[C.PARTICIPANT_ID])
    aliased = events[C.PARTICIPANT_ID].str.startswith("ev-", na=False)
    assert 0.01 < aliased.mean() < 0.08, "a few percent of events rows use an alias"
    assert set(events.loc[aliased, C.PARTICIPANT_ID]) <= set(ids[C.SOURCE_PARTICIPANT_ID])
    assert (ids[C.SOURCE] == Source.EVENTS.value).all()
    assert set(ids[C.PARTICIPANT_ID]) <= people
    assert not set(ids[C.SOURCE_PARTICIPANT_ID]) & people
    for source in (Source.OLYMPIAD, Source.COURSES, Source.PLATFORM):
        other = _frame(messy_dir, source, Entity.ACHIEVEMENTS)[C.PARTICIPANT_ID]
        assert not other.str.startswith("ev-", na=False).any()
    assert aliased.sum() == manifest(messy_dir)["messy"]["totals"]["alias_id"]


def test_missing_scores_pending_and_consents(messy_dir: Path) -> None:
    totals = manifest(messy_dir)["messy"]["totals"]
    df = pd.concat([_frame(messy_dir, s, Entity.ACHIEVEMENTS) for s in ACHIEVEMENT_SOURCES])
    pending = (df[C.STATUS] == ModerationStatus.PENDING.value).mean()
    assert pending > 0.05, "messy exports carry many pending verifications"
    assert totals["extra_pending"] > 0.03 * len(df)
    assert totals["missing_score"] > 0.03 * df[C.SCORE].notna().sum()
    consents = _frame(messy_dir, Source.PLATFORM, Entity.CONSENTS)
    people = _frame(messy_dir, Source.PLATFORM, Entity.PARTICIPANTS).set_index(C.PARTICIPANT_ID)
    assert 1 <= len(consents) == totals["consent_withdrawal"]
    assert (consents[C.CONSENT_STATUS] == "withdrawn").all()
    registered = pd.to_datetime(people.loc[consents[C.PARTICIPANT_ID], C.REGISTERED_AT])
    assert (pd.to_datetime(consents[C.CHANGED_AT]).to_numpy() >= registered.to_numpy()).all()


def test_clean_mode_injects_nothing(clean_dir: Path, clean: dict) -> None:
    totals = manifest(clean_dir)["messy"]["totals"]
    assert set(totals.values()) == {0}
    names = {
        p.relative_to(clean_dir / "sources").as_posix()
        for p in (clean_dir / "sources").rglob("*.*")
    }
    assert not any(re.match(r"platform/(identities|consents|achievements)\.", n) for n in names)
    activities = clean["activities"]
    for _, df in clean["achievements"].groupby(C.SOURCE):
        text = df.astype({C.ACHIEVED_AT: str, C.RECORDED_AT: str})
        for kind, rows in _detect(text, activities).items():
            assert not rows.any(), kind
        assert not df[C.PARTICIPANT_ID].str.startswith("ev-").any()
    assert clean["participants"][C.GRADE].between(5, 11).all()
