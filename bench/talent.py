"""Benchmark: talent search over a large world, and portfolio export.

    flock /work/bench.lock uv run python bench/talent.py --participants 250000 --queries 400

Search: a seeded stand-in world (``bench/rating.py``'s ``synthetic_snapshot``, with regions
spread over 30 codes with a skew and activity formats mixed), a share of participants given the
``university_search`` scope in a fresh SQLite store, the official rating of two seasons computed
by the real engine, and synthetic competence estimates (the bundle's cost is not part of a query:
the index holds its output). Each timed query is the request path of ``TalentService.search``
without HTTP: the scope check on the store (fingerprint read), the consent mask, the vectorised
search, the candidates' evidence and the views audit insert. Queries mix typical filters
(direction, minimum level, region, grade range, online only, diploma season, within-region
ranking) and follow-up pages by cursor.

Portfolio: ``build_portfolio`` and ``export`` (sign + store) on the same world for sampled
participants, without a competence bundle (its one-participant estimate is measured by
``bench/competence.py``) nor a recommender (the planned trajectory's plan is measured by
``bench/load.py``'s trajectory figures); then ``--pdfs`` of them exported as PDF (the printable
page rendered by WeasyPrint).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pandas as pd
from rating import synthetic_snapshot  # bench/rating.py
from sqlalchemy import insert

from footprint import tables as ft
from footprint.columns import Columns as C
from footprint.directions import direction_codes
from footprint.enums import ConsentScope, ConsentStatus
from footprint.frames import Snapshot
from footprint.store import open_store
from models.competence.columns import CompetenceColumns as CC
from models.competence.config import load_bands
from models.rating.engine import rate
from models.rating.rules import load_rules
from serving.auth import Role
from serving.migrate import upgrade
from serving.services.competence import CompetenceService
from serving.services.portfolio import Diplomas, build_portfolio, export
from serving.services.rating import RatingService
from serving.services.signing import Signer, new_private_key_b64
from serving.services.talent_index import RankBy, TalentFilters, build_index, candidate, search
from serving.services.universities import ConsentScopes, ViewContext, record_views

SEASONS = ("2025/26", "2024/25")
AS_OF = dt.datetime(2026, 6, 15)


def _world(n: int, seed: int) -> Snapshot:
    snap = synthetic_snapshot(n, seed=seed)
    rng = np.random.default_rng(seed + 1)
    regions = np.array([f"RU-{i:02d}" for i in range(30)])
    weights = 1 / np.arange(1, 31)  # a few regions hold most participants, as in the movement
    snap.participants[C.REGION] = pd.array(
        rng.choice(regions, n, p=weights / weights.sum()), dtype="string"
    )
    k = len(snap.activities)
    snap.activities[C.FORMAT] = pd.array(
        np.where(rng.random(k) < 0.6, "online", "offline"), dtype="string"
    )
    return snap


def _estimates(pids: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    dirs = direction_codes()
    n = len(pids)
    comp = rng.uniform(0, 100, (n, len(dirs)))
    width = rng.uniform(3, 30, (n, len(dirs)))
    bands = load_bands().band
    lowers = np.array([b.lower for b in bands])
    return pd.DataFrame(
        {
            C.PARTICIPANT_ID: np.repeat(pids, len(dirs)),
            C.DIRECTION: np.tile(dirs, n),
            CC.COMPETENCE: comp.ravel(),
            CC.LOWER: np.clip(comp - width, 0, 100).ravel(),
            CC.UPPER: np.clip(comp + width, 0, 100).ravel(),
            CC.LEVEL: [bands[i].code for i in np.searchsorted(lowers, comp.ravel(), "right") - 1],
        }
    )


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q))


class _FixedLive:
    """The live snapshot interface over an in-memory snapshot (no store reads)."""

    def __init__(self, snap: Snapshot, store: Any) -> None:
        from serving.services.live import participant_rows

        self.store = store
        self._snap = snap
        self._ach = participant_rows(snap.achievements)
        self._par = participant_rows(snap.participants)
        self.generation = 1

    def check(self) -> int:
        return 1

    def now(self) -> dt.datetime:
        return AS_OF

    def snapshot(self) -> tuple[int, Snapshot]:
        return 1, self._snap

    def participant_frames(self, ids: list[str]) -> tuple[int, pd.DataFrame, pd.DataFrame]:
        a = [self._ach[p] for p in ids if p in self._ach]
        p = [self._par[i] for i in ids if i in self._par]
        ach = np.sort(np.concatenate(a)) if a else np.empty(0, np.int64)
        par = np.sort(np.concatenate(p)) if p else np.empty(0, np.int64)
        return 1, self._snap.achievements.iloc[ach], self._snap.participants.iloc[par]


def _http(
    store: Any,
    folder: Path,
    index: Any,
    n: int,
    rng: np.random.Generator,
    dirs: list[str],
    regions: np.ndarray,
) -> None:
    """``GET /v1/talent`` through the whole app in process (no socket): the service's token
    check, university lookup, model-work thread, search, audit and JSON encoding."""
    import dataclasses

    from fastapi.testclient import TestClient

    from serving.core.config import DEV_TOKENS, Mode, ServingSettings
    from serving.main import create_app
    from serving.services.universities import put_university

    settings = ServingSettings(
        mode=Mode.DEVELOPMENT,
        database_url=str(store.engine.url),
        api_tokens=[],
        live_as_of=AS_OF,
        gc_freeze=False,
    )
    put_university(store, "dev-university", name="bench", directions=[], active=True, now=AS_OF)
    headers = {"Authorization": f"Bearer {DEV_TOKENS[Role.UNIVERSITY]}"}
    with TestClient(create_app(settings)) as client:
        state = client.app.state.talent  # type: ignore[attr-defined]
        # the index built above stands for the service's own (same store, same scope set)
        state.talent._index = dataclasses.replace(index, generation=state.live.check())
        import logging

        for name in ("httpx", "httpx2"):
            logging.getLogger(name).setLevel(logging.WARNING)
        for _ in range(10):  # warm-up: the app's first scope read and consent mask
            client.get("/v1/talent", params={"limit": 20}, headers=headers)
        times = []
        for _ in range(n):
            params: dict[str, Any] = {"limit": 20}
            if rng.random() < 0.8:
                params["direction"] = str(rng.choice(dirs))
            if rng.random() < 0.6:
                params["min_level"] = str(rng.choice(["basic", "confident", "advanced"]))
            if rng.random() < 0.4:
                params["region"] = str(rng.choice(regions))
            if rng.random() < 0.3:
                params["rank_by"] = "within_region"
            started = time.perf_counter()
            r = client.get("/v1/talent", params=params, headers=headers)
            times.append(time.perf_counter() - started)
            assert r.status_code == 200, r.text[:300]
    print(
        f"search through the app in process (after 10 warm-up requests): {n} requests; "
        f"p50 {_pct(times, 50):.1f} ms, p95 {_pct(times, 95):.1f} ms, "
        f"p99 {_pct(times, 99):.1f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--participants", type=int, default=250_000)
    ap.add_argument("--consenting", type=float, default=0.4, help="share with the scope")
    ap.add_argument("--queries", type=int, default=400)
    ap.add_argument("--portfolios", type=int, default=100)
    ap.add_argument(
        "--pdfs",
        type=int,
        default=20,
        help="of the sampled portfolios, how many exports are also rendered as PDF",
    )
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument(
        "--http",
        type=int,
        default=0,
        help="also N requests through the app in process (routing, token, JSON)",
    )
    args = ap.parse_args(argv)
    print("command:", shlex.join([sys.executable.rsplit("/", 1)[-1], *sys.argv]))
    rng = np.random.default_rng(args.seed)

    t = time.perf_counter()
    snap = _world(args.participants, args.seed)
    print(
        f"world: {len(snap.participants):,} participants, {len(snap.achievements):,} "
        f"achievements ({time.perf_counter() - t:.1f} s)"
    )
    pids = snap.participants[C.PARTICIPANT_ID].astype(object).to_numpy()
    consenting_ids = np.sort(rng.choice(pids, int(len(pids) * args.consenting), replace=False))

    folder = Path(tempfile.mkdtemp(prefix="talent-bench-"))
    store = open_store(f"sqlite:///{folder / 'talent.db'}")
    upgrade(store)
    with store.transaction() as conn:
        conn.execute(
            insert(ft.consent_scope_changes),
            [
                {
                    C.PARTICIPANT_ID: p,
                    C.SCOPE: ConsentScope.UNIVERSITY_SEARCH.value,
                    C.CONSENT_STATUS: ConsentStatus.GIVEN.value,
                    C.CHANGED_AT: AS_OF,
                    C.RECORDED_AT: AS_OF,
                }
                for p in consenting_ids
            ],
        )
    scopes = ConsentScopes(store)
    t = time.perf_counter()
    consenting = scopes.consenting()
    print(f"scope set: {len(consenting):,} consenting, read in {time.perf_counter() - t:.2f} s")

    t = time.perf_counter()
    ratings = tuple(rate(snap, s, load_rules(None, season=s)).table for s in SEASONS)
    rating_s = time.perf_counter() - t
    par = snap.participants[snap.participants[C.PARTICIPANT_ID].astype(object).isin(consenting)]
    est = _estimates(np.asarray(sorted(consenting), dtype=object), rng)
    bands = load_bands()
    t = time.perf_counter()
    index = build_index(
        generation=1,
        consent_key=consenting,
        as_of=AS_OF,
        participants=par,
        achievements=snap.achievements,
        activities=snap.activities,
        activity_directions=snap.activity_directions,
        estimates=est,
        ratings=(ratings[0], ratings[1]),
        seasons=SEASONS,
        directions=tuple(direction_codes()),
        bands=bands,
        model_version="synthetic",
    )
    build_s = time.perf_counter() - t
    mask = np.fromiter((p in consenting for p in index.pids), bool, count=index.size)
    print(
        f"index: {index.size:,} rows built in {build_s:.2f} s (plus the official rating of "
        f"two seasons {rating_s:.1f} s; competence estimates not included)"
    )

    regions = index.regions
    dirs = list(direction_codes())
    times: list[float] = []
    pages: list[int] = []
    cursor_times: list[float] = []
    for q in range(args.queries):
        filters = TalentFilters(
            direction=str(rng.choice(dirs)) if rng.random() < 0.8 else None,
            min_level=str(rng.choice(["basic", "confident", "advanced"]))
            if rng.random() < 0.6
            else None,
            region=str(rng.choice(regions)) if rng.random() < 0.4 else None,
            grade_min=int(rng.integers(7, 10)) if rng.random() < 0.4 else None,
            grade_max=11,
            online_only=bool(rng.random() < 0.15),
            diploma_season=SEASONS[0] if rng.random() < 0.15 else None,
            rank_by=RankBy.WITHIN_REGION if rng.random() < 0.3 else RankBy.OVERALL,
        )
        cursor = None
        for follow in range(2 if q % 4 == 0 else 1):
            started = time.perf_counter()
            current = scopes.consenting()  # the per-request scope check on the store
            assert current is consenting  # unchanged: the cached mask holds
            result = search(index, mask, filters, limit=20, cursor=cursor, bands=bands)
            items = [
                candidate(index, int(r), float(s), int(k))
                for r, s, k in zip(result.rows, result.scores, result.region_ranks, strict=True)
            ]
            record_views(
                store,
                university="bench",
                actor="university:bench",
                participant_ids=[str(i["participant_id"]) for i in items],
                context=ViewContext.SEARCH,
                now=AS_OF,
                request_id=None,
            )
            elapsed = time.perf_counter() - started
            (cursor_times if follow else times).append(elapsed)
            pages.append(result.matching)
            cursor = result.next_cursor
            if cursor is None:
                break
    print(
        f"search: {len(times)} first pages, matches median {int(np.median(pages)):,}; "
        f"p50 {_pct(times, 50):.1f} ms, p95 {_pct(times, 95):.1f} ms, "
        f"p99 {_pct(times, 99):.1f} ms, max {max(times) * 1000:.1f} ms"
    )
    if cursor_times:
        print(
            f"search by cursor: {len(cursor_times)} next pages; p50 "
            f"{_pct(cursor_times, 50):.1f} ms, p99 {_pct(cursor_times, 99):.1f} ms"
        )

    if args.http:
        _http(store, folder, index, args.http, rng, dirs, regions)

    live = _FixedLive(snap, store)
    rating = RatingService(live)  # type: ignore[arg-type]
    competence = CompetenceService(live, lambda: None)  # type: ignore[arg-type]
    signer = Signer(new_private_key_b64(), [])
    diplomas = Diplomas(rating)
    for season in ("2022/23", "2023/24", *SEASONS):  # the cached ratings a running service holds
        diplomas.of("", season)
    sample = rng.choice(pids, args.portfolios, replace=False)
    build_t, export_t = [], []
    for p in sample:
        started = time.perf_counter()
        content = build_portfolio(competence, diplomas, str(p))
        built = time.perf_counter()
        export(store, signer, content, AS_OF)
        build_t.append(built - started)
        export_t.append(time.perf_counter() - started)
    print(
        f"portfolio (no competence model): build p50 {_pct(build_t, 50):.1f} ms, p99 "
        f"{_pct(build_t, 99):.1f} ms; build + sign + store p50 {_pct(export_t, 50):.1f} ms, "
        f"p99 {_pct(export_t, 99):.1f} ms ({args.portfolios} participants)"
    )
    if args.pdfs:
        _pdfs(competence, diplomas, store, signer, sample[: args.pdfs])
    store.dispose()
    return 0


def _pdfs(
    competence: CompetenceService,
    diplomas: Diplomas,
    store: Any,
    signer: Signer,
    sample: np.ndarray,
) -> None:
    """The export as the printable page rendered to PDF (WeasyPrint): build, sign, store, page,
    PDF; the first one also pays WeasyPrint's import."""
    from serving.api.templating import templates
    from serving.services.portfolio_pdf import render_pdf

    page = templates.get_template("portfolio/page.html")
    times, sizes, first = [], [], 0.0
    for k, p in enumerate(sample):
        started = time.perf_counter()
        content = build_portfolio(competence, diplomas, str(p))
        signed = export(store, signer, content, AS_OF)
        pdf = render_pdf(page.render(p=content, signed=signed))
        elapsed = time.perf_counter() - started
        if k == 0:
            first = elapsed
        else:
            times.append(elapsed)
        sizes.append(len(pdf))
    if times:
        print(
            f"portfolio PDF export (build + sign + store + page + PDF): p50 "
            f"{_pct(times, 50):.0f} ms, p99 {_pct(times, 99):.0f} ms, max "
            f"{max(times) * 1000:.0f} ms ({len(times)} participants; the first, with "
            f"WeasyPrint's import, {first:.1f} s); PDF size median "
            f"{int(np.median(sizes)) // 1024} KiB"
        )


if __name__ == "__main__":
    raise SystemExit(main())
