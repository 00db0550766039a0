"""Benchmark: footprint pushes applied to the live state piecewise, on a large store.

    flock /work/bench.lock uv run python bench/live_updates.py \\
        --database-url sqlite:////tmp/liveops-bench/ingest/store.db --as-of 2026-03-01

In one process, as a serving worker holds it: the live state (``LiveFootprint``) and the
recommenders' dataset (``LiveDatasets``, with the fitted ability parameters of a content model
when ``--model content``) are built whole once; a recommender is fitted on that dataset (only to
have parameters to serve: quality is not measured here), saved and loaded again (file size, load
time). Then ``--rounds`` times: a batch of ``--batch`` achievements of existing participants is
pushed through the API's own ``push_records`` (the change log written in the same transaction),
applied (``LiveFootprint.check``), the dataset patched, and one recommendation answered for a
pushed participant; the pushed activity must be in the answer's "taken" row (visible). Prints the
medians and p95 of each step and the whole push-to-visible time, and the one-recommendation
latency on the live path over ``--requests`` participants.

The service's own checks (the request path and the timer) run the same two calls; a worker that
polls every 0.25 s pays the apply and patch cost at most four times a second.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from core.settings import FootprintSettings
from footprint.columns import Columns as C
from footprint.enums import Entity
from footprint.store import open_store
from models.recommend.base import Recommender
from serving.services.footprint import push_records
from serving.services.live import LiveDatasets, LiveFootprint


def _pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values) * 1000, q)), 2)


def _fit(name: str, dataset: Any) -> Recommender:
    if name == "content":
        from models.recommend.content import ContentRecommender

        return ContentRecommender().fit(dataset)
    from models.recommend.ease import EASEConfig, EASERecommender

    return EASERecommender(EASEConfig(regularization=5.0)).fit(dataset)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--as-of", type=dt.datetime.fromisoformat, default=dt.datetime(2026, 3, 1))
    ap.add_argument("--model", choices=("ease", "content"), default="content")
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--batch", type=int, default=5)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--output", type=Path, default=Path("bench/out/live_updates.json"))
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    store = open_store(args.database_url)
    live = LiveFootprint(store, as_of=args.as_of, check_seconds=0.25, settle=False)
    datasets = LiveDatasets(live)
    out: dict[str, Any] = {
        "command": shlex.join([sys.executable, *sys.argv]),
        "load_1min": os.getloadavg()[0],
        "model": args.model,
    }

    started = time.perf_counter()
    _, snapshot = live.snapshot()
    out["whole_read_s"] = round(time.perf_counter() - started, 2)
    if args.model == "content":
        from models.recommend.dataset import dataset_from_snapshot

        started = time.perf_counter()
        train = dataset_from_snapshot(snapshot, args.as_of, ability=True)
        out["ability_fit_s"] = round(time.perf_counter() - started, 2)
    else:
        train = datasets.dataset(None)
    model = _fit(args.model, train)
    with tempfile.TemporaryDirectory() as tmp:
        path = model.save(Path(tmp) / "model.bin")
        out["bundle_mb"] = round(path.stat().st_size / 1e6, 2)
        loads = []
        for _ in range(3):
            started = time.perf_counter()
            model = type(model).load(path)
            loads.append(time.perf_counter() - started)
        out["bundle_load_s"] = round(min(loads), 3)
    ability = model.ability_model
    started = time.perf_counter()
    dataset = datasets.dataset(ability)
    out["whole_dataset_s"] = round(time.perf_counter() - started, 2)
    out["participants"] = dataset.n_participants
    out["achievements"] = len(snapshot.achievements)

    ach = snapshot.achievements
    acts = snapshot.activities
    started_acts = acts[acts[C.START_AT] < args.as_of - dt.timedelta(days=3)]
    act_ids = started_acts[C.ACTIVITY_ID].astype(str).to_numpy()
    act_start = dict(zip(act_ids, started_acts[C.START_AT], strict=True))
    pids = ach[C.PARTICIPANT_ID].astype(str).unique()

    ask = rng.choice(pids, size=min(args.requests, len(pids)), replace=False)
    lat = []
    for pid in ask:
        t0 = time.perf_counter()
        model.recommend_records(
            [str(pid)], k=10, as_of=args.as_of, dataset=datasets.dataset(ability)
        )
        lat.append(time.perf_counter() - t0)
    out["recommend_ms"] = {"p50": _pct(lat, 50), "p95": _pct(lat, 95), "p99": _pct(lat, 99)}

    salt = FootprintSettings().erasure_salt
    steps: dict[str, list[float]] = {
        "push": [],
        "apply": [],
        "patch": [],
        "answer": [],
        "push_to_visible": [],
    }
    visible = 0
    for r in range(args.rounds):
        who = rng.choice(pids, size=args.batch, replace=False)
        what = rng.choice(act_ids, size=args.batch)
        rows = []
        for i, (pid, aid) in enumerate(zip(who, what, strict=True)):
            start = act_start[aid].to_pydatetime()
            rows.append(
                {
                    "source_record_id": f"bench-{args.seed}-{r}-{i}",
                    "participant_id": str(pid),
                    "activity_id": str(aid),
                    "result": "participant",
                    "status": "verified",
                    "achieved_at": (start + dt.timedelta(days=1)).isoformat(),
                    "recorded_at": (start + dt.timedelta(days=2)).isoformat(),
                    "status_changed_at": (start + dt.timedelta(days=2)).isoformat(),
                }
            )
        t0 = time.perf_counter()
        result = push_records(store, Entity.ACHIEVEMENTS, rows, source="bench", salt=salt)
        t1 = time.perf_counter()
        live.refresh()
        t2 = time.perf_counter()
        data = datasets.dataset(ability)
        t3 = time.perf_counter()
        model.recommend_records([str(who[0])], k=10, as_of=args.as_of, dataset=data)
        t4 = time.perf_counter()
        row = data.rows([str(who[0])])[0]
        col = data.catalog.activity_ids.get_loc(str(what[0]))
        visible += int(
            result.summary.added + result.summary.updated + result.summary.unchanged > 0
            and data.taken[row, col] > 0
        )
        for name, value in (
            ("push", t1 - t0),
            ("apply", t2 - t1),
            ("patch", t3 - t2),
            ("answer", t4 - t3),
            ("push_to_visible", t4 - t0),
        ):
            steps[name].append(value)
    out["rounds"] = args.rounds
    out["batch"] = args.batch
    out["visible"] = visible
    out["whole_reads"] = live.rebuilds
    out["whole_dataset_builds"] = datasets.builds
    out["steps_ms"] = {
        k: {"p50": _pct(v, 50), "p95": _pct(v, 95), "max": _pct(v, 100)} for k, v in steps.items()
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
