"""Benchmark: one bulk write of achievement rows (``footprint.bulk.insert_frame``), rolled back.

    uv run python bench/bulk_write.py --database-url postgresql+psycopg://postgres@HOST:PORT/DB
        [--rows 300000]

The database's ``public`` schema is dropped and migrated afresh. Foreign-key triggers are off for
the write (``session_replication_role = replica``, a superuser setting), so the rows need no
participants or activities; the primary key and both indexes are maintained as in ingestion.
Prints wall time, this process's CPU time (the client's share: building values and sending them)
and its peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import shlex
import sys
import time

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, text

from footprint import tables
from footprint.bulk import insert_frame
from footprint.store import open_store


def _rows(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    t0 = pd.Timestamp("2024-01-01")
    seconds = pd.to_timedelta(rng.integers(0, 10**7, n), unit="s")
    return pd.DataFrame(
        {
            "achievement_id": [f"a{i:016x}" for i in range(n)],
            "participant_id": [f"p{i % 250_000:07d}" for i in range(n)],
            "activity_id": [f"a-hack-ai-{i % 3_000:04d}-2023" for i in range(n)],
            "team_id": [None if i % 3 else f"t-{i:06d}" for i in range(n)],
            "result": "participant",
            "score": np.where(rng.random(n) < 0.5, np.nan, rng.random(n) * 100),
            "rank": pd.array(
                np.where(rng.random(n) < 0.5, None, rng.integers(1, 100, n)), dtype="Int64"
            ),
            "evidence": None,
            "status": "verified",
            "status_changed_at": t0 + seconds,
            "achieved_at": t0 + seconds,
            "recorded_at": t0 + seconds,
        }
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--rows", type=int, default=300_000)
    args = ap.parse_args()
    engine = create_engine(args.database_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    store = open_store(args.database_url)
    frame = _rows(args.rows)
    wall, cpu = time.perf_counter(), time.process_time()
    with store.engine.connect() as conn:
        tx = conn.begin()
        conn.exec_driver_sql("SET session_replication_role = replica")
        insert_frame(conn, tables.achievements, frame)
        tx.rollback()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"command: uv run python {shlex.join(sys.argv)}")
    print(f"{args.rows:,} achievement rows: wall {wall:.1f} s, client CPU {cpu:.2f} s")
    print(f"peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
