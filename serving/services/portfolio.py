"""A participant's portfolio: verified achievements by direction and season, contest diplomas,
competence with intervals and what each rests on, pending items listed as pending, the planned
trajectory toward the participant's goal (a forecast, :mod:`serving.services.portfolio_plan`);
its signed exports and their verification.

Only moderator-verified achievements count anywhere in it (competence is estimated on them
alone); pending ones are listed apart, marked pending; rejected ones are left out. An export is
the portfolio as a document signed with Ed25519 over its RFC 8785 form
(:mod:`serving.services.signing`), carrying a verification code of 100 random bits. The service
keeps only the code's SHA-256, the document's SHA-256 and the verified achievements it showed:
a code or a document is ``superseded`` as soon as one of those is no longer verified (a
moderator rejected it), ``genuine`` otherwise, ``unknown`` when the service never issued it (or
the participant was erased since).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from enum import StrEnum
from typing import Any

import pandas as pd
from sqlalchemy import func, insert, select

from core.errors import ConfigError
from footprint import tables as ft
from footprint.calendar import season_of
from footprint.columns import Columns as C
from footprint.directions import directions
from footprint.enums import ModerationStatus
from footprint.store import Store
from models.competence.columns import CompetenceColumns as CC
from models.competence.config import load_bands
from models.rating.codes import DIPLOMA_TEXT_RU, Diploma
from models.rating.columns import RatingColumns as RC
from serving.errors import InvalidInputError, NotFoundError, NotReadyError
from serving.services.competence import CompetenceService
from serving.services.portfolio_plan import planned_trajectory
from serving.services.rating import RatingService
from serving.services.recommend import RecommendService
from serving.services.signing import Signer, canonical, new_code, normalise_code, sha256_hex
from serving.tables import portfolio_exports

DOCUMENT_KIND = "talent.portfolio"
DOCUMENT_VERSION = 1
DIRECTION_TITLES = {d.code: d.title_ru for d in directions()}
LEVEL_TITLES = {b.code: b.title_ru for b in load_bands().band}


class VerifyStatus(StrEnum):
    GENUINE = "genuine"
    SUPERSEDED = "superseded"
    UNKNOWN = "unknown"
    BAD_SIGNATURE = "bad_signature"


def _day(value: Any) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _num(value: Any, digits: int = 1) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), digits)


def _items(ach: pd.DataFrame, acts: pd.DataFrame, primary: pd.Series) -> list[dict[str, Any]]:
    rows = ach.merge(acts, on=C.ACTIVITY_ID, how="left", suffixes=("", "_activity"))
    out = []
    for r in rows.itertuples(index=False):
        achieved = getattr(r, C.ACHIEVED_AT)
        out.append(
            {
                "achievement_id": str(getattr(r, C.ACHIEVEMENT_ID)),
                "activity_id": str(getattr(r, C.ACTIVITY_ID)),
                "title": str(getattr(r, C.TITLE)),
                "kind": str(getattr(r, C.KIND)),
                "level": str(getattr(r, C.LEVEL)),
                "result": str(getattr(r, C.RESULT)),
                "score": _num(getattr(r, C.SCORE)),
                "achieved_at": _day(achieved),
                "season": season_of(pd.Timestamp(achieved).date()),
                "direction": primary.get(str(getattr(r, C.ACTIVITY_ID))),
            }
        )
    out.sort(key=lambda i: (i["achieved_at"] or "", i["achievement_id"]))
    return out


class Diplomas:
    """Contest diplomas per participant, from the official rating, per season and snapshot
    generation. Few participants hold one, so a portfolio looks its participant up here instead
    of scanning the season's whole table (about 0.2 s a season at 250,000 participants)."""

    def __init__(self, rating: RatingService) -> None:
        self.rating = rating
        self._generation = -1
        self._by_season: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self._lock = threading.Lock()

    def of(self, participant_id: str, season: str) -> list[dict[str, Any]]:
        with self._lock:
            generation = self.rating.live.check()
            if generation != self._generation:
                self._generation, self._by_season = generation, {}
            if season not in self._by_season:
                self._by_season[season] = self._holders(season)
            return self._by_season[season].get(participant_id, [])

    def _holders(self, season: str) -> dict[str, list[dict[str, Any]]]:
        try:
            table = self.rating.result(season).table
        except ConfigError:  # no rules for that season: no rating, no diplomas
            return {}
        held = table[table[RC.DIPLOMA].astype(object) != Diploma.NONE.value]
        out: dict[str, list[dict[str, Any]]] = {}
        for r in held.to_dict("records"):
            diploma = Diploma(str(r[RC.DIPLOMA]))
            out.setdefault(str(r[C.PARTICIPANT_ID]), []).append(
                {
                    "season": season,
                    "direction": str(r[C.DIRECTION]),
                    "diploma": diploma.value,
                    "diploma_ru": DIPLOMA_TEXT_RU[diploma],
                    "place": int(r[RC.PLACE]),
                    "points": _num(r[RC.RAW_POINTS], 2),
                }
            )
        return out


def build_portfolio(
    competence: CompetenceService,
    diplomas: Diplomas,
    participant_id: str,
    recommend: RecommendService | None = None,
    goal: str | None = None,
) -> dict[str, Any]:
    """The portfolio's content (JSON-ready; what an export signs).

    With ``recommend``, the content carries the planned trajectory toward ``goal`` (or a default
    goal, :mod:`serving.services.portfolio_plan`); ``trajectory`` is None otherwise.

    Raises
    ------
    NotFoundError
        The participant is not in the store.
    InvalidInputError
        ``goal`` is malformed or names an unknown direction.
    """
    rating = diplomas.rating
    live = rating.live
    _, snapshot = live.snapshot()
    _, ach, par = live.participant_frames([participant_id])
    if par.empty:
        raise NotFoundError("участник не найден")
    acts = snapshot.activities[[C.ACTIVITY_ID, C.TITLE, C.KIND, C.LEVEL]]
    acts = acts[acts[C.ACTIVITY_ID].isin(ach[C.ACTIVITY_ID])]
    dirs = snapshot.activity_directions
    dirs = dirs[dirs[C.ACTIVITY_ID].isin(ach[C.ACTIVITY_ID])].sort_values(
        [C.ACTIVITY_ID, C.WEIGHT, C.DIRECTION], ascending=[True, False, True]
    )
    primary = dirs.drop_duplicates(C.ACTIVITY_ID).set_index(C.ACTIVITY_ID)[C.DIRECTION]
    primary = primary.astype(object).rename(index=str)
    status = ach[C.STATUS].to_numpy(dtype=object)
    verified = _items(ach[status == ModerationStatus.VERIFIED.value], acts, primary)
    pending = _items(ach[status == ModerationStatus.PENDING.value], acts, primary)

    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item in verified:
        groups.setdefault((item["direction"] or "", item["season"]), []).append(item)
    by_direction = [
        {
            "direction": d or None,
            "direction_title_ru": DIRECTION_TITLES.get(d),
            "season": s,
            "achievements": items,
        }
        for (d, s), items in sorted(
            groups.items(), key=lambda kv: (kv[0][0], kv[0][1]), reverse=False
        )
    ]

    seasons = sorted({i["season"] for i in verified} | {rating.default_season()})
    held = [d for season in seasons for d in diplomas.of(participant_id, season)]

    estimates: list[dict[str, Any]] = []
    model_version = None
    try:
        loaded, frame = competence.estimate([participant_id], evidence=True, verified_only=True)
        model_version = loaded.version
    except NotReadyError:
        frame = pd.DataFrame()
    verified_ids = {i["achievement_id"] for i in verified}
    for r in frame.to_dict("records"):
        rests_on = [
            str(e["achievement_id"])
            for e in r.get(CC.TOP_ACHIEVEMENTS, [])
            if str(e.get("achievement_id")) in verified_ids
        ]
        if int(r.get(CC.N_RECORDS, 0) or 0) == 0 and not rests_on:
            continue  # no verified record in this direction: no estimate to show
        estimates.append(
            {
                "direction": str(r[C.DIRECTION]),
                "direction_title_ru": DIRECTION_TITLES.get(str(r[C.DIRECTION])),
                "competence": _num(r[CC.COMPETENCE]),
                "lower": _num(r[CC.LOWER]),
                "upper": _num(r[CC.UPPER]),
                "level": str(r[CC.LEVEL]),
                "level_title_ru": LEVEL_TITLES.get(str(r[CC.LEVEL])),
                "verified_records": int(r.get(CC.N_RECORDS, 0) or 0),
                "rests_on": rests_on,
            }
        )
    return {
        "participant_id": participant_id,
        "as_of": snapshot.as_of.replace(microsecond=0).isoformat() + "Z",
        "achievements": by_direction,
        "pending": pending,
        "diplomas": held,
        "competence": estimates,
        "competence_model": model_version,
        "trajectory": (
            None
            if recommend is None
            else planned_trajectory(recommend, participant_id, goal, estimates)
        ),
    }


def export(
    store: Store, signer: Signer, content: dict[str, Any], now: dt.datetime
) -> dict[str, Any]:
    """Sign ``content`` as a document with a fresh verification code and remember it."""
    code = new_code()
    document = {
        "kind": DOCUMENT_KIND,
        "version": DOCUMENT_VERSION,
        "issued_at": now.replace(microsecond=0).isoformat() + "Z",
        "key_id": signer.key_id,
        "verification_code": code,
        "portfolio": content,
    }
    payload = canonical(document)
    digest = sha256_hex(payload)
    shown = sorted(i["achievement_id"] for g in content["achievements"] for i in g["achievements"])
    with store.transaction() as conn:
        conn.execute(
            insert(portfolio_exports).values(
                code_sha256=sha256_hex(code.encode()),
                document_sha256=digest,
                participant_id=content["participant_id"],
                key_id=signer.key_id,
                issued_at=now,
                achievement_ids=json.dumps(shown),
            )
        )
    return {
        "document": document,
        "signature": {
            "algorithm": "Ed25519",
            "key_id": signer.key_id,
            "value": signer.sign(payload),
        },
        "document_sha256": digest,
    }


def _status_of(conn: Any, row: Any | None) -> VerifyStatus:
    """Genuine while every verified item the document showed is still verified."""
    ids = json.loads(row.achievement_ids) if row is not None else []
    a = ft.achievements
    still = conn.execute(
        select(func.count())
        .select_from(a)
        .where(
            a.c[C.ACHIEVEMENT_ID].in_(ids or [""]), a.c[C.STATUS] == ModerationStatus.VERIFIED.value
        )
    ).scalar_one()
    if row is None:
        return VerifyStatus.UNKNOWN
    if row.superseded_at is not None or int(still) < len(ids):
        return VerifyStatus.SUPERSEDED
    return VerifyStatus.GENUINE


def verify_code(store: Store, code: str) -> dict[str, Any]:
    """What a code alone tells: genuine / superseded / unknown and the document's hash.

    Raises
    ------
    InvalidInputError
        Not a code's shape (20 base32 characters).
    """
    plain = normalise_code(code)
    if plain is None:
        raise InvalidInputError(
            "код проверки: 20 символов (цифры и латинские буквы), можно с дефисами",
            ("body", "code"),
        )
    t = portfolio_exports
    with store.engine.connect() as conn:
        row = conn.execute(select(t).where(t.c.code_sha256 == sha256_hex(plain.encode()))).first()
        status = _status_of(conn, row)
    return {
        "status": status.value,
        "document_sha256": row.document_sha256 if row is not None else None,
    }


def verify_document(store: Store, signer: Signer, signed: dict[str, Any]) -> dict[str, Any]:
    """Check a presented signed document: its signature, then whether it is still current."""
    document = signed.get("document")
    signature = signed.get("signature")
    if not isinstance(document, dict) or not isinstance(signature, dict):
        raise InvalidInputError(
            "ожидается подписанный документ: поля document и signature", ("body", "document")
        )
    try:
        payload = canonical(document)
    except Exception as exc:  # the canonical form refuses what JSON cannot say exactly
        raise InvalidInputError(
            "документ не приводится к канонической форме JSON", ("body", "document")
        ) from exc
    digest = sha256_hex(payload)
    key_id = str(signature.get("key_id", ""))
    if not signer.verify(key_id, payload, str(signature.get("value", ""))):
        return {
            "status": VerifyStatus.BAD_SIGNATURE.value,
            "document_sha256": digest,
            "key_id": key_id or None,
        }
    t = portfolio_exports
    with store.engine.connect() as conn:
        row = conn.execute(select(t).where(t.c.document_sha256 == digest)).first()
        status = _status_of(conn, row)
    return {"status": status.value, "document_sha256": digest, "key_id": key_id}
