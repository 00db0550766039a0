"""Model bundles served without downtime: signature, checksum, smoke check, atomic swap.

A :class:`BundleHolder` keeps the bundle being served. Loading a new one happens beside it: the
file's SHA-256 is compared with the expected one and its signature (``<bundle>.sig``, an HMAC
under ``TALENT_BUNDLE_KEY``, :mod:`core.artifacts`) is checked before a byte of it is
unpickled; then the bundle is loaded and a smoke check runs on it; only when all pass is the
holder's reference replaced, in one assignment. A request
reads ``holder.current`` once and keeps that object to its end, so requests in flight finish on the
bundle they started with and none waits for a load. A refused bundle raises
:class:`BundleRefusedError` and the old bundle keeps serving.

Where a bundle comes from is a :class:`BundleSource`: a file with a known checksum today, the
registry's ``champion`` alias once the registry exists.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar, cast

from core.artifacts import read_checksum, read_latest, read_signature, signature_matches
from core.hashing import file_sha256
from core.instants import utc_now
from core.logs import get_logger
from serving.errors import NotReadyError, ServingError

log = get_logger(__name__)
T = TypeVar("T")
R = TypeVar("R")


class BundleRefusedError(ServingError):
    """A bundle failed its checksum or signature, could not be loaded, or failed its smoke
    check."""


@dataclass(frozen=True)
class BundleRef:
    """Where a bundle is, what its file's SHA-256 must be (None: not checked) and the signature
    published with it (None: none found, which a holder with a key refuses)."""

    path: Path
    sha256: str | None = None
    signature: str | None = None


class BundleSource(Protocol):
    """Tells which bundle should be served now."""

    def resolve(self) -> BundleRef: ...


@dataclass(frozen=True)
class FileSource:
    """A bundle named in the settings: a file, or a folder whose ``latest.txt`` names the file
    (what ``talent train competence`` writes). The checksum is the configured one, else the one
    in ``<file>.sha256`` beside the bundle, else unknown (the file is then loaded unverified)."""

    path: Path
    sha256: str | None = None

    def resolve(self) -> BundleRef:
        path = read_latest(self.path) if self.path.is_dir() else self.path
        expected = self.sha256 if self.sha256 is not None else read_checksum(path)
        return BundleRef(path, expected, read_signature(path))


@dataclass(frozen=True)
class LoadedBundle(Generic[T]):
    """A bundle being served, with its provenance."""

    kind: str
    version: str
    sha256: str
    path: Path
    bundle: T
    loaded_at: dt.datetime


BundleGetter = Callable[[], LoadedBundle[T] | None]
"""What a service asks for the bundle of its kind being served (None: none loaded)."""


def require_bundle(getter: BundleGetter[T], missing: str) -> LoadedBundle[T]:
    """The bundle ``getter`` serves now, to use for one whole request.

    Raises
    ------
    NotReadyError
        None is loaded (``missing`` says which and how to load one).
    """
    loaded = getter()
    if loaded is None:
        raise NotReadyError(missing)
    return loaded


BACKGROUND_NICENESS = 10
"""How much lower the CPU priority of a bundle load is than the requests' (Linux ``nice``
steps): a load under load otherwise takes its cores from the requests (bench/load.py, 250k
re-ranker, 200 requests/s on two workers: about 1.5 s of stalled answers per switch), and at 10
steps it still gets about a tenth of a busy core, so a switch under saturation ends."""


def in_background(work: Callable[[], R]) -> R:
    """Run ``work`` in a new thread whose CPU priority is :data:`BACKGROUND_NICENESS` steps
    lower, and return its result (or raise its exception) here.

    Linux schedules threads on their own, so lowering one thread's priority leaves the request
    threads of the process as they were. Elsewhere the priority stays as it is.
    """
    outcome: list[Any] = []

    def run() -> None:
        try:
            tid = threading.get_native_id()
            os.setpriority(
                os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + BACKGROUND_NICENESS
            )
        except (OSError, AttributeError):
            pass  # not Linux, or not allowed: load at the usual priority
        try:
            outcome.append((True, work()))
        except BaseException as exc:  # handed to the caller's thread
            outcome.append((False, exc))

    thread = threading.Thread(target=run, name="bundle-load", daemon=True)
    thread.start()
    thread.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    return cast(R, value)


class BundleHolder(Generic[T]):
    """Holds the served bundle of one kind and switches it atomically.

    Parameters
    ----------
    kind
        ``competence``, ``recommend``, ...: for logs, metrics and the API.
    loader
        Reads a bundle file (e.g. ``CompetenceBundle.load``).
    smoke
        Raises when a loaded bundle cannot answer a typical request.
    version_of
        The version string of a loaded bundle.
    signing_key
        The key bundles must be signed with (``TALENT_BUNDLE_KEY``); a file without a matching
        signature is refused before it is read. None turns the check off: only for tests of the
        switching itself, never in a service (:func:`serving.model_slots.configure_models`
        always passes the settings' key).
    """

    def __init__(
        self,
        kind: str,
        loader: Callable[[Path], T],
        smoke: Callable[[T], None],
        version_of: Callable[[T], str],
        on_switch: Callable[[LoadedBundle[T], LoadedBundle[T] | None], None] | None = None,
        *,
        signing_key: str | None,
    ) -> None:
        self.kind = kind
        self._key = signing_key
        self._loader = loader
        self._smoke = smoke
        self._version_of = version_of
        self._on_switch = on_switch
        self._current: LoadedBundle[T] | None = None
        self._loading = threading.Lock()
        self._retired: list[LoadedBundle[T]] = []

    @property
    def current(self) -> LoadedBundle[T] | None:
        """The bundle to use for one whole request (read it once)."""
        return self._current

    def load(self, ref: BundleRef) -> LoadedBundle[T]:
        """Load, verify and switch to the bundle at ``ref``; one load at a time.

        Raises
        ------
        BundleRefusedError
            Checksum mismatch, missing or wrong signature, unreadable bundle or failed smoke
            check; nothing changes.
        """
        with self._loading:
            self.release_retired()  # left by a caller that did not release them
            if not ref.path.is_file():
                raise BundleRefusedError(f"{self.kind} bundle {ref.path} does not exist")
            digest = file_sha256(ref.path)
            if ref.sha256 is not None and digest != ref.sha256.lower():
                raise BundleRefusedError(
                    f"{self.kind} bundle {ref.path} has SHA-256 {digest}, expected {ref.sha256}; "
                    "refused (a partial copy or the wrong file)"
                )
            if self._key is not None and not signature_matches(self._key, digest, ref.signature):
                # before the loader: unpickling a file runs code, and a matching checksum only
                # proves the file is whole, not who wrote it
                raise BundleRefusedError(
                    f"{self.kind} bundle {ref.path} has no valid signature "
                    f"({'missing' if ref.signature is None else 'wrong'}); refused unread "
                    "(publish it with TALENT_BUNDLE_KEY set to the service's key)"
                )
            if self._current is not None and self._current.sha256 == digest:
                return self._current
            try:
                bundle = self._loader(ref.path)
                self._smoke(bundle)
                version = self._version_of(bundle)
            except Exception as exc:  # any failure of foreign code means: refuse, keep serving
                raise BundleRefusedError(
                    f"{self.kind} bundle {ref.path} refused: {type(exc).__name__}: {exc}"
                ) from exc
            loaded = LoadedBundle(
                kind=self.kind,
                version=version,
                sha256=digest,
                path=ref.path,
                bundle=bundle,
                loaded_at=utc_now(),
            )
            previous, self._current = self._current, loaded
        log.info(
            "bundle_switched",
            kind=self.kind,
            version=version,
            previous=previous.version if previous else None,
            sha256=digest[:16],
        )
        if self._on_switch is not None:
            self._on_switch(loaded, previous)
        if previous is not None:
            # freed by release_retired() in the caller's thread, not in a low-priority loading
            # thread: freeing a 250k re-ranker holds the GIL ~30 ms, and a thread at nice +10
            # preempted meanwhile kept every request of the worker waiting up to 150 ms
            self._retired.append(previous)
        return loaded

    def release_retired(self) -> None:
        """Drop this holder's references to the bundles it replaced (requests still using one
        keep it until they finish). :meth:`ModelRegistry.reload` calls it after each load, in
        its own thread."""
        while self._retired:
            self._retired.pop()


@dataclass
class _Slot:
    holder: BundleHolder[Any]
    source: BundleSource


def _ref_key(ref: BundleRef) -> tuple[object, ...]:
    """What identifies a bundle file's state without hashing it (cheap enough to poll)."""
    try:
        stat = ref.path.stat()
    except OSError:
        return (str(ref.path), None, None, ref.sha256, ref.signature)
    return (str(ref.path), stat.st_mtime_ns, stat.st_size, ref.sha256, ref.signature)


class ModelRegistry:
    """The configured bundle kinds of a service, each with its holder and its source.

    Switching happens on an admin call (:meth:`reload`) or, with :meth:`watch`, whenever a
    kind's source names another file or the file changes.
    """

    def __init__(self) -> None:
        self._slots: dict[str, _Slot] = {}
        self._seen: dict[str, tuple[object, ...]] = {}
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    def add(self, holder: BundleHolder[Any], source: BundleSource) -> None:
        self._slots[holder.kind] = _Slot(holder, source)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self._slots)

    def holder(self, kind: str) -> BundleHolder[Any] | None:
        slot = self._slots.get(kind)
        return slot.holder if slot else None

    def reload(self, kind: str, *, background: bool = True) -> LoadedBundle[Any]:
        """Load what the kind's source names now (an admin call, or a watcher).

        With ``background`` (the default, for a service that is answering requests) the load
        runs in a thread of lower CPU priority (:func:`in_background`) and this call waits for
        it; the start-up load, with no request to protect, runs at normal priority.

        Raises
        ------
        KeyError
            The kind is not configured.
        BundleRefusedError
            The new bundle was refused; the old one keeps serving.
        """
        slot = self._slots[kind]
        ref = slot.source.resolve()
        self._seen[kind] = _ref_key(ref)
        try:
            if not background:
                return slot.holder.load(ref)
            return in_background(lambda: slot.holder.load(ref))
        finally:
            slot.holder.release_retired()

    def poll(self) -> None:
        """Reload every kind whose source changed since the last attempt (a refused bundle is
        tried again only once it changes)."""
        for kind, slot in self._slots.items():
            ref = slot.source.resolve()
            if _ref_key(ref) == self._seen.get(kind):
                continue
            try:
                self.reload(kind)
            except BundleRefusedError as exc:
                log.error("bundle_refused", kind=kind, error=str(exc))

    def watch(self, interval: float) -> None:
        """Poll the sources every ``interval`` seconds in a background thread."""
        if self._watcher is not None:
            return
        self._stop.clear()

        def run() -> None:
            while not self._stop.wait(interval):
                self.poll()

        self._watcher = threading.Thread(target=run, name="bundle-watcher", daemon=True)
        self._watcher.start()

    def stop_watching(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
            self._watcher = None

    def load_all(self) -> dict[str, str]:
        """Load every configured kind at start-up; returns kind -> error for those refused."""
        errors = {}
        for kind in self._slots:
            try:
                self.reload(kind, background=False)
            except BundleRefusedError as exc:
                errors[kind] = str(exc)
                log.error("bundle_refused", kind=kind, error=str(exc))
        return errors

    def not_ready(self) -> list[str]:
        """Configured kinds with no bundle loaded."""
        return [k for k, s in self._slots.items() if s.holder.current is None]

    def status(self) -> list[dict[str, object]]:
        """What is served, per kind."""
        out: list[dict[str, object]] = []
        for kind, slot in self._slots.items():
            cur = slot.holder.current
            out.append(
                {
                    "kind": kind,
                    "loaded": cur is not None,
                    "version": cur.version if cur else None,
                    "sha256": cur.sha256 if cur else None,
                    "loaded_at": cur.loaded_at if cur else None,
                }
            )
        return out
