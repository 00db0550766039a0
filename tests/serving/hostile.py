"""A hostile set for the service: requests an attacker or a careless client sends, and model files
an attacker plants. :func:`replay_requests` and :func:`replay_bundles` run them and count what
happened; ``bench/hostile.py`` prints the table, ``tests/serving/test_hostile.py`` asserts it.

Requests: every body field of every route that takes a body, and every query parameter, gets each
hostile value (non-finite and huge numbers, extreme and impossible dates and seasons, NUL bytes,
long strings, wrong types), plus hostile ids in paths and malformed bodies. Handled cleanly means
a 4xx (a 422 naming a field) or a 2xx; a documented 503 is counted apart; anything else 5xx is a
failure.

Bundles: pickles that run code when unpickled (a payload writing a marker file), with a matching
checksum, a forged or replayed signature, behind a ``latest.txt`` that points outside the folder,
through a symlink; and damaged signed files. Handled cleanly means refused with
:class:`~serving.bundles.BundleRefusedError` and the marker never written.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from core.artifacts import DEV_BUNDLE_KEY, signature_line
from core.hashing import file_sha256
from serving.auth import Role
from serving.bundles import BundleHolder, BundleRefusedError, FileSource
from tests.serving.conftest import bearer, world_records

_RAW = "__raw__:"


def _raw(text: str) -> str:
    """A JSON token json.dumps cannot write (1e309, a bare NaN): spliced in after dumping."""
    return _RAW + text


HOSTILE_VALUES: dict[str, Any] = {
    "NaN": _raw("NaN"),
    "Infinity": _raw("Infinity"),
    "-Infinity": _raw("-Infinity"),
    "1e309": _raw("1e309"),
    "-1e309": _raw("-1e309"),
    "2^63": 2**63,
    "-2^63-1": -(2**63) - 1,
    "10^400": _raw("1" + "0" * 400),
    "date 0001-01-01": "0001-01-01",
    "date 9999-12-31": "9999-12-31",
    "datetime 0001-01-01T00:00:00": "0001-01-01T00:00:00",
    "datetime 9999-12-31T23:59:59Z": "9999-12-31T23:59:59Z",
    "date 2026-02-30": "2026-02-30",
    "season 0000/01": "0000/01",
    "season 9999/00": "9999/00",
    "NUL byte": "a\u0000b",
    "100k characters": "x" * 100_000,
    "empty string": "",
    "list": [1, 2],
    "object": {"a": 1},
    "true": True,
    "null": None,
    "-1": -1,
}
HOSTILE_QUERY: dict[str, str] = {
    "NaN": "NaN",
    "Infinity": "Infinity",
    "1e309": "1e309",
    "2^63": str(2**63),
    "date 0001-01-01": "0001-01-01",
    "date 9999-12-31": "9999-12-31T23:59:59",
    "season 0000/01": "0000/01",
    "season 9999/00": "9999/00",
    "NUL byte": "a\x00b",
    "10k characters": "x" * 10_000,
    "empty": "",
}
HOSTILE_IDS = ["..", "%2e%2e%2fetc", "x" * 65, "p1' OR '1'='1", "%00", "p1%0d%0aX: y", "ü" * 64]


def _dumps(body: Any) -> bytes:
    text = json.dumps(body, ensure_ascii=False)
    while _RAW in text:
        start = text.index('"' + _RAW)
        end = text.index('"', start + 1)
        text = text[:start] + text[start + 1 + len(_RAW) : end] + text[end + 1 :]
    return text.encode()


def _templates() -> list[tuple[str, str, Role, dict[str, Any]]]:
    """(method, path, role, a valid body) for every route that takes a JSON body."""
    world = world_records()
    out: list[tuple[str, str, Role, dict[str, Any]]] = []
    for entity, records in world.items():
        record = {k: (None if v == "" else v) for k, v in records[0].items()}
        out.append(
            (
                "POST",
                f"/v1/footprint/{entity}",
                Role.PLATFORM,
                {"source": "platform", "records": [record]},
            )
        )
    out += [
        (
            "POST",
            "/v1/participants/p3/erasure",
            Role.PLATFORM,
            {"reason_code": "legal_request", "source": "platform"},
        ),
        (
            "POST",
            "/v1/rating/python/participants/p1/what-if",
            Role.PLATFORM,
            {
                "hypothetical": [
                    {
                        "activity_id": "a2",
                        "result": "winner",
                        "percentile": 0.5,
                        "olympiad_list_level": 1,
                    }
                ]
            },
        ),
        (
            "POST",
            "/v1/participants/p1/trajectory",
            Role.PLATFORM,
            {
                "goal": "python:prize_winner",
                "horizon": "2026-05-31T00:00:00Z",
                "as_of": "2025-09-01T00:00:00Z",
                "monthly_cap": 2,
                "max_steps": 8,
                "online_only": False,
                "regions": ["RU-MOW"],
            },
        ),
        (
            "POST",
            "/v1/moderation/achievements/x/decision",
            Role.MODERATOR,
            {"decision": "verified", "expected_version": 0, "comment": "ok"},
        ),
        (
            "POST",
            "/v1/moderation/competence/x/decision",
            Role.MODERATOR,
            {"decision": "override", "expected_version": 0, "value": 50.0, "comment": "ok"},
        ),
        ("POST", "/v1/admin/competence/refresh", Role.ADMIN, {"participant_ids": ["p1"]}),
    ]
    return out


def _leaves(body: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(body, dict):
        for k, v in body.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(body, list):
        for i, v in enumerate(body):
            yield from _leaves(v, (*path, i))
    else:
        yield path


def _replaced(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = json.loads(json.dumps(body))
    node = copy
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return copy


@dataclass(frozen=True)
class Request:
    kind: str
    method: str
    url: str
    role: Role
    content: bytes | None = None
    params: dict[str, str] | None = None
    field: str = ""


def hostile_requests(values: set[str] | None = None) -> list[Request]:
    """The hostile request set (about two thousand requests); ``values`` limits the body and
    query values to those names (a quicker set for the tests)."""
    out: list[Request] = []
    for method, path, role, body in _templates():
        for leaf in _leaves(body):
            for name, value in HOSTILE_VALUES.items():
                if values is not None and name not in values:
                    continue
                out.append(
                    Request(
                        f"body {name}",
                        method,
                        path,
                        role,
                        _dumps(_replaced(body, leaf, value)),
                        field=".".join(map(str, leaf)),
                    )
                )
        for name, raw in {
            "not JSON": b"{not json",
            "empty": b"",
            "a list": b"[]",
            "deep nesting": b"[" * 10_000 + b"]" * 10_000,
            "duplicate keys": b'{"a": 1, "a": 2}',
            "NaN top level": b"NaN",
        }.items():
            out.append(Request(f"body {name}", method, path, role, raw))
    queries = [
        ("GET", "/v1/rating/python", ["season", "view", "offset", "limit"]),
        ("GET", "/v1/rating/python/participants/p1", ["season", "view"]),
        ("GET", "/v1/participants/p1/recommendations", ["k", "direction", "as_of", "region"]),
        ("GET", "/v1/participants/p1/competence", ["direction"]),
        ("GET", "/v1/moderation/achievements", ["offset", "limit", "activity_id"]),
        ("GET", "/v1/moderation/audit", ["offset", "limit", "subject_type", "subject_id"]),
        ("GET", "/v1/moderation/competence", ["offset", "limit", "direction"]),
        ("GET", "/v1/moderation/competence-overrides", ["since", "format"]),
    ]
    for method, path, names in queries:
        role = Role.DATA_SCIENTIST if "overrides" in path else Role.MODERATOR
        for name in names:
            for label, value in HOSTILE_QUERY.items():
                if values is not None and label not in values:
                    continue
                out.append(
                    Request(f"query {label}", method, path, role, params={name: value}, field=name)
                )
    for bad in HOSTILE_IDS:
        for template in (
            "/v1/participants/{}/competence",
            "/v1/participants/{}/recommendations",
            "/v1/rating/python/participants/{}",
            "/v1/moderation/achievements/{}",
            "/v1/moderation/competence/{}",
        ):
            out.append(Request("path id", "GET", template.format(bad), Role.MODERATOR))
        out.append(
            Request("path id", "POST", f"/v1/participants/{bad}/erasure", Role.PLATFORM, b"{}")
        )
    return out


@dataclass
class Tally:
    """Counts per kind of hostile input."""

    tried: int = 0
    clean: int = 0
    unavailable: int = 0
    server_errors: int = 0
    unnamed_422: int = 0
    examples: list[str] = field(default_factory=list)


def _names_a_field(body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    errors = body.get("errors") or (
        body.get("detail") if isinstance(body.get("detail"), list) else None
    )
    if isinstance(errors, list) and errors:
        return all(isinstance(e, dict) and (e.get("loc") or e.get("field")) for e in errors)
    return bool(body.get("field"))


def replay_requests(client: TestClient, values: set[str] | None = None) -> dict[str, Tally]:
    """Send every hostile request (of ``values``, see :func:`hostile_requests`); count per
    kind."""
    tallies: dict[str, Tally] = {}
    for req in hostile_requests(values):
        tally = tallies.setdefault(req.kind, Tally())
        headers = bearer(req.role) | {"content-type": "application/json"}
        response = client.request(
            req.method, req.url, content=req.content, params=req.params, headers=headers
        )
        tally.tried += 1
        status = response.status_code
        if status == 503:
            tally.unavailable += 1
        elif status >= 500:
            tally.server_errors += 1
            if len(tally.examples) < 3:
                tally.examples.append(f"{req.method} {req.url} {req.field} -> {status}")
        elif status == 422 and not _names_a_field(_json(response)):
            tally.unnamed_422 += 1
            if len(tally.examples) < 3:
                tally.examples.append(f"{req.method} {req.url} {req.field} -> 422 without field")
        else:
            tally.clean += 1
    return tallies


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class _Payload:
    """Unpickling this writes ``marker``: the witness that a file's code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.marker), "w"))


@dataclass(frozen=True)
class BundleOutcome:
    name: str
    refused: bool
    payload_ran: bool
    error: str


def _payload(path: Path, marker: Path) -> Path:
    import joblib

    joblib.dump(_Payload(marker), path)
    return path


def _sidecars(
    path: Path, *, sha: str | None = None, sig_key: str | None = None, sig_of: str | None = None
) -> None:
    digest = file_sha256(path)
    path.with_name(path.name + ".sha256").write_text(f"{sha or digest}  {path.name}\n")
    if sig_key is not None:
        path.with_name(path.name + ".sig").write_text(
            signature_line(sig_key, sig_of or digest, path.name)
        )


def hostile_bundles(folder: Path, marker: Path, good: Path) -> dict[str, Callable[[], Path]]:
    """Builders of hostile bundle folders; each returns the folder serving would be told to
    watch. ``good`` is a real signed bundle (its signature is replayed onto other files)."""

    def fresh(name: str) -> Path:
        target = folder / name
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        return target

    def point(target: Path, name: str) -> Path:
        (target / "latest.txt").write_text(name + "\n")
        return target

    def unsigned_payload() -> Path:
        t = fresh("unsigned")
        _sidecars(_payload(t / "m.joblib", marker))
        return point(t, "m.joblib")

    def forged_signature() -> Path:
        t = fresh("forged")
        _sidecars(_payload(t / "m.joblib", marker), sig_key="guessed-key-" + "z" * 30)
        return point(t, "m.joblib")

    def replayed_signature() -> Path:
        t = fresh("replayed")
        p = _payload(t / "m.joblib", marker)
        _sidecars(p, sig_key=DEV_BUNDLE_KEY, sig_of=file_sha256(good))
        return point(t, "m.joblib")

    def sidecar_sha_of_good_file() -> Path:
        t = fresh("sha-of-good")
        p = _payload(t / "m.joblib", marker)
        _sidecars(p, sha=file_sha256(good))
        shutil.copy(good.with_name(good.name + ".sig"), t / "m.joblib.sig")
        return point(t, "m.joblib")

    def pointer_outside_the_folder() -> Path:
        t = fresh("outside")
        outside = fresh("outside-target")
        _sidecars(_payload(outside / "m.joblib", marker))
        return point(t, "../outside-target/m.joblib")

    def absolute_pointer() -> Path:
        t = fresh("absolute")
        outside = fresh("absolute-target")
        _sidecars(_payload(outside / "m.joblib", marker))
        return point(t, str((outside / "m.joblib").resolve()))

    def symlinked_payload() -> Path:
        t = fresh("symlink")
        outside = fresh("symlink-target")
        _sidecars(_payload(outside / "m.joblib", marker))
        (t / "m.joblib").symlink_to(outside / "m.joblib")
        _sidecars(t / "m.joblib")
        return point(t, "m.joblib")

    def truncated_signed() -> Path:
        t = fresh("truncated")
        data = good.read_bytes()
        (t / "m.joblib").write_bytes(data[: len(data) // 2])
        shutil.copy(good.with_name(good.name + ".sig"), t / "m.joblib.sig")
        return point(t, "m.joblib")

    def empty_file() -> Path:
        t = fresh("empty")
        (t / "m.joblib").write_bytes(b"")
        _sidecars(t / "m.joblib")
        return point(t, "m.joblib")

    def garbage_signature_file() -> Path:
        t = fresh("garbage-sig")
        _payload(t / "m.joblib", marker)
        (t / "m.joblib.sig").write_bytes(bytes(range(256)) * 40)
        return point(t, "m.joblib")

    def pointer_to_a_folder() -> Path:
        t = fresh("dir-pointer")
        (t / "sub").mkdir()
        return point(t, "sub")

    def pointer_garbage() -> Path:
        t = fresh("garbage-pointer")
        (t / "latest.txt").write_bytes(b"\xff\xfe\x00" * 1000)
        return t

    def no_pointer() -> Path:
        return fresh("no-pointer")

    return {
        f.__name__.replace("_", " "): f
        for f in (
            unsigned_payload,
            forged_signature,
            replayed_signature,
            sidecar_sha_of_good_file,
            pointer_outside_the_folder,
            absolute_pointer,
            symlinked_payload,
            truncated_signed,
            empty_file,
            garbage_signature_file,
            pointer_to_a_folder,
            pointer_garbage,
            no_pointer,
        )
    }


def replay_bundles(
    workdir: Path, good: Path, loader: Callable[[Path], Any], smoke: Callable[[Any], None]
) -> list[BundleOutcome]:
    """Load every hostile bundle folder as the service does (a holder with the development key,
    a folder source); record whether it was refused and whether its payload ran."""
    marker = workdir / "payload-ran"
    out = []
    for name, build in hostile_bundles(workdir / "bundles", marker, good).items():
        marker.unlink(missing_ok=True)
        holder: BundleHolder[Any] = BundleHolder(
            "competence", loader, smoke, lambda b: "v", signing_key=DEV_BUNDLE_KEY
        )
        refused, error = False, ""
        try:
            holder.load(FileSource(build()).resolve())
        except BundleRefusedError as exc:
            refused, error = True, str(exc)[:120]
        except Exception as exc:  # a crash of the loading path itself: not clean
            error = f"{type(exc).__name__}: {exc}"[:120]
        out.append(BundleOutcome(name, refused, marker.exists(), error))
    return out
