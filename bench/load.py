"""Serving load test on loopback: ``talent serve`` under wrk, a model switch under load, and the
same recommender bundle behind ``mlflow models serve`` for comparison.

Usage (the 250,000-participant world; wrap it in the heavy-jobs lock on the shared machine)::

    flock /work/bench-data/heavy.lock uv run python bench/load.py \\
        --database-url sqlite:////work/bench-data/load/store.db \\
        --competence-bundle /work/bench-data/models/competence \\
        --recommend-bundle /work/bench-data/models/recommend \\
        --switch-bundle /work/bench-data/load/content.joblib --as-of 2026-03-01

Sections (``--sections``, all by default):

* ``endpoints``: for recommendations, competence, trajectory, a rating standing and a rating table
  page: a warm-up, then a closed loop with 1 connection (unloaded latency) and with
  ``--connections`` (throughput at saturation, p50/p99 under it);
* ``rate``: recommendations at a fixed ``--rate`` (requests/s), latency from each request's
  intended send time (bench/load.lua; no coordinated omission): the issue's target is p99 < 50 ms
  at 200/s;
* ``switch``: the same fixed-rate load while the served recommender is switched between
  ``--recommend-bundle`` and ``--switch-bundle`` every ``--switch-every`` seconds (the admin reload
  route, or the watch folder with more than one worker); counts failed and non-2xx requests;
* ``pushes``: the same fixed-rate load while ``--push-rate`` small batches of achievements a
  second arrive through ``POST /v1/footprint/achievements``; each batch's first participant is
  asked again until the pushed activity has left their recommendations (push-to-visible);
* ``mlflow``: the recommender bundle logged as a pyfunc model (training.pyfunc) and served by
  ``mlflow models serve --env-manager local``; the same saturation runs on ``/invocations`` with
  the same question (one participant, k=10, the same instant), and the ratios to ours.

Requests rotate over ``--participants`` ids drawn (seeded) from the store's participants who are
schoolchildren (grade 5-11) at ``--as-of``, so no one id is hammered. The service reads the store
as of ``--as-of`` (``TALENT_LIVE_AS_OF``). Figures are printed with the command that made them and
written to ``--output`` (JSON, under bench/out/, not in git).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from load_harness import (
    Request,
    group_cpu_seconds,
    http,
    machine,
    require_wrk,
    run_wrk,
    server,
    write_requests,
)

from core.artifacts import point_latest, read_latest, write_checksum, write_signature
from core.hashing import file_sha256

PLATFORM = "dev-platform-token"  # development mode only
ADMIN = "dev-admin-token"
DIRECTIONS = ("python", "robotics", "engineering")
ENDPOINTS = ("recommendations", "competence", "trajectory", "rating_standing", "rating_table")
ROOT = Path(__file__).resolve().parent.parent
PUSH_DEADLINE_S = 5.0
PUSH_POLL_S = 0.05


def _args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--database-url", required=True, help="the footprint store (SQLAlchemy URL)")
    p.add_argument(
        "--competence-bundle",
        type=Path,
        help="the competence bundle (needed by the competence and trajectory endpoints only)",
    )
    p.add_argument(
        "--recommend-bundle",
        type=Path,
        required=True,
        help="a recommender file, or a folder whose latest.txt names one",
    )
    p.add_argument("--switch-bundle", type=Path, help="second recommender for the switch test")
    p.add_argument("--as-of", default="2026-03-01", help="instant the store is read as of")
    p.add_argument("--participants", type=int, default=20_000, help="ids to rotate over")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=1, help="talent serve --workers")
    p.add_argument("--connections", type=int, default=16, help="closed-loop connections")
    p.add_argument("--duration", type=float, default=20, help="seconds per saturation run")
    p.add_argument("--warmup", type=float, default=5, help="seconds of warm-up per endpoint")
    p.add_argument("--rate", type=float, default=200, help="fixed rate (requests/s)")
    p.add_argument("--rate-duration", type=float, default=60)
    p.add_argument("--rate-connections", type=int, default=16)
    p.add_argument("--switch-every", type=float, default=5, help="seconds between switches")
    p.add_argument("--push-rate", type=float, default=10, help="pushed batches a second")
    p.add_argument("--push-batch", type=int, default=3, help="achievements per pushed batch")
    p.add_argument(
        "--switch-mode",
        choices=("reload", "watch"),
        help="reload: the admin route (one worker); watch: latest.txt polled by every "
        "worker (default: reload with 1 worker, watch with more)",
    )
    p.add_argument("--sections", default="endpoints,rate,switch,mlflow")
    p.add_argument("--endpoints", default=",".join(ENDPOINTS))
    p.add_argument("--port", type=int, default=18710)
    p.add_argument("--mlflow-port", type=int, default=18711)
    p.add_argument("--workdir", type=Path, default=ROOT / "bench/out/load")
    p.add_argument("--output", type=Path, help="JSON figures (default: WORKDIR/load-wN.json)")
    return p.parse_args(argv)


# --- inputs -------------------------------------------------------------------------------------
def participant_ids(url: str, as_of: dt.datetime, n: int, seed: int) -> tuple[list[str], int]:
    """``n`` ids (seeded sample) of the store's participants registered by ``as_of`` whose grade
    then is 5-11, and how many such participants there are."""
    from sqlalchemy import text

    from footprint.calendar import season_start_year
    from footprint.store import open_store

    store = open_store(url, migrate=False)
    year = season_start_year(as_of.date())
    with store.engine.connect() as conn:
        rows = (
            conn.execute(
                text(
                    "SELECT participant_id FROM participants WHERE registered_at <= :t "
                    "AND grade + (:y - grade_year) BETWEEN 5 AND 11 ORDER BY participant_id"
                ),
                {"t": as_of, "y": year},
            )
            .scalars()
            .all()
        )
    store.dispose()
    rng = np.random.default_rng(seed)
    picked = rng.choice(np.asarray(rows, dtype=object), size=min(n, len(rows)), replace=False)
    return [str(p) for p in picked], len(rows)


def request_files(folder: Path, ids: list[str], as_of: str) -> dict[str, Path]:
    """One shuffled request list per endpoint (and the mlflow question), over the same ids."""
    d = [DIRECTIONS[i % 3] for i in range(len(ids))]
    lists = {
        "recommendations": [
            Request("GET", f"/v1/participants/{p}/recommendations?k=10") for p in ids
        ],
        "competence": [Request("GET", f"/v1/participants/{p}/competence") for p in ids],
        "trajectory": [
            Request("POST", f"/v1/participants/{p}/trajectory", {"goal": f"{g}:prize_winner"})
            for p, g in zip(ids, d, strict=True)
        ],
        "rating_standing": [
            Request("GET", f"/v1/rating/{g}/participants/{p}") for p, g in zip(ids, d, strict=True)
        ],
        "rating_table": [
            Request("GET", f"/v1/rating/{DIRECTIONS[i % 3]}?offset={50 * (i % 40)}&limit=50")
            for i in range(120)
        ],
        "mlflow": [
            Request(
                "POST",
                "/invocations",
                {"dataframe_records": [{"participant_id": p}], "params": {"k": 10, "as_of": as_of}},
            )
            for p in ids
        ],
    }
    return {name: write_requests(folder / f"{name}.txt", reqs) for name, reqs in lists.items()}


def switch_folder(folder: Path, bundles: list[Path]) -> tuple[Path, list[str]]:
    """A watch folder holding links to the bundles (with ``.sha256`` and ``.sig`` sidecars, signed
    with ``TALENT_BUNDLE_KEY``), latest.txt on the
    first: the layout a promotion exports (docs/serving.md)."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i, bundle in enumerate(bundles):
        name = f"{'ab'[i]}-{bundle.name}"
        link = folder / name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(bundle.resolve())
        write_signature(link, write_checksum(link, file_sha256(bundle)))
        names.append(name)
    point_latest(folder, names[0])
    return folder, names


def resolve_bundle(path: Path) -> Path:
    """A bundle file, or the file a folder's latest.txt names."""
    return read_latest(path) if path.is_dir() else path


# --- phases -------------------------------------------------------------------------------------
class Runner:
    """Runs wrk against one server and records each run with the server's CPU use."""

    def __init__(self, base: str, pgid: int, connections: int) -> None:
        self.base = base
        self.pgid = pgid
        self.connections = connections

    def run(
        self,
        file: Path,
        seconds: float,
        connections: int,
        rate: float | None = None,
        auth: str | None = f"Bearer {PLATFORM}",
        timeout_s: float = 5.0,
        threads: int = 1,
    ) -> dict[str, Any]:
        cpu0, load0 = group_cpu_seconds(self.pgid), os.getloadavg()[0]
        result = run_wrk(
            self.base,
            file,
            seconds=seconds,
            connections=connections,
            rate=rate,
            auth=auth,
            timeout_s=timeout_s,
            threads=threads,
        )
        out = result.summary()
        out["server_cpu_share"] = round((group_cpu_seconds(self.pgid) - cpu0) / out["seconds"], 2)
        out["loadavg_1m"] = [round(load0, 2), round(os.getloadavg()[0], 2)]
        out["command"] = shlex.join(result.command)
        return out

    def warm_up(
        self, file: Path, seconds: float, connections: int, auth: str | None = f"Bearer {PLATFORM}"
    ) -> int:
        """Closed-loop runs (discarded), one connection per wrk thread, until every connection got
        at least two answers, so every worker has built its snapshot, rating and planner caches
        (each worker builds its own on its first requests, tens of seconds on the 250k world, and
        a connection waiting on such a build gets nothing in a run); returns the runs it took."""
        for attempt in range(1, 9):
            r = self.run(file, seconds, connections, auth=auth, timeout_s=180, threads=connections)
            if r["fewest_thread_responses"] >= 2:
                return attempt
        return attempt


def _first_answers(base: str, file: Path, n: int = 3) -> list[float]:
    """The first few requests one by one (snapshot, rating and planner caches are built by the
    first; the time of each is kept)."""
    times = []
    for line in file.read_text().splitlines()[:n]:
        method, path, *body = line.split("\t")
        started = time.perf_counter()
        status, _ = http(
            method, base + path, PLATFORM, json.loads(body[0]) if body else None, timeout=600
        )
        times.append(round(time.perf_counter() - started, 3))
        if status >= 500:
            raise RuntimeError(f"warm-up request answered {status}")
    return times


def endpoints(
    runner: Runner, files: dict[str, Path], names: list[str], args: argparse.Namespace
) -> dict[str, Any]:
    out = {}
    for name in names:
        print(f"- {name}", flush=True)
        first = _first_answers(runner.base, files[name])
        warm = runner.warm_up(files[name], args.warmup, args.connections)
        one = runner.run(files[name], max(5, args.duration / 2), 1)
        sat = runner.run(files[name], args.duration, args.connections)
        out[name] = {"first_requests_s": first, "warm_up_runs": warm, "c1": one, "saturation": sat}
        print(
            f"  c=1: p50 {one['latency_ms']['p50']} ms p99 {one['latency_ms']['p99']} ms, "
            f"{one['requests_per_s']}/s; c={args.connections}: {sat['requests_per_s']}/s "
            f"p50 {sat['latency_ms']['p50']} ms p99 {sat['latency_ms']['p99']} ms, "
            f"non-2xx {sat['non_2xx']}, socket errors {sum(sat['socket_errors'].values())}",
            flush=True,
        )
    return out


def fixed_rate(runner: Runner, file: Path, args: argparse.Namespace) -> dict[str, Any]:
    r = runner.run(file, args.rate_duration, args.rate_connections, rate=args.rate)
    lat = r["intended_latency_ms"]
    r["target"] = {
        "p99_ms_below": 50.0,
        "met": bool(lat["p99"] < 50.0 and r["requests_per_s"] >= 0.97 * args.rate),
    }
    print(
        f"  {r['requests_per_s']}/s held (target {args.rate}); from the intended send: p50 "
        f"{lat['p50']} ms p99 {lat['p99']} ms max {lat['max']} ms; from the write: p99 "
        f"{r['service_latency_ms']['p99']} ms; non-2xx {r['non_2xx']}",
        flush=True,
    )
    return r


def _switch_loop(
    stop: threading.Event,
    base: str,
    folder: Path,
    names: list[str],
    shas: list[str],
    mode: str,
    every: float,
    events: list[dict[str, Any]],
) -> None:
    i, t0 = 0, time.monotonic()
    while not stop.wait(every):
        i += 1
        target = i % len(names)
        point_latest(folder, names[target])
        started = time.perf_counter()
        event: dict[str, Any] = {"to": names[target], "at_s": round(time.monotonic() - t0, 1)}
        if mode == "reload":
            status, body = http("POST", f"{base}/v1/admin/models/recommend/reload", ADMIN)
            event |= {
                "status": status,
                "switched": isinstance(body, dict) and body.get("sha256") == shas[target],
            }
        else:
            deadline = time.monotonic() + 60
            switched = False
            while time.monotonic() < deadline and not switched:
                _, body = http("GET", f"{base}/v1/admin/models", ADMIN)
                switched = any(
                    m.get("kind") == "recommend" and m.get("sha256") == shas[target]
                    for m in body or []
                )
                time.sleep(0.2)
            event["switched"] = switched
        event["seconds"] = round(time.perf_counter() - started, 2)
        events.append(event)


def switching(
    runner: Runner, file: Path, folder: Path, names: list[str], mode: str, args: argparse.Namespace
) -> dict[str, Any]:
    shas = [file_sha256(folder / n) for n in names]
    events: list[dict[str, Any]] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=_switch_loop,
        args=(stop, runner.base, folder, names, shas, mode, args.switch_every, events),
    )
    thread.start()
    try:
        r = runner.run(file, args.rate_duration, args.rate_connections, rate=args.rate)
    finally:
        stop.set()
        thread.join()
    r["mode"] = mode
    r["switches"] = events
    r["switches_done"] = sum(bool(e.get("switched")) for e in events)
    r["failed_requests"] = r["non_2xx"] + sum(r["socket_errors"].values())
    lat = r["intended_latency_ms"]
    print(
        f"  {r['switches_done']}/{len(events)} switches ({mode}, each "
        f"{[e['seconds'] for e in events]} s); {r['requests']} requests, failed "
        f"{r['failed_requests']} (non-2xx {r['non_2xx']}); p50 {lat['p50']} ms p99 "
        f"{lat['p99']} ms max {lat['max']} ms",
        flush=True,
    )
    return r


def push_targets(base: str, ids: list[str], n: int, batch: int) -> list[list[tuple[str, str]]]:
    """``n`` batches of ``batch`` (participant, activity) pairs: each participant's first
    recommended activity now, asked one by one before the load starts. A record of it makes the
    activity "taken", so it must leave that participant's next answer: what the pushes section
    watches for."""
    pairs: list[tuple[str, str]] = []
    for pid in ids:
        if len(pairs) >= n * batch:
            break
        status, body = http("GET", f"{base}/v1/participants/{pid}/recommendations?k=10", PLATFORM)
        if status == 200 and body["items"]:
            pairs.append((pid, str(body["items"][0]["activity_id"])))
    return [pairs[i : i + batch] for i in range(0, len(pairs) - batch + 1, batch)]


def _push_one(
    base: str, i: int, pairs: list[tuple[str, str]], as_of: dt.datetime, out: list[dict[str, Any]]
) -> None:
    day = dt.timedelta(days=1)
    records = [
        {
            "source_record_id": f"bench-push-{i}-{j}-{pid}",
            "participant_id": pid,
            "activity_id": aid,
            "result": "participant",
            "status": "verified",
            # known by the instant the service reads the store as of (TALENT_LIVE_AS_OF)
            "achieved_at": (as_of - 2 * day).isoformat(),
            "recorded_at": (as_of - day).isoformat(),
            "status_changed_at": (as_of - day).isoformat(),
        }
        for j, (pid, aid) in enumerate(pairs)
    ]
    started = time.perf_counter()
    status, body = http(
        "POST",
        f"{base}/v1/footprint/achievements",
        PLATFORM,
        {"source": "platform", "records": records},
    )
    stored = time.perf_counter() - started
    pid, aid = pairs[0]
    visible, polls = None, 0
    while time.perf_counter() - started < PUSH_DEADLINE_S:
        polls += 1
        code, recs = http("GET", f"{base}/v1/participants/{pid}/recommendations?k=10", PLATFORM)
        if code == 200 and aid not in [r["activity_id"] for r in recs["items"]]:
            visible = time.perf_counter() - started
            break
        time.sleep(PUSH_POLL_S)
    out.append(
        {
            "status": status,
            "added": body.get("added") if isinstance(body, dict) else None,
            "push_ms": round(stored * 1000, 1),
            "visible_ms": None if visible is None else round(visible * 1000, 1),
            "polls": polls,
        }
    )


def _push_loop(
    stop: threading.Event,
    base: str,
    batches: list[list[tuple[str, str]]],
    as_of: dt.datetime,
    per_second: float,
    out: list[dict[str, Any]],
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=int(per_second * PUSH_DEADLINE_S) + 1) as pool:
        due = time.monotonic()
        for i, pairs in enumerate(batches):
            if stop.is_set():
                break
            pool.submit(_push_one, base, i, pairs, as_of, out)
            due += 1 / per_second
            time.sleep(max(0.0, due - time.monotonic()))


def pushing(
    runner: Runner, file: Path, ids: list[str], as_of: dt.datetime, args: argparse.Namespace
) -> dict[str, Any]:
    """The fixed-rate load while ``--push-rate`` batches of ``--push-batch`` achievements a
    second arrive through ``POST /v1/footprint/achievements``; each push's first participant is
    asked for recommendations every ``PUSH_POLL_S`` (new connections, so either worker answers)
    until the pushed activity has left the answer: push-to-visible, from the POST's start."""
    n = int(args.push_rate * args.rate_duration)
    batches = push_targets(runner.base, ids[::-1], n, args.push_batch)
    events: list[dict[str, Any]] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=_push_loop, args=(stop, runner.base, batches, as_of, args.push_rate, events)
    )
    thread.start()
    try:
        r = runner.run(file, args.rate_duration, args.rate_connections, rate=args.rate)
    finally:
        stop.set()
        thread.join()
    vis = [e["visible_ms"] for e in events if e["visible_ms"] is not None]
    pushed = [e["push_ms"] for e in events]
    pct = lambda v, q: round(float(np.percentile(v, q)), 1) if v else None  # noqa: E731
    r["pushes"] = {
        "batches": len(events),
        "records_per_batch": args.push_batch,
        "stored_ok": sum(e["status"] == 200 for e in events),
        "visible": len(vis),
        "visible_within_1s": sum(v <= 1000 for v in vis),
        "push_ms": {"p50": pct(pushed, 50), "p95": pct(pushed, 95), "max": pct(pushed, 100)},
        "push_to_visible_ms": {
            "p50": pct(vis, 50),
            "p90": pct(vis, 90),
            "p95": pct(vis, 95),
            "p99": pct(vis, 99),
            "max": pct(vis, 100),
        },
        "visibility_polls": sum(e["polls"] for e in events),
        "poll_every_ms": PUSH_POLL_S * 1000,
    }
    r["failed_requests"] = r["non_2xx"] + sum(r["socket_errors"].values())
    lat, p = r["intended_latency_ms"], r["pushes"]
    print(
        f"  {r['requests_per_s']}/s held; p50 {lat['p50']} ms p99 {lat['p99']} ms, failed "
        f"{r['failed_requests']}; {p['batches']} pushes, {p['visible']} visible "
        f"({p['visible_within_1s']} within 1 s), push-to-visible {p['push_to_visible_ms']}",
        flush=True,
    )
    return r


def mlflow_side(bundle: Path, file: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Log the bundle as a pyfunc model, serve it with mlflow models serve, load it like ours."""
    import mlflow

    from training.pyfunc import log_recommender

    folder = args.workdir / "mlflow"
    folder.mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("serving-load-test")
    started = time.perf_counter()
    with mlflow.start_run(run_name=f"pyfunc {bundle.name}"):
        model_uri = log_recommender(bundle)
    logged_s = round(time.perf_counter() - started, 1)
    env = dict(
        os.environ,
        MLFLOW_TRACKING_URI=uri,
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    command = [
        "uv",
        "run",
        "--frozen",
        "mlflow",
        "models",
        "serve",
        "-m",
        model_uri,
        "--env-manager",
        "local",
        "-h",
        "127.0.0.1",
        "-p",
        str(args.mlflow_port),
        "-w",
        str(args.workers),
    ]
    base = f"http://127.0.0.1:{args.mlflow_port}"
    with server(command, env, f"{base}/ping", folder / "serve.log") as proc:
        runner = Runner(base, proc.pid, args.connections)
        line = file.read_text().splitlines()[0].split("\t")
        status, answer = http("POST", base + line[1], body=json.loads(line[2]))
        if status != 200:
            raise RuntimeError(f"mlflow answered {status}: {str(answer)[:300]}")
        runner.warm_up(file, args.warmup, args.connections, auth=None)
        one = runner.run(file, max(5, args.duration / 2), 1, auth=None)
        sat = runner.run(file, args.duration, args.connections, auth=None)
    print(
        f"  mlflow c=1: p50 {one['latency_ms']['p50']} ms p99 {one['latency_ms']['p99']} ms; "
        f"c={args.connections}: {sat['requests_per_s']}/s p50 {sat['latency_ms']['p50']} ms "
        f"p99 {sat['latency_ms']['p99']} ms, non-2xx {sat['non_2xx']}",
        flush=True,
    )
    return {
        "model_uri": model_uri,
        "log_seconds": logged_s,
        "serve_command": shlex.join(command),
        "c1": one,
        "saturation": sat,
    }


def summary(report: dict[str, Any]) -> str:
    """The figures as a table (what docs/benchmarks.md quotes)."""
    rows = [
        f"{'endpoint':<18}{'c=1 p50':>9}{'c=1 p99':>9}{'sat. req/s':>11}{'sat. p50':>10}"
        f"{'sat. p99':>10}{'non-2xx':>9}{'errors':>8}"
    ]
    blocks = dict(report.get("endpoints", {}))
    if "mlflow" in report:
        blocks["mlflow /invocations"] = report["mlflow"]
    for name, r in blocks.items():
        one, sat = r["c1"], r["saturation"]
        rows.append(
            f"{name:<18}{one['latency_ms']['p50']:>9}{one['latency_ms']['p99']:>9}"
            f"{sat['requests_per_s']:>11}{sat['latency_ms']['p50']:>10}"
            f"{sat['latency_ms']['p99']:>10}{sat['non_2xx']:>9}"
            f"{sum(sat['socket_errors'].values()):>8}"
        )
    for key, label in (("rate", "fixed rate"), ("switch", "fixed rate + switches")):
        if key in report:
            r = report[key]
            lat = r["intended_latency_ms"]
            rows.append(
                f"{label}: {r['requests_per_s']}/s held, p50 {lat['p50']} ms, p99 "
                f"{lat['p99']} ms, max {lat['max']} ms (from the intended send), non-2xx "
                f"{r['non_2xx']}, socket errors {sum(r['socket_errors'].values())}"
            )
    if "switch" in report:
        rows.append(
            f"switches done: {report['switch']['switches_done']} of "
            f"{len(report['switch']['switches'])}"
        )
    ratio = report.get("mlflow", {}).get("ratio_ours_to_mlflow")
    if ratio:
        rows.append(f"ours / mlflow: {ratio}")
    return "\n".join(rows)


# --- main ---------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _args(argv)
    require_wrk()
    sections = set(args.sections.split(","))
    names = [n for n in args.endpoints.split(",") if n]
    args.workdir.mkdir(parents=True, exist_ok=True)
    output = args.output or args.workdir / f"load-w{args.workers}.json"
    as_of = dt.datetime.fromisoformat(args.as_of)
    command = shlex.join(["uv", "run", "python", "bench/load.py", *(argv or sys.argv[1:])])
    report: dict[str, Any] = {
        "command": command,
        "machine": machine(),
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    print(f"$ {command}", flush=True)

    ids, eligible = participant_ids(args.database_url, as_of, args.participants, args.seed)
    files = request_files(args.workdir / "requests", ids, as_of.isoformat())
    report["participants"] = {"rotated": len(ids), "schoolchildren_in_store": eligible}
    recommend = resolve_bundle(args.recommend_bundle)
    bundles = [recommend] + ([args.switch_bundle] if args.switch_bundle else [])
    folder, bundle_names = switch_folder(args.workdir / "switch" / "recommend", bundles)
    mode = args.switch_mode or ("reload" if args.workers == 1 else "watch")
    report["settings"] = {
        "as_of": args.as_of,
        "workers": args.workers,
        "connections": args.connections,
        "duration_s": args.duration,
        "rate": args.rate,
        "rate_duration_s": args.rate_duration,
        "rate_connections": args.rate_connections,
        "switch_mode": mode,
        "competence_bundle": (
            str(resolve_bundle(args.competence_bundle)) if args.competence_bundle else None
        ),
        "recommend_bundles": [str(b) for b in bundles],
    }
    print(
        f"{len(ids)} participant ids of {eligible} schoolchildren in the store as of "
        f"{args.as_of}; recommender {recommend.name}",
        flush=True,
    )

    env = dict(
        os.environ,
        TALENT_MODE="development",
        TALENT_DATABASE_URL=args.database_url,
        TALENT_RECOMMEND_BUNDLE=str(folder),
        TALENT_LIVE_AS_OF=args.as_of,
        TALENT_MODEL_WATCH_SECONDS="1" if mode == "watch" else "0",
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    if args.competence_bundle:
        env["TALENT_COMPETENCE_BUNDLE"] = str(args.competence_bundle)
    serve = [
        "uv",
        "run",
        "--frozen",
        "talent",
        "serve",
        "--port",
        str(args.port),
        "--workers",
        str(args.workers),
    ]
    base = f"http://127.0.0.1:{args.port}"
    report["serve_command"] = shlex.join(serve)
    if sections & {"endpoints", "rate", "switch", "pushes"}:
        ready_line = "pool_ready" if args.workers > 1 else None
        with server(
            serve, env, f"{base}/readyz", args.workdir / "serve.log", ready_line=ready_line
        ) as proc:
            runner = Runner(base, proc.pid, args.connections)
            if "endpoints" in sections:
                print("endpoints (closed loop)", flush=True)
                report["endpoints"] = endpoints(runner, files, names, args)
            if "rate" in sections:
                print(
                    f"recommendations at a fixed {args.rate:.0f}/s for {args.rate_duration:.0f} s",
                    flush=True,
                )
                runner.warm_up(files["recommendations"], args.warmup, args.connections)
                report["rate"] = fixed_rate(runner, files["recommendations"], args)
            if "switch" in sections and len(bundle_names) > 1:
                print(
                    f"model switch every {args.switch_every:.0f} s under {args.rate:.0f}/s",
                    flush=True,
                )
                runner.warm_up(files["recommendations"], args.warmup, args.connections)
                report["switch"] = switching(
                    runner, files["recommendations"], folder, bundle_names, mode, args
                )
                point_latest(folder, bundle_names[0])
            if "pushes" in sections:
                print(
                    f"{args.push_rate:.0f} pushes of {args.push_batch} achievements a second "
                    f"under {args.rate:.0f} recommendations/s",
                    flush=True,
                )
                runner.warm_up(files["recommendations"], args.warmup, args.connections)
                report["pushes"] = pushing(runner, files["recommendations"], ids, as_of, args)
    if "mlflow" in sections:
        print("mlflow models serve of the same recommender", flush=True)
        report["mlflow"] = mlflow_side(recommend, files["mlflow"], args)
        ours = report.get("endpoints", {}).get("recommendations")
        if ours:
            theirs = report["mlflow"]
            report["mlflow"]["ratio_ours_to_mlflow"] = {
                "throughput": round(
                    ours["saturation"]["requests_per_s"] / theirs["saturation"]["requests_per_s"], 2
                ),
                "p99_saturation": round(
                    ours["saturation"]["latency_ms"]["p99"]
                    / theirs["saturation"]["latency_ms"]["p99"],
                    3,
                ),
                "p50_c1": round(
                    ours["c1"]["latency_ms"]["p50"] / theirs["c1"]["latency_ms"]["p50"], 3
                ),
            }
            print(f"  ours / mlflow: {report['mlflow']['ratio_ours_to_mlflow']}", flush=True)
    report["machine"]["loadavg_at_end"] = os.getloadavg()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    print(f"\n{summary(report)}\nfigures written to {output}\n$ {command}", flush=True)
    return report


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    main()
