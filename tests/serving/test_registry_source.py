"""Serving the champion from an MLflow model registry: the alias resolves to the registered
model's bundle with its recorded checksum and signature, the holder loads it, and MLflow's own
``mlflow models serve`` answers from the same registered version."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.artifacts import DEV_BUNDLE_KEY
from footprint.columns import Columns as C
from models.recommend.base import Recommender
from models.recommend.dataset import dataset_from_snapshot
from models.recommend.popular import PopularRecommender
from serving.bundles import BundleHolder
from serving.registry_source import RegistrySource, parse_model_uri
from tests.models.recommend.conftest import TINY_AS_OF, tiny_snapshot

NAME = "talent-recommend"
URI = f"models:/{NAME}@champion"


@dataclass(frozen=True)
class Registered:
    store: str
    version: str
    sha256: str
    snapshot: Path
    ids: list[str]


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registered]:
    """A tiny popular recommender registered as an MLflow model and made champion."""
    import mlflow

    from footprint.snapshot import write_snapshot
    from training.bundles import record_checksum
    from training.registry import CHAMPION, client, register_model

    root = tmp_path_factory.mktemp("registry-source")
    store = f"sqlite:///{root / 'mlflow.db'}"
    tiny = tiny_snapshot()
    frames = {
        n: getattr(tiny, n)
        for n in (
            "participants",
            "activities",
            "activity_directions",
            "activity_edges",
            "achievements",
        )
    }
    snapshot = write_snapshot(frames, TINY_AS_OF, root / "snapshots")
    model = PopularRecommender().fit(dataset_from_snapshot(tiny, TINY_AS_OF))
    bundle = model.save(root / "bundles" / "popular.joblib")
    sha = record_checksum(bundle)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", store)
        mp.chdir(root)
        mlflow.set_tracking_uri(store)
        mlflow.set_experiment("registry-source")
        with mlflow.start_run() as run:
            version = register_model(
                "recommend",
                NAME,
                run.info.run_id,
                bundle,
                sha,
                "snap",
                {"recommend.popular.ndcg@10": 0.5},
                snapshot,
            )
        client().set_registered_model_alias(NAME, CHAMPION, version)
        ids = [str(p) for p in tiny.participants[C.PARTICIPANT_ID][:2]]
        yield Registered(store, version, sha, snapshot, ids)


def test_the_alias_resolves_to_the_verified_bundle(registered: Registered, tmp_path: Path) -> None:
    source = RegistrySource(URI, tmp_path / "cache", registered.store)
    ref = source.resolve()
    assert ref.path.is_file() and ref.sha256 == registered.sha256 and ref.signature
    assert tmp_path / "cache" / NAME / registered.version in ref.path.parents
    holder: BundleHolder[Recommender] = BundleHolder(  # type: ignore[type-arg]
        "recommend",
        loader=Recommender.load,
        smoke=lambda b: None,
        version_of=lambda b: "v",
        signing_key=DEV_BUNDLE_KEY,
    )
    loaded = holder.load(ref)
    assert isinstance(loaded.bundle, PopularRecommender)
    # a second resolve uses the cached download
    assert source.resolve().path == ref.path
    # a wrong key refuses it like any unsigned bundle
    strict: BundleHolder[Recommender] = BundleHolder(  # type: ignore[type-arg]
        "recommend",
        loader=Recommender.load,
        smoke=lambda b: None,
        version_of=lambda b: "v",
        signing_key="another-key-" + "0" * 40,
    )
    with pytest.raises(Exception, match="signature"):
        strict.load(ref)


def test_an_unset_alias_or_unreachable_registry_gives_a_refusable_ref(
    registered: Registered, tmp_path: Path
) -> None:
    missing = RegistrySource(f"models:/{NAME}@nobody", tmp_path, registered.store).resolve()
    assert not missing.path.exists()
    with pytest.raises(ValueError, match="models:/"):
        parse_model_uri("runs:/abc/model")


@pytest.mark.slow
def test_mlflow_models_serve_answers_from_the_champion(
    registered: Registered, tmp_path: Path
) -> None:
    """The one end-to-end check that MLflow's own server serves the registered champion
    (``--env-manager local``: this environment; a free port; the tiny world)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = os.environ | {"MLFLOW_TRACKING_URI": registered.store}
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mlflow",
                "models",
                "serve",
                "-m",
                URI,
                "--env-manager",
                "local",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
            ],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # two Python start-ups (the CLI, then uvicorn) that import MLflow: slow on a busy machine
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the server did not start: {log.read_text()[-2000:]}")
                time.sleep(0.5)
        body = json.dumps(
            {
                "dataframe_records": [{C.PARTICIPANT_ID: p} for p in registered.ids],
                "params": {"k": 2},
            }
        ).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/invocations",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            rows = json.loads(answer.read())["predictions"]
    finally:
        # the CLI starts uvicorn as a child: end the whole session it leads
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=5)
    assert {r[C.PARTICIPANT_ID] for r in rows} == set(registered.ids)
    assert all(len([r for r in rows if r[C.PARTICIPANT_ID] == p]) == 2 for p in registered.ids)
