"""A world simulated in chunks: the same files and shapes, ids distinct across chunks, bounded."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from footprint.directions import direction_codes as run_codes
from simulator import SimulationConfig, simulate
from simulator import run as sim_run
from simulator.config import MIN_CHUNK
from simulator.stats import load_frames

CHUNKED = SimulationConfig(participants=2_000, seasons=2, seed=4, chunk_size=MIN_CHUNK)


def _sources(out: Path) -> dict[str, str]:
    return {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


@given(
    participants=st.integers(min_value=200, max_value=5_000_000),
    chunk_size=st.integers(min_value=MIN_CHUNK, max_value=1_000_000),
)
def test_chunk_sizes_cover_the_world_in_near_equal_bounded_pieces(
    participants: int, chunk_size: int
) -> None:
    sizes = SimulationConfig(participants=participants, chunk_size=chunk_size).chunk_sizes()
    assert sum(sizes) == participants
    assert max(sizes) <= chunk_size
    assert max(sizes) - min(sizes) <= 1
    assert len(sizes) == -(-participants // chunk_size)


def test_a_world_that_fits_one_chunk_is_the_unchunked_world(tmp_path: Path) -> None:
    small = SimulationConfig(participants=1_200, seasons=1, seed=2, chunk_size=1_200)
    simulate(small, tmp_path / "one", progress=False)
    simulate(small.model_copy(update={"chunk_size": 250_000}), tmp_path / "big", progress=False)
    assert _sources(tmp_path / "one") == _sources(tmp_path / "big")


@pytest.fixture(scope="module")
def chunked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("chunked") / "world"
    summary = simulate(CHUNKED, out, progress=False)
    return out, summary.rows


def test_chunked_world_has_the_files_and_columns_of_an_unchunked_one(
    chunked: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    out, rows = chunked
    whole = simulate(
        CHUNKED.model_copy(update={"chunk_size": 250_000}), tmp_path / "whole", progress=False
    )
    assert set(rows) == set(whole.rows)
    for rel in rows:
        a, b = pd.read_parquet(out / rel), pd.read_parquet(tmp_path / "whole" / rel)
        assert list(a.columns) == list(b.columns), rel
        assert dict(a.dtypes) == dict(b.dtypes), rel
    assert rows["sources/platform/participants.parquet"] == CHUNKED.participants
    assert rows["sources/platform/directions.parquet"] == len(run_codes())


def test_ids_stay_distinct_and_references_resolve_across_chunks(
    chunked: tuple[Path, dict[str, int]],
) -> None:
    frames = load_frames(chunked[0])
    people, acts = frames["participants"], frames["activities"]
    assert people["participant_id"].is_unique
    assert people["participant_id"].str.len().nunique() == 1
    assert acts["activity_id"].is_unique
    # the second chunk ran its own editions, the olympiad is planned once per season
    assert acts["activity_id"].str.endswith("-c2").any()
    olympiad = acts[acts["activity_id"].str.startswith("a-nti-")]
    assert not olympiad["activity_id"].str.contains("-c2").any()
    edges = frames["activity_edges"]
    assert set(edges["from_activity_id"]) | set(edges["to_activity_id"]) <= set(acts["activity_id"])
    ach = frames["achievements"]
    assert set(ach["participant_id"]) <= set(people["participant_id"])
    assert set(ach["activity_id"]) <= set(acts["activity_id"])
    for _, group in ach.groupby("source"):
        numbers = group["source_record_id"].str[-8:].astype(int).sort_values()
        assert numbers.tolist() == list(range(1, len(group) + 1))
    # chunk k holds participant numbers k*1000 .. k*1000+999; a team number is never reused
    teamed = ach.dropna(subset=["team_id"])
    chunk_of = teamed["participant_id"].str[1:].astype(int) // MIN_CHUNK
    assert chunk_of.nunique() == 2
    assert (chunk_of.groupby(teamed["team_id"]).nunique() == 1).all()
    finals = olympiad[olympiad["activity_id"].str.endswith("-final")]
    entrants = ach[ach["activity_id"].isin(finals["activity_id"])].groupby("activity_id").size()
    assert (finals.set_index("activity_id")["capacity"].reindex(entrants.index) >= entrants).all()


def test_no_chunk_holds_more_than_chunk_size_participants(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    draw = sim_run.draw_population

    def spy(config: SimulationConfig, *args: object, **kwargs: object) -> object:
        seen.append(config.participants)
        return draw(config, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sim_run, "draw_population", spy)
    config = CHUNKED.model_copy(update={"participants": 2_500, "seasons": 1})
    simulate(config, tmp_path / "w", progress=False)
    assert seen == [834, 833, 833]
