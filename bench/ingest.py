"""Benchmark: ingest a simulated world into the store, then snapshot it; prints rows per second.

    uv run python bench/ingest.py --world /work/bench-data/sim250k [--database-url URL]

The world comes from ``talent simulate`` (any size). The store is created fresh: a SQLite file under
``--workdir`` by default, or the (emptied) database at ``--database-url``. A second pass re-ingests
everything to measure the idempotent path (every row unchanged).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shlex
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from footprint.ingest.run import ingest_path
from footprint.snapshot import create_snapshot, load_manifest
from footprint.store import open_store

SOURCES = ("platform", "olympiad", "courses", "events")


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _fresh(url: str) -> None:
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--world", type=Path, required=True)
    ap.add_argument("--database-url")
    ap.add_argument("--workdir", type=Path, default=Path("bench/out/ingest"))
    ap.add_argument("--passes", type=int, default=2, help="1 = first ingest only")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    url = args.database_url
    if url is None:
        db = args.workdir / "talent.db"
        for p in args.workdir.glob("talent.db*"):
            p.unlink()
        url = f"sqlite:///{db}"
    _fresh(url)
    store = open_store(url)
    manifest = json.loads((args.world / "manifest.json").read_text())
    print(f"world: {args.world} ({manifest.get('config', {}).get('participants')} participants)")
    for run in range(args.passes):
        t0 = time.perf_counter()
        rows = 0
        for source in SOURCES:
            folder = args.world / "sources" / source
            if not folder.exists():
                continue
            t1 = time.perf_counter()
            summaries = ingest_path(store, folder, source, progress=False)
            n = sum(s.rows for s in summaries)
            rows += n
            dt_s = time.perf_counter() - t1
            changed = {
                k: sum(getattr(s, k) for s in summaries)
                for k in ("added", "updated", "unchanged", "merged", "quarantined")
            }
            print(
                f"  pass {run + 1} {source:9s} {n:>10,d} rows {dt_s:7.1f} s "
                f"{n / dt_s:>10,.0f} rows/s  {changed}"
            )
        total = time.perf_counter() - t0
        label = "first ingest" if run == 0 else "re-ingest (idempotent)"
        print(f"{label}: {rows:,d} rows in {total:.1f} s = {rows / total:,.0f} rows/s")
    last = int(manifest["config"]["first_season"]) + int(manifest["config"]["seasons"])
    as_of = dt.datetime(last, 6, 1)
    t0 = time.perf_counter()
    path = create_snapshot(store, as_of, args.workdir / "snapshots")
    took = time.perf_counter() - t0
    snap_rows = sum(m.rows for m in load_manifest(path).tables.values())
    print(
        f"snapshot as of {as_of.date()}: {snap_rows:,d} rows in {took:.1f} s = "
        f"{snap_rows / took:,.0f} rows/s -> {path}"
    )
    print(f"store: {store.dialect}; peak RSS {_peak_rss_gib():.2f} GiB")
    print("command: uv run python " + " ".join(shlex.quote(a) for a in sys.argv))


if __name__ == "__main__":
    main()
