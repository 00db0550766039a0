"""Model bundles: checksum and smoke check before serving, atomic switch, refused bundles leave the
old one serving. A tiny fake bundle (a JSON file) stands in for a real model."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.artifacts import DEV_BUNDLE_KEY, signature_line
from serving.auth import Role
from serving.bundles import (
    BundleHolder,
    BundleRef,
    BundleRefusedError,
    FileSource,
    ModelRegistry,
    file_sha256,
)
from serving.main import create_app
from tests.serving.conftest import bearer, settings_for
from training.bundles import sign


def _write(path: Path, version: str, ok: bool = True) -> Path:
    path.write_text(json.dumps({"version": version, "ok": ok, "double": version * 2}))
    return path


def _load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def _smoke(bundle: dict[str, Any]) -> None:
    if not bundle["ok"]:
        raise ValueError("smoke check failed")


def _holder() -> BundleHolder[dict[str, Any]]:
    return BundleHolder("fake", _load, _smoke, lambda b: str(b["version"]), signing_key=None)


def test_load_verifies_the_checksum(tmp_path: Path) -> None:
    holder = _holder()
    v1 = _write(tmp_path / "v1.json", "v1")
    loaded = holder.load(BundleRef(v1, file_sha256(v1)))
    assert holder.current is loaded and loaded.version == "v1"
    v2 = _write(tmp_path / "v2.json", "v2")
    with pytest.raises(BundleRefusedError, match="SHA-256"):
        holder.load(BundleRef(v2, "0" * 64))
    assert holder.current is loaded  # the old one keeps serving


def test_failed_smoke_check_or_unreadable_file_is_refused(tmp_path: Path) -> None:
    holder = _holder()
    good = holder.load(BundleRef(_write(tmp_path / "v1.json", "v1")))
    with pytest.raises(BundleRefusedError, match="smoke check failed"):
        holder.load(BundleRef(_write(tmp_path / "bad.json", "v2", ok=False)))
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(BundleRefusedError, match="JSONDecodeError"):
        holder.load(BundleRef(tmp_path / "broken.json"))
    with pytest.raises(BundleRefusedError, match="does not exist"):
        holder.load(BundleRef(tmp_path / "missing.json"))
    assert holder.current is good


def test_file_source_reads_a_sidecar_checksum(tmp_path: Path) -> None:
    path = _write(tmp_path / "b.json", "v1")
    (tmp_path / "b.json.sha256").write_text(f"{file_sha256(path)}  b.json\n")
    assert FileSource(path).resolve().sha256 == file_sha256(path)
    assert FileSource(path, "ab" * 32).resolve().sha256 == "ab" * 32


def test_switching_under_load_never_shows_a_half_loaded_bundle(tmp_path: Path) -> None:
    holder = _holder()
    paths = [_write(tmp_path / f"v{i}.json", f"v{i}") for i in range(2)]
    holder.load(BundleRef(paths[0]))
    stop = threading.Event()
    bad: list[object] = []
    reads = [0]

    def reader() -> None:
        while not stop.is_set():
            current = holder.current  # read once per "request"
            if current is None or current.bundle["double"] != current.version * 2:
                bad.append(current)
            reads[0] += 1
            time.sleep(0)  # let the loader run

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for i in range(12):
        holder.load(BundleRef(paths[i % 2]))
    stop.set()
    for t in threads:
        t.join()
    assert bad == [] and reads[0] > 0


def test_registry_readiness_and_admin_reload(tmp_path: Path) -> None:
    bundle = tmp_path / "fake.json"
    settings = settings_for(f"sqlite:///{tmp_path / 't.db'}")
    with TestClient(create_app(settings)) as client:
        registry: ModelRegistry = client.app.state.talent.models  # type: ignore[attr-defined]
        registry.add(_holder(), FileSource(bundle))
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["models_missing"] == ["fake"]
        admin = bearer(Role.ADMIN)
        assert client.post("/v1/admin/models/fake/reload", headers=admin).status_code == 409
        _write(bundle, "v1")
        r = client.post("/v1/admin/models/fake/reload", headers=admin)
        assert r.status_code == 200 and r.json()["version"] == "v1"
        assert client.get("/readyz").status_code == 200
        _write(bundle, "v2", ok=False)
        refused = client.post("/v1/admin/models/fake/reload", headers=admin)
        assert refused.status_code == 409 and "smoke check failed" in refused.json()["detail"]
        status = client.get("/v1/admin/models", headers=admin).json()
        assert [(s["kind"], s["version"]) for s in status] == [("fake", "v1")]
        assert client.post("/v1/admin/models/other/reload", headers=admin).status_code == 404


def test_a_configured_but_missing_competence_bundle_keeps_the_service_unready(
    tmp_path: Path,
) -> None:
    settings = settings_for(
        f"sqlite:///{tmp_path / 't.db'}", competence_bundle=tmp_path / "nope.joblib"
    )
    with TestClient(create_app(settings)) as client:
        body = client.get("/readyz").json()
    assert body == {"ready": False, "store": True, "models_missing": ["competence"]}


def _niceness() -> int:
    import os

    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not hasattr(threading, "get_native_id"), reason="needs native thread ids")
def test_a_reload_while_serving_runs_at_lower_cpu_priority_than_the_start_up_load(
    tmp_path: Path,
) -> None:
    """A switch under load must not take the cores from the requests in flight; the caller's
    own thread keeps its priority."""
    from serving.bundles import BACKGROUND_NICENESS

    seen: list[int] = []

    def loader(path: Path) -> dict[str, Any]:
        seen.append(_niceness())
        return _load(path)

    registry = ModelRegistry()
    bundle = _write(tmp_path / "fake.json", "v1")
    registry.add(
        BundleHolder("fake", loader, _smoke, lambda b: str(b["version"]), signing_key=None),
        FileSource(bundle),
    )
    before = _niceness()
    assert registry.load_all() == {}
    _write(bundle, "v2")
    assert registry.reload("fake").version == "v2"
    assert seen == [before, min(before + BACKGROUND_NICENESS, 19)]
    assert _niceness() == before
    _write(bundle, "v3", ok=False)  # a refusal comes back to the caller's thread
    with pytest.raises(BundleRefusedError, match="smoke check failed"):
        registry.reload("fake")


def test_a_replaced_bundle_is_freed_in_the_callers_thread_not_the_loading_one(
    tmp_path: Path,
) -> None:
    """Freeing a big bundle holds the GIL for a while: it must not happen in the low-priority
    loading thread, which the kernel may preempt while every request waits for the GIL."""
    freed: list[tuple[str, int]] = []

    class Bundle(dict[str, Any]):
        def __del__(self) -> None:
            freed.append((threading.current_thread().name, _niceness()))

    registry = ModelRegistry()
    path = _write(tmp_path / "fake.json", "v1")
    registry.add(
        BundleHolder(
            "fake",
            lambda p: Bundle(_load(p)),
            _smoke,
            lambda b: str(b["version"]),
            signing_key=None,
        ),
        FileSource(path),
    )
    assert registry.load_all() == {}
    _write(path, "v2")
    caller = threading.current_thread().name
    before = _niceness()
    assert registry.reload("fake").version == "v2"
    assert freed == [(caller, before)]  # v1, right after the switch, at the caller's priority
    _write(path, "v3")
    assert registry.reload("fake").version == "v3"
    assert freed == [(caller, before)] * 2


class _Payload:
    """A pickle that writes ``marker`` when it is unpickled: what a hostile bundle does."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.marker), "w"))


def _hostile_folder(tmp_path: Path) -> tuple[Path, Path]:
    """A bundle folder as a promotion leaves it, but the bundle is a payload with a matching
    ``.sha256``: the checksum is right, only the signature is missing."""
    import joblib

    folder = tmp_path / "competence"
    folder.mkdir()
    marker = tmp_path / "payload-ran"
    bundle = folder / "evil.joblib"
    joblib.dump(_Payload(marker), bundle)
    (folder / "evil.joblib.sha256").write_text(f"{file_sha256(bundle)}  evil.joblib\n")
    (folder / "latest.txt").write_text("evil.joblib\n")
    return folder, marker


def test_a_payload_with_a_matching_checksum_never_runs_on_reload_or_watch(
    tmp_path: Path, bundles: list[Path]
) -> None:
    """Issue 16 item 4: the file is refused on its signature before a byte is unpickled, on the
    start-up load, on an admin reload and through the folder watcher."""
    folder, marker = _hostile_folder(tmp_path)
    settings = settings_for(
        f"sqlite:///{tmp_path / 't.db'}", competence_bundle=folder, model_watch_seconds=0.05
    )
    admin = bearer(Role.ADMIN)
    with TestClient(create_app(settings)) as client:
        refused = client.post("/v1/admin/models/competence/reload", headers=admin)
        assert refused.status_code == 409
        assert "signature" in refused.text
        # a new payload (the watcher sees a changed file) and a forged signature
        import joblib

        joblib.dump(_Payload(marker), folder / "evil.joblib")
        digest = file_sha256(folder / "evil.joblib")
        (folder / "evil.joblib.sha256").write_text(f"{digest}  evil.joblib\n")
        (folder / "evil.joblib.sig").write_text(
            signature_line("an attacker's guess of the key, long enough", digest, "evil.joblib")
        )
        time.sleep(0.5)  # ten watcher rounds
        assert client.get("/readyz").json()["models_missing"] == ["competence"]
        # a properly signed bundle published into the same folder is taken
        good = folder / bundles[0].name
        good.write_bytes(bundles[0].read_bytes())
        (folder / "latest.txt").write_text(f"{good.name}\n")
        sign(good, file_sha256(good), DEV_BUNDLE_KEY)
        for _ in range(100):
            if client.get("/readyz").status_code == 200:
                break
            time.sleep(0.05)
        assert client.get("/readyz").status_code == 200
    assert not marker.exists()


def test_the_payload_would_run_without_the_signature_check(tmp_path: Path) -> None:
    """The control for the test above: the same file loaded with the check off does run its
    payload, so the marker is a real witness."""
    import joblib

    folder, marker = _hostile_folder(tmp_path)
    holder: BundleHolder[Any] = BundleHolder(
        "competence", joblib.load, lambda b: None, lambda b: "x", signing_key=None
    )
    holder.load(FileSource(folder).resolve())
    assert marker.exists()


def test_signatures_are_checked_against_the_key(tmp_path: Path) -> None:
    path = _write(tmp_path / "b.json", "v1")
    holder: BundleHolder[dict[str, Any]] = BundleHolder(
        "fake", _load, _smoke, lambda b: str(b["version"]), signing_key="k" * 40
    )
    with pytest.raises(BundleRefusedError, match="no valid signature \\(missing\\)"):
        holder.load(FileSource(path).resolve())
    sign(path, file_sha256(path), "another key" * 4)
    with pytest.raises(BundleRefusedError, match="no valid signature \\(wrong\\)"):
        holder.load(FileSource(path).resolve())
    sign(path, file_sha256(path), "k" * 40)
    assert holder.load(FileSource(path).resolve()).version == "v1"
    _write(path, "v2")  # the file changed after signing: its digest no longer matches
    with pytest.raises(BundleRefusedError, match="wrong"):
        holder.load(FileSource(path).resolve())
    assert holder.current is not None and holder.current.version == "v1"
