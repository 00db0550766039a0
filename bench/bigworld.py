"""Benchmark: a big world end to end (simulate, ingest every source, snapshot), each step timed.

    uv run python bench/bigworld.py --participants 250000 --workdir /tmp/bigworld/w250k
        [--chunk-size 250000] [--database-url postgresql+psycopg://...]
        [--steps simulate,ingest,snapshot] [--world DIR]

Every step runs the ``talent`` command in a child process, so the peak RSS printed is that step's
own (``os.wait4``), not the largest of the run so far. Ingestion runs one ``talent ingest`` per
source in dependency order (platform first); its wall time is the sum and its peak the largest of
the four. The store is emptied first (SQLite file under the workdir by default, or the PostgreSQL
database given, whose ``public`` schema is dropped). The snapshot is taken as of 2026-06-01
(after the last simulated season) into ``<workdir>/snapshots``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

SOURCES = ("platform", "olympiad", "courses", "events")
TALENT = [sys.executable, "-c", "from cli.main import app; app()"]


def _run(args: list[str]) -> tuple[float, float]:
    """Run ``talent args`` and return (wall seconds, peak RSS GiB) of that child alone."""
    start = time.perf_counter()
    proc = subprocess.Popen([*TALENT, *args], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"talent {shlex.join(args)} failed with exit code {proc.returncode}")
    return wall, usage.ru_maxrss / 1024**2  # KiB on Linux


def _fresh_store(url: str | None, workdir: Path) -> str:
    if url is None:
        for p in workdir.glob("talent.db*"):
            p.unlink()
        return f"sqlite:///{workdir / 'talent.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--participants", type=int, default=250_000)
    ap.add_argument("--seasons", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--chunk-size", type=int, default=None)
    ap.add_argument("--workdir", type=Path, required=True)
    ap.add_argument("--world", type=Path, help="default <workdir>/world (simulated there)")
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--steps", default="simulate,ingest,snapshot")
    ap.add_argument("--as-of", default="2026-06-01")
    args = ap.parse_args()
    steps = set(args.steps.split(","))
    args.workdir.mkdir(parents=True, exist_ok=True)
    world = args.world or args.workdir / "world"
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at start")
    figures: list[tuple[str, float, float]] = []
    if "simulate" in steps:
        sim = ["simulate", "--out", str(world), "--participants", str(args.participants)]
        sim += ["--seasons", str(args.seasons), "--seed", str(args.seed), "--no-progress"]
        if args.chunk_size:
            sim += ["--chunk-size", str(args.chunk_size)]
        figures.append(("simulate", *_run(sim)))
    if "ingest" in steps:
        url = _fresh_store(args.database_url, args.workdir)
        wall, peak = 0.0, 0.0
        for source in SOURCES:
            folder = world / "sources" / source
            if not folder.exists():
                continue
            cmd = ["-q", "ingest", str(folder), "--source", source, "--new-source"]
            w, p = _run([*cmd, "--database-url", url])
            print(f"  ingest {source:9s} {w:8.1f} s  peak {p:5.2f} GiB")
            wall, peak = wall + w, max(peak, p)
        figures.append(("ingest", wall, peak))
    if "snapshot" in steps:
        url = args.database_url or f"sqlite:///{args.workdir / 'talent.db'}"
        snap = ["snapshot", "--as-of", args.as_of, "--out", str(args.workdir / "snapshots")]
        figures.append(("snapshot", *_run([*snap, "--database-url", url, "-q"])))
    print(f"world: {args.participants:,} participants, {args.seasons} seasons, seed {args.seed}")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    for name, wall, peak in figures:
        print(f"{name:9s} wall {wall:8.1f} s  peak RSS {peak:5.2f} GiB")


if __name__ == "__main__":
    main()
