"""Benchmark of the contest rating: time ``models.rating.engine.rate`` on one season.

Usage::

    uv run python bench/rating.py --snapshot data/snapshots/<id> --season 2025/26
    uv run python bench/rating.py --synthetic 250000 --season 2025/26

The timing covers ``rate`` only (the rating table, thresholds and the coded contributions from which
explanations are built lazily), not loading the snapshot; ``--explain K`` also times building K
explanations. ``--synthetic N`` builds a vectorised, seeded stand-in world of N participants (about
4 achievements per participant per season over 4 seasons) for when no simulated snapshot exists.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from footprint.columns import Columns as C
from footprint.directions import direction_codes
from footprint.enums import ActivityKind, Level, ModerationStatus, Result
from footprint.frames import Snapshot
from models.rating.engine import rate
from models.rating.rules import load_rules

SEASONS = (2022, 2023, 2024, 2025)
KIND_SHARE = {
    ActivityKind.OLYMPIAD_STAGE_INDIVIDUAL: 0.10,
    ActivityKind.OLYMPIAD_STAGE_TEAM: 0.04,
    ActivityKind.OLYMPIAD_FINAL: 0.04,
    ActivityKind.HACKATHON: 0.18,
    ActivityKind.COMPETITION: 0.12,
    ActivityKind.PROJECT_CONTEST: 0.10,
    ActivityKind.PROJECT_SCHOOL: 0.10,
    ActivityKind.ONLINE_COURSE: 0.20,
    ActivityKind.TEST: 0.12,
}


def synthetic_snapshot(n_participants: int, seed: int = 20) -> Snapshot:
    """A seeded stand-in footprint: N participants, 4 seasons, chains of olympiad stages.

    Not the project's simulator (simulator): only shaped enough to load the engine with
    realistic volumes, skew (most take few events, some many), statuses, teams and chains.
    """
    rng = np.random.default_rng(seed)
    dirs = direction_codes()
    pids = np.char.add("p", np.arange(n_participants).astype(str))
    participants = pd.DataFrame(
        {
            C.PARTICIPANT_ID: pids,
            C.GRADE: rng.integers(5, 12, n_participants),
            C.GRADE_YEAR: 2025,
            C.REGION: "RU-MOW",
            C.SCHOOL_ID: None,
            C.REGISTERED_AT: pd.Timestamp("2022-06-01"),
            C.ACCOUNT_VERIFIED: rng.random(n_participants) < 0.9,
            C.DECLARED_INTERESTS: None,
        }
    )
    kinds = np.array(list(KIND_SHARE), dtype=object)
    n_act_season = max(50, n_participants // 25)
    n_act = n_act_season * len(SEASONS)
    kind = rng.choice(kinds, n_act, p=np.array(list(KIND_SHARE.values())))
    season_of = np.repeat(np.array(SEASONS), n_act_season)
    start = pd.to_datetime([f"{y}-09-01" for y in season_of]) + pd.to_timedelta(
        rng.integers(0, 270, n_act), unit="D"
    )
    levels = np.array([lv.value for lv in Level], dtype=object)
    has_score = rng.random(n_act) < 0.7
    aids = np.char.add("a", np.arange(n_act).astype(str))
    activities = pd.DataFrame(
        {
            C.ACTIVITY_ID: aids,
            C.SERIES_ID: aids,
            C.TITLE: "Мероприятие",
            C.KIND: [str(k) for k in kind],
            C.LEVEL: rng.choice(levels, n_act, p=[0.15, 0.2, 0.3, 0.3, 0.05]),
            C.FORMAT: "online",
            C.REGION: None,
            C.START_AT: start,
            C.END_AT: start + pd.Timedelta(days=3),
            C.REGISTRATION_DEADLINE: None,
            C.GRADE_MIN: 5,
            C.GRADE_MAX: 11,
            C.CAPACITY: None,
            C.MAX_SCORE: np.where(has_score, 100.0, np.nan),
            C.IS_TEAM: np.isin(kind, [ActivityKind.HACKATHON, ActivityKind.OLYMPIAD_STAGE_TEAM]),
            C.OLYMPIAD_LIST_LEVEL: pd.array(
                np.where(
                    np.char.startswith(kind.astype(str), "olympiad"), rng.integers(1, 4, n_act), 0
                ),
                dtype="Int16",
            ).astype("Int16"),
            C.PUBLISHED_AT: pd.Timestamp("2022-06-01"),
        }
    )
    activities.loc[activities[C.OLYMPIAD_LIST_LEVEL] == 0, C.OLYMPIAD_LIST_LEVEL] = pd.NA
    # directions: one main direction, a third of activities with a second one
    main = rng.integers(0, len(dirs), n_act)
    second = (main + rng.integers(1, len(dirs), n_act)) % len(dirs)
    two = rng.random(n_act) < 0.33
    ad = pd.DataFrame(
        {
            C.ACTIVITY_ID: np.r_[aids, aids[two]],
            C.DIRECTION: np.asarray(dirs, dtype=object)[np.r_[main, second[two]]],
            C.WEIGHT: np.r_[np.where(two, 0.7, 1.0), np.full(two.sum(), 0.3)],
        }
    )
    # chains: individual stage -> team stage -> final, among olympiad activities of one season
    edges = []
    for y in SEASONS:
        in_season = season_of == y
        st = np.flatnonzero(in_season & (kind == ActivityKind.OLYMPIAD_STAGE_INDIVIDUAL))
        tm = np.flatnonzero(in_season & (kind == ActivityKind.OLYMPIAD_STAGE_TEAM))
        fi = np.flatnonzero(in_season & (kind == ActivityKind.OLYMPIAD_FINAL))
        k = min(len(st), len(tm), len(fi))
        edges.append(np.c_[st[:k], tm[:k]])
        edges.append(np.c_[tm[:k], fi[:k]])
    e = np.concatenate(edges) if edges else np.zeros((0, 2), dtype=int)
    activity_edges = pd.DataFrame(
        {
            C.FROM_ACTIVITY_ID: aids[e[:, 0]],
            C.TO_ACTIVITY_ID: aids[e[:, 1]],
            C.EDGE_TYPE: "selection",
        }
    )
    # achievements: per participant and season a skewed count, activities by popularity
    per = rng.negative_binomial(1, 0.2, (n_participants, len(SEASONS)))  # mean 4, long tail
    counts = per.ravel()
    ach_pid = np.repeat(np.repeat(np.arange(n_participants), len(SEASONS)), counts)
    ach_season = np.repeat(np.tile(np.arange(len(SEASONS)), n_participants), counts)
    popularity = rng.pareto(1.2, n_act_season) + 1
    popularity /= popularity.sum()
    ach_act = ach_season * n_act_season + rng.choice(n_act_season, len(ach_pid), p=popularity)
    n = len(ach_pid)
    ach_kind = kind[ach_act]
    ratio = np.isin(ach_kind, [ActivityKind.ONLINE_COURSE, ActivityKind.TEST])
    other = rng.choice(
        [Result.WINNER, Result.PRIZE_WINNER, Result.FINALIST, Result.PARTICIPANT],
        n,
        p=[0.05, 0.15, 0.2, 0.6],
    )
    done = rng.choice([Result.COMPLETED, Result.NOT_COMPLETED], n, p=[0.7, 0.3])
    result = np.where(ratio, done, other)
    status = rng.choice(
        [ModerationStatus.VERIFIED, ModerationStatus.PENDING, ModerationStatus.REJECTED],
        n,
        p=[0.85, 0.1, 0.05],
    )
    achieved = activities[C.END_AT].to_numpy()[ach_act]
    score = np.where(has_score[ach_act], np.clip(rng.normal(55, 20, n), 0, 100).round(1), np.nan)
    achievements = pd.DataFrame(
        {
            C.ACHIEVEMENT_ID: np.char.add("r", np.arange(n).astype(str)),
            C.PARTICIPANT_ID: pids[ach_pid],
            C.ACTIVITY_ID: aids[ach_act],
            C.TEAM_ID: None,
            C.RESULT: [str(r) for r in result],
            C.SCORE: score,
            C.RANK: None,
            C.EVIDENCE: None,
            C.STATUS: [str(s) for s in status],
            C.STATUS_CHANGED_AT: achieved,
            C.ACHIEVED_AT: achieved,
            C.RECORDED_AT: achieved,
            C.N_SOURCES: 1,
        }
    )
    frames = {
        "participants": participants,
        "activities": activities,
        "activity_directions": ad,
        "activity_edges": activity_edges,
        "achievements": achievements,
    }
    return Snapshot.from_frames(
        dt.datetime(2026, 6, 30), frames, snapshot_id=f"synthetic-{n_participants}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--snapshot", type=Path, help="snapshot folder (footprint.snapshot)")
    source.add_argument("--synthetic", type=int, metavar="N", help="generate N participants")
    parser.add_argument("--season", default="2025/26")
    parser.add_argument("--rules", type=Path, default=None, help="rules TOML (default: shipped)")
    parser.add_argument("--provisional", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (the best is reported)")
    parser.add_argument(
        "--explain", type=int, default=0, metavar="K", help="also time K explanations"
    )
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    if args.snapshot is not None:
        from footprint.snapshot import load_snapshot

        snapshot = load_snapshot(args.snapshot)
    else:
        snapshot = synthetic_snapshot(args.synthetic)
    load_s = time.perf_counter() - t0
    rules = load_rules(args.rules, season=args.season)

    times = []
    result = None
    for _ in range(max(1, args.repeat)):
        t = time.perf_counter()
        result = rate(snapshot, args.season, rules, provisional=args.provisional)
        times.append(time.perf_counter() - t)
    assert result is not None
    best = min(times)
    season_rows = len(result.achievements)
    print(f"command: {shlex.join(['uv', 'run', 'python', *sys.argv])}")
    print(
        f"snapshot: {snapshot.snapshot_id[:16]}  participants={len(snapshot.participants):,}  "
        f"achievements (all seasons)={len(snapshot.achievements):,}  prepared in {load_s:.1f} s"
    )
    print(
        f"season {args.season}: achievements={season_rows:,}  "
        f"contributions={len(result.contributions):,}  rated rows={len(result.table):,}  "
        f"directions={len(result.directions)}"
    )
    print(
        f"rate(): best {best:.2f} s of {len(times)} (all: {', '.join(f'{t:.2f}' for t in times)}); "
        f"{season_rows / best:,.0f} season achievements/s; "
        f"{len(snapshot.achievements) / best:,.0f} snapshot achievements/s"
    )
    if args.explain:
        pairs = result.table.head(args.explain)[[C.PARTICIPANT_ID, C.DIRECTION]].to_numpy()
        t = time.perf_counter()
        for pid, direction in pairs:
            result.explain(str(pid), str(direction)).model_dump_json()
        spent = time.perf_counter() - t
        each_ms = spent / max(1, len(pairs)) * 1000
        print(f"explanations: {len(pairs)} one by one in {spent:.2f} s ({each_ms:.1f} ms each)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
