"""Replay the hostile set against the service and print what happened.

Usage::

    uv run python bench/hostile.py

Starts the service in-process (FastAPI's test client: the whole ASGI stack, no socket) on a
temporary SQLite store holding the tests' small world, with the tiny competence bundle and
recommender the serving tests train (a few seconds), sends every request of
``tests/serving/hostile.py`` with a token of a role the route admits, then loads every hostile
bundle the way the service does. Prints one table for requests (tried, handled cleanly, 503,
500s, 422s that name no field) by kind of input, one for bundles (refused, payload ran), and the
totals. Exits 1 when anything was not handled cleanly.
"""

from __future__ import annotations

import datetime as dt
import shlex
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the hostile set lives with the tests

from fastapi.testclient import TestClient  # noqa: E402

from serving.main import create_app  # noqa: E402
from serving.model_slots import _competence_smoke, _load_competence  # noqa: E402
from tests.serving.bundle_factory import save_versions, tiny_bundle, tiny_recommender  # noqa: E402
from tests.serving.conftest import REC_AS_OF, push, settings_for, world_records  # noqa: E402
from tests.serving.hostile import replay_bundles, replay_requests  # noqa: E402


def main() -> int:
    command = shlex.join(["uv", "run", "python", "bench/hostile.py", *sys.argv[1:]])
    print(f"$ {command}")
    print(f"started {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        competence = save_versions(tiny_bundle(), work, ["tiny-1"])[0]
        recommender = tiny_recommender(work / "content.joblib", REC_AS_OF)
        settings = settings_for(
            f"sqlite:///{work / 'talent.db'}",
            max_request_bytes=256 * 1024,
            competence_bundle=competence,
            recommend_bundle=recommender,
        )
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            for entity, records in world_records().items():
                push(client, entity, records)
            tallies = replay_requests(client)
        bundles = replay_bundles(work, competence, _load_competence, _competence_smoke)
        seconds = time.perf_counter() - started

    print("\nhostile requests")
    print(f"{'kind':<34}{'tried':>7}{'clean':>7}{'503':>6}{'500s':>6}{'422 no field':>14}")
    totals = [0, 0, 0, 0, 0]
    for kind, t in sorted(tallies.items()):
        row = [t.tried, t.clean, t.unavailable, t.server_errors, t.unnamed_422]
        totals = [a + b for a, b in zip(totals, row, strict=True)]
        print(f"{kind:<34}{row[0]:>7}{row[1]:>7}{row[2]:>6}{row[3]:>6}{row[4]:>14}")
        for example in t.examples:
            print(f"    e.g. {example[:140]}")
    print(f"{'all':<34}{totals[0]:>7}{totals[1]:>7}{totals[2]:>6}{totals[3]:>6}{totals[4]:>14}")

    print("\nhostile bundles (loaded as the service loads them, development key)")
    print(f"{'bundle':<30}{'refused':>9}{'payload ran':>13}  reason")
    for b in bundles:
        print(
            f"{b.name:<30}{'yes' if b.refused else 'NO':>9}{'YES' if b.payload_ran else 'no':>13}"
            f"  {b.error[:70]}"
        )
    ran = sum(b.payload_ran for b in bundles)
    refused = sum(b.refused for b in bundles)
    print(
        f"\nrequests: {totals[0]} tried, {totals[1]} handled cleanly, {totals[2]} 503, "
        f"{totals[3]} 500s, {totals[4]} 422s naming no field"
    )
    print(f"bundles: {len(bundles)} tried, {refused} refused cleanly, {ran} payloads run")
    print(f"({seconds:.0f} s, including training the two tiny bundles)")
    bad = totals[3] + totals[4] + ran + (len(bundles) - refused)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
