"""The batch path on Spark (local[2], one session for the file): the same feature frame and the
same estimates as the in-process code on a small world, and the service's refresh handed to
Spark records all or nothing.

Skipped without PySpark or Java, except under CI (``CI`` set), where they must run.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from cli.main import app
from features.activity_stats import compute_activity_stats
from features.participant import participant_features
from features.schema import KEYS
from footprint.frames import FRAME_DTYPES
from footprint.snapshot import load_snapshot, write_snapshot
from models.competence.bundle import CompetenceBundle
from models.competence.columns import CompetenceColumns as CC
from models.competence.rating_features import rating_frame
from serving.main import create_app
from serving.services import batch_load
from serving.services.batch_load import (
    BatchLoadError,
    load_estimates,
    spark_command,
    spark_estimates,
)
from serving.services.refresh import RefreshJob
from serving.tables import competence_estimates, competence_reviews
from tests.features.world import make_world
from tests.serving.bundle_factory import save_versions, tiny_bundle, world_push_records
from tests.serving.conftest import push, settings_for


def _why_not() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (uv sync installs the spark extra)"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (scripts/system-deps.sh installs openjdk-17-jre-headless)"
    return None


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    reason = _why_not()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Spark tests: {reason}")
        pytest.skip(reason)
    from batch.session import spark_session

    session = spark_session(
        "local[2]",
        "talent-tests",
        {
            "spark.sql.shuffle.partitions": "2",
            "spark.default.parallelism": "2",
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
        },
    )
    yield session
    session.stop()


@pytest.fixture(scope="module")
def snapshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    snap = make_world(n_participants=150, seed=3).snapshot()
    frames = {name: getattr(snap, name) for name in FRAME_DTYPES}
    return write_snapshot(frames, snap.as_of, tmp_path_factory.mktemp("snapshots"))


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_versions(tiny_bundle(), tmp_path_factory.mktemp("bundle"), ["tiny-1"])[0]


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(KEYS)).reset_index(drop=True)


def test_spark_features_equal_the_in_process_frame(spark: Any, snapshot_dir: Path) -> None:
    from batch.features import features_frame

    cut = dt.datetime(2025, 3, 1)  # mid-season: later records, statuses and people are cut off
    snap = load_snapshot(snapshot_dir)
    expected = participant_features(
        snap.achievements, snap.participants, compute_activity_stats(snap, cut), cut
    )
    got = features_frame(spark, snapshot_dir, cut, buckets=3).toPandas()
    assert len(expected) > 0 and got[KEYS[0]].nunique() == expected[KEYS[0]].nunique()
    pd.testing.assert_frame_equal(_sorted(got), _sorted(expected), check_dtype=False)


def test_spark_estimates_equal_the_bundles_in_process_estimates(
    spark: Any, snapshot_dir: Path, bundle_path: Path
) -> None:
    from batch.estimate import ESTIMATE_TYPES, estimates_frame, uses_rating

    bundle = CompetenceBundle.load(bundle_path)
    assert uses_rating(bundle)  # the rating rows travel with the participants too
    snap = load_snapshot(snapshot_dir)
    previous = pd.DataFrame(
        {
            KEYS[0]: ["p000001", "p000002"],
            KEYS[1]: ["python", "robotics"],
            CC.COMPETENCE: [1.0, 99.0],
        }
    )
    expected = bundle.estimate(
        snap.achievements,
        snap.participants,
        as_of=snap.as_of,
        rating=rating_frame(snap, snap.as_of),
        previous=previous,
    )
    got = estimates_frame(spark, snapshot_dir, bundle, previous=previous, buckets=4).toPandas()
    for column in CC.LIST_COLUMNS:
        got[column] = got[column].map(json.loads)
    expected = _sorted(expected)[list(ESTIMATE_TYPES)]
    pd.testing.assert_frame_equal(_sorted(got), expected, check_dtype=False, rtol=1e-9)
    changed = [f["code"] for flags in expected[CC.FLAGS] for f in flags]
    assert "large_change" in changed  # the earlier estimates reached their participants


def _tables(client: TestClient) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    store = client.app.state.talent.store  # type: ignore[attr-defined]
    t, rv = competence_estimates, competence_reviews
    with store.engine.connect() as conn:
        estimates = conn.execute(select(t).order_by(t.c.participant_id, t.c.direction)).all()
        reviews = conn.execute(select(rv).order_by(rv.c.participant_id, rv.c.direction)).all()
    return [tuple(r) for r in estimates], [tuple(r) for r in reviews]


KILLED = """
import os, pathlib, signal, sys
out = pathlib.Path(sys.argv[1])
out.mkdir(parents=True)
(out / "part-00000.parquet").write_bytes(b"PAR1 half a file")
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_the_service_refresh_handed_to_spark_records_all_or_nothing(
    spark: Any, tmp_path: Path, bundle_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "competence"
    folder.mkdir()
    for f in bundle_path.parent.glob(bundle_path.name + "*"):
        shutil.copy(f, folder / f.name)
    (folder / "latest.txt").write_text(bundle_path.name)
    settings = settings_for(
        f"sqlite:///{tmp_path / 'talent.db'}",
        competence_bundle=folder,
        refresh_spark_master="local[1]",
    )
    rows = world_push_records()
    with TestClient(create_app(settings)) as client:
        for entity in ("participants", "activities", "achievements"):
            some = rows[entity][:60] if entity != "activities" else rows[entity]
            assert push(client, entity, some, source="world").status_code == 200
        talent = client.app.state.talent  # type: ignore[attr-defined]
        RefreshJob(talent.competence).start(wait=True)  # in process
        before = _tables(client)
        assert before[0], "the in-process refresh recorded estimates"

        # the Spark job on the live snapshot with the child's command line, run here through the
        # CLI on this file's session (a second JVM would double the test's time)
        def in_this_process(s: Path, b: Path, p: Path, o: Path, m: str) -> list[str]:
            argv = spark_command(s, b, p, o, m)
            assert argv[:3] == [sys.executable, "-m", "cli"]
            result = CliRunner().invoke(app, argv[3:])
            assert result.exit_code == 0, result.output
            return [sys.executable, "-c", "pass"]

        _, snapshot = talent.live.snapshot()
        out = spark_estimates(
            talent.store, snapshot, bundle_path, tmp_path / "job", "local[1]", in_this_process
        )
        assert (out / batch_load.SUCCESS).is_file()

        # a job killed midway: no marker, nothing recorded
        talent.refresh._spark_command = lambda s, b, p, o, m: [sys.executable, "-c", KILLED, str(o)]
        assert talent.refresh.start(wait=True)
        assert (
            talent.refresh.status.state == "failed"
            and "exited with -9" in talent.refresh.status.error
        )
        assert _tables(client) == before
        half = tmp_path / "half"
        shutil.copytree(out, half)
        (half / batch_load.SUCCESS).unlink()
        with pytest.raises(BatchLoadError, match="did not finish"):
            load_estimates(talent.store, half, dt.datetime(2026, 1, 1))
        # a load that fails after its first chunk: the transaction takes nothing
        real = batch_load.record_estimates_in
        calls: list[int] = []

        def failing(*args: Any) -> Any:
            calls.append(1)
            if len(calls) == 2:
                raise RuntimeError("store went away")
            return real(*args)

        monkeypatch.setattr(batch_load, "CHUNK", 10)
        monkeypatch.setattr(batch_load, "record_estimates_in", failing)
        with pytest.raises(RuntimeError):
            load_estimates(talent.store, out, dt.datetime(2026, 1, 1))
        assert len(calls) == 2 and _tables(client) == before
        monkeypatch.undo()

        # the whole refresh through Spark's output: the same estimates as in process
        talent.refresh._spark_command = lambda s, b, p, o, m: ["cp", "-r", str(out), str(o)]
        assert talent.refresh.start(wait=True)
        assert talent.refresh.status.state == "done", talent.refresh.status.error
        after = _tables(client)
    columns = [c.name for c in competence_estimates.columns]
    got, expected = (
        pd.DataFrame(after[0], columns=columns),
        pd.DataFrame(before[0], columns=columns),
    )
    assert (got["computed_at"] > expected["computed_at"]).all()  # recorded again, ...
    pd.testing.assert_frame_equal(  # ... with the in-process values
        got.drop(columns="computed_at"), expected.drop(columns="computed_at"), rtol=1e-9
    )


def test_spark_recommendations_equal_the_in_process_ones(spark: Any, tmp_path: Path) -> None:
    from batch.recommend import recommendations_frame
    from models.recommend.base import Recommender
    from models.recommend.columns import RecColumns
    from models.recommend.dataset import dataset_from_snapshot
    from tests.serving.bundle_factory import tiny_recommender, tiny_world_snapshot

    as_of = dt.datetime(2025, 9, 1)
    model: Recommender = Recommender.load(tiny_recommender(tmp_path / "content.joblib", as_of))
    snap = tiny_world_snapshot(as_of)
    folder = write_snapshot({n: getattr(snap, n) for n in FRAME_DTYPES}, as_of, tmp_path)
    data = dataset_from_snapshot(snap, as_of, ability=model.ability_model or False)
    expected = model.recommend(sorted(data.participant_ids), k=3, dataset=data)
    got = recommendations_frame(spark, folder, model, k=3, buckets=3).toPandas()
    got[RecColumns.REASON_CODES] = got[RecColumns.REASON_CODES].map(json.loads)
    expected[RecColumns.REASON_CODES] = expected[RecColumns.REASON_CODES].map(list)
    key = [KEYS[0], RecColumns.RANK]
    assert len(expected) > 0 and expected[KEYS[0]].nunique() == len(data.participant_ids)
    pd.testing.assert_frame_equal(
        got.sort_values(key).reset_index(drop=True),
        expected.sort_values(key).reset_index(drop=True),
        check_dtype=False,
        rtol=1e-9,
    )


def test_the_child_command_line_starts_the_cli() -> None:
    """The service starts ``python -m cli`` with its own interpreter."""
    import subprocess

    run = subprocess.run(
        [sys.executable, "-m", "cli", "spark", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "estimate" in run.stdout and "recommend" in run.stdout
