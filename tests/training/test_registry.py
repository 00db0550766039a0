"""The promotion gate on registered versions with known metrics (no training needed)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import joblib
import pytest

from training.bundles import record_checksum
from training.config import GatedMetric
from training.registry import (
    CHAMPION,
    PromotionError,
    export_bundle,
    promote,
    register_bundle,
    version_info,
)


def gated(model: str) -> tuple[GatedMetric, ...]:
    return (
        GatedMetric(name="competence.all.spearman_label.model", model=model),
        GatedMetric(
            name="competence.seconds.total", higher_is_better=False, tolerance=1.0, model=model
        ),
    )


@pytest.fixture(scope="module", autouse=True)
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One tracking store for the module (creating one takes seconds); a model name per test."""
    import mlflow

    root = tmp_path_factory.mktemp("registry")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        mp.chdir(root)
        mlflow.set_tracking_uri(uri)
        yield


def _register(
    tmp_path: Path,
    tag: str,
    spearman: float,
    seconds: float = 10.0,
    snapshot: str = "snap-a",
    name: str = "m",
    metrics: dict[str, float] | None = None,
    tags: dict[str, str] | None = None,
) -> str:
    import mlflow

    path = tmp_path / "out" / f"competence-{tag}.joblib"
    path.parent.mkdir(exist_ok=True)
    joblib.dump({"tag": tag}, path)
    sha = record_checksum(path)
    mlflow.set_experiment("pipeline")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(path), artifact_path="bundle")
        uri = mlflow.get_artifact_uri("bundle")
        return register_bundle(
            name,
            run.info.run_id,
            uri,
            path,
            sha,
            snapshot,
            metrics
            or {
                "competence.all.spearman_label.model": spearman,
                "competence.seconds.total": seconds,
            },
            tags,
        )


def test_first_challenger_becomes_champion_and_is_exported(tmp_path: Path) -> None:
    name = "first_challenger_becomes_champion_and_is_exported"
    v1 = _register(tmp_path, "one", 0.60, name=name)
    result = promote(name, gated(name), export_dir=tmp_path / "serve")
    assert result.promoted and result.champion is None and result.challenger == v1
    assert (tmp_path / "serve" / "latest.txt").read_text().strip() == "competence-one.joblib"
    assert (tmp_path / "serve" / "competence-one.joblib.sha256").is_file()
    # serving's own file source finds the champion and its checksum in the exported folder
    from serving.bundles import FileSource

    ref = FileSource(tmp_path / "serve").resolve()
    assert ref.path.name == "competence-one.joblib"
    assert ref.sha256 == version_info(name, CHAMPION).sha256  # type: ignore[union-attr]


def test_gate_refuses_a_worse_model_and_accepts_a_better_one(tmp_path: Path) -> None:
    name = "gate_refuses_a_worse_model_and_accepts_a_better_one"
    v1 = _register(tmp_path, "one", 0.60, name=name)
    promote(name, gated(name))
    _register(tmp_path, "worse", 0.55, name=name)
    refused = promote(name, gated(name))
    assert not refused.promoted and refused.champion == v1
    assert [r.passed for r in refused.rows] == [False, True]
    champion = version_info(name, CHAMPION)
    assert champion is not None and champion.version == v1
    v3 = _register(tmp_path, "better", 0.62, name=name, seconds=10.5)  # slower, within tolerance
    accepted = promote(name, gated(name))
    assert accepted.promoted and accepted.champion == v1 and accepted.challenger == v3
    champion = version_info(name, CHAMPION)
    assert champion is not None and champion.version == v3


def test_different_snapshots_are_not_compared_unless_forced(tmp_path: Path) -> None:
    name = "different_snapshots_are_not_compared_unless_forced"
    import mlflow

    _register(tmp_path, "one", 0.60, name=name)
    promote(name, gated(name))
    v2 = _register(tmp_path, "other", 0.90, name=name, snapshot="snap-b")
    assert not promote(name, gated(name)).promoted
    forced = promote(name, gated(name), force=True)
    assert forced.promoted and forced.forced and not forced.same_snapshot
    runs = mlflow.search_runs(experiment_names=["promotion"])
    assert set(runs["params.force"]) == {"True", "False"}
    tags = mlflow.MlflowClient().get_model_version(name, v2).tags
    assert tags["promoted_by_force"] == "true"


def test_no_challenger_is_an_error() -> None:
    name = "no_challenger_is_an_error"
    with pytest.raises(PromotionError, match="no challenger"):
        promote(name, gated(name))


def test_export_refuses_a_tampered_registered_bundle(tmp_path: Path) -> None:
    name = "export_refuses_a_tampered_registered_bundle"
    from training.bundles import BundleIntegrityError
    from training.registry import CHALLENGER

    _register(tmp_path, "one", 0.60, name=name)
    info = version_info(name, CHALLENGER)
    assert info is not None
    local = Path(info.source.removeprefix("file://")) / info.bundle_file
    local.write_bytes(local.read_bytes()[:-5])
    with pytest.raises(BundleIntegrityError):
        export_bundle(info, tmp_path / "serve")
    assert not (tmp_path / "serve" / "latest.txt").exists()


def test_gate_refuses_a_worse_recommender_and_accepts_a_better_one(tmp_path: Path) -> None:
    name = "gate_refuses_a_worse_recommender_and_accepts_a_better_one"
    rec_gate = (
        GatedMetric(name="recommend.rerank.ndcg@10", model=name),
        GatedMetric(name="recommend.rerank.coverage", model=name, tolerance=0.02),
    )

    def rec(tag: str, ndcg: float, coverage: float) -> str:
        return _register(
            tmp_path,
            tag,
            0.0,
            name=name,
            metrics={"recommend.rerank.ndcg@10": ndcg, "recommend.rerank.coverage": coverage},
        )

    v1 = rec("one", 0.30, 0.50)
    assert promote(name, rec_gate, export_dir=tmp_path / "rec").promoted
    rec("worse", 0.29, 0.60)
    refused = promote(name, rec_gate, export_dir=tmp_path / "rec")
    assert not refused.promoted and [r.passed for r in refused.rows] == [False, True]
    assert refused.exported is None
    assert (tmp_path / "rec" / "latest.txt").read_text().strip() == "competence-one.joblib"
    rec("narrower", 0.31, 0.45)  # better ranking, but coverage drops beyond the tolerance
    assert not promote(name, rec_gate, export_dir=tmp_path / "rec").promoted
    v4 = rec("better", 0.31, 0.49)
    accepted = promote(name, rec_gate, export_dir=tmp_path / "rec")
    assert accepted.promoted and accepted.champion == v1 and accepted.challenger == v4
    assert (tmp_path / "rec" / "latest.txt").read_text().strip() == "competence-better.joblib"


def test_gated_models_in_config_order() -> None:
    from training.registry import gated_models

    gates = (
        GatedMetric(name="a", model="x"),
        GatedMetric(name="b", model="y"),
        GatedMetric(name="c", model="x"),
    )
    assert gated_models(gates) == ("x", "y")


def test_a_snapshot_the_store_no_longer_gives_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The challenger's snapshot is rebuilt from the store and instant its version records; once
    the store changed (a participant registered before the instant arrives late), the rebuilt
    snapshot has another id and the re-evaluation refuses before training anything."""
    import datetime as dt

    from footprint.ingest.run import ingest_path
    from footprint.snapshot import create_snapshot, load_manifest
    from footprint.store import open_store
    from tests.footprint.factory import participant, small_world, write
    from training.reevaluate import Reevaluator, SnapshotRebuildError, rebuild_snapshot
    from training.registry import CHALLENGER, version_provenance

    name = "a_snapshot_the_store_no_longer_gives_is_a_clear_error"
    monkeypatch.setenv("TALENT_DATA_DIR", str(tmp_path / "data"))
    url = f"sqlite:///{tmp_path / 'talent.db'}"
    store = open_store(url)
    ingest_path(store, small_world(tmp_path / "w"), "platform")
    as_of = dt.datetime(2026, 4, 1)
    snapshot_id = load_manifest(create_snapshot(store, as_of, tmp_path / "snaps")).snapshot_id
    _register(tmp_path, "one", 0.60, name=name)
    promote(name, gated(name))
    recorded = version_provenance("no-run", as_of, {"store": url, "as_of": as_of.isoformat()})
    _register(tmp_path, "two", 0.70, name=name, snapshot=snapshot_id, tags=recorded)
    challenger = version_info(name, CHALLENGER)
    assert challenger is not None
    assert rebuild_snapshot(challenger)[1].snapshot_id == snapshot_id  # unchanged store: rebuilt

    write(tmp_path / "late", "participants", [participant("late", registered_at="2025-10-01")])
    ingest_path(store, tmp_path / "late" / "participants.csv", "platform")
    store.dispose()
    with pytest.raises(
        SnapshotRebuildError, match=f"records snapshot {snapshot_id[:16]}.*now gives .*data changed"
    ):
        promote(name, gated(name), reevaluate=Reevaluator())
    champion = version_info(name, CHAMPION)
    assert champion is not None and champion.version != challenger.version


def test_a_snapshot_folder_that_is_gone_is_a_clear_error(tmp_path: Path) -> None:
    import datetime as dt

    from training.reevaluate import Reevaluator, SnapshotRebuildError
    from training.registry import version_provenance

    name = "a_snapshot_folder_that_is_gone_is_a_clear_error"
    _register(tmp_path, "one", 0.60, name=name)
    promote(name, gated(name))
    gone = tmp_path / "snapshots" / "0123456789abcdef"
    recorded = version_provenance("no-run", dt.datetime(2026, 4, 1), {"path": str(gone)})
    _register(tmp_path, "two", 0.70, name=name, snapshot="0123456789abcdef" * 4, tags=recorded)
    with pytest.raises(SnapshotRebuildError, match="cannot be rebuilt from snapshot folder"):
        promote(name, gated(name), reevaluate=Reevaluator())


def test_a_champion_without_a_logged_config_cannot_be_reevaluated(tmp_path: Path) -> None:
    """The snapshot rebuilds (a snapshot folder), but the champion's run logged no config.toml:
    promote says so instead of comparing on something else."""
    import datetime as dt

    from footprint.ingest.run import ingest_path
    from footprint.snapshot import create_snapshot, load_manifest
    from footprint.store import open_store
    from tests.footprint.factory import small_world
    from training.reevaluate import Reevaluator
    from training.registry import version_provenance

    name = "a_champion_without_a_logged_config_cannot_be_reevaluated"
    store = open_store(f"sqlite:///{tmp_path / 'talent.db'}")
    ingest_path(store, small_world(tmp_path / "w"), "platform")
    as_of = dt.datetime(2026, 4, 1)
    folder = create_snapshot(store, as_of, tmp_path / "snaps")
    store.dispose()
    _register(tmp_path, "one", 0.60, name=name)
    promote(name, gated(name))
    recorded = version_provenance("no-run", as_of, {"path": str(folder)})
    _register(
        tmp_path, "two", 0.70, name=name, snapshot=load_manifest(folder).snapshot_id, tags=recorded
    )
    with pytest.raises(PromotionError, match=r"no readable config\.toml"):
        promote(name, gated(name), reevaluate=Reevaluator())


def test_recorded_snapshot_source_pins_the_instant_and_hides_a_password(tmp_path: Path) -> None:
    import datetime as dt
    from types import SimpleNamespace

    from training.config import SnapshotSource
    from training.pipeline import snapshot_record

    snap = SimpleNamespace(as_of=dt.datetime(2026, 11, 29))
    url = "postgresql+psycopg://talent:s3cret@db:5432/talent"
    record = snapshot_record(SnapshotSource(store=url), snap)  # type: ignore[arg-type]
    assert record["as_of"] == "2026-11-29T00:00:00" and "s3cret" not in json.dumps(record)
    assert snapshot_record(SnapshotSource(store="default"), snap)["store"] == "default"  # type: ignore[arg-type]
    assert snapshot_record(SnapshotSource(path=Path("rel")), snap)["path"] == str(  # type: ignore[arg-type]
        Path("rel").resolve()
    )


REC_BASELINES = (
    "recommend.popular.ndcg@10",
    "recommend.popular_direction.ndcg@10",
    "recommend.ease.ndcg@10",
)


def _rec_gate(name: str, margin: float = 0.0) -> tuple[GatedMetric, ...]:
    return (
        GatedMetric(
            name="recommend.{candidate}.ndcg@10", model=name, baselines=REC_BASELINES, margin=margin
        ),
    )


def _run_candidates(
    tmp_path: Path, name: str, report: dict[str, float], candidates: tuple[str, ...], run: str
) -> dict[str, str]:
    """One pipeline run's registered candidates: the first is the challenger."""
    metrics = {f"recommend.{m}.ndcg@10": v for m, v in report.items()}
    out = {}
    for i, cand in enumerate(candidates):
        out[cand] = _register(
            tmp_path,
            f"{run}-{cand}",
            0.0,
            name=name,
            metrics=metrics,
            tags={"candidate": cand, "pipeline_run_id": run},
        )
        if i == 0:
            challenger = out[cand]
    import mlflow

    mlflow.MlflowClient().set_registered_model_alias(name, "challenger", challenger)
    return out


def test_a_crippled_challenger_is_refused_and_the_winning_baseline_named(tmp_path: Path) -> None:
    name = "crippled_challenger_is_refused"
    # the re-ranker "crippled" to below popular per direction on the same snapshot
    _run_candidates(
        tmp_path,
        name,
        {"rerank": 0.70, "popular": 0.60, "popular_direction": 0.80, "ease": 0.78},
        ("rerank",),
        "run-1",
    )
    result = promote(name, _rec_gate(name), export_dir=tmp_path / "serve")
    assert not result.promoted and result.champion is None
    (row,) = result.baselines
    assert not row.passed and row.winner == "popular_direction" and row.baseline == 0.80
    assert not (tmp_path / "serve" / "latest.txt").exists()


def test_a_winning_challenger_is_accepted_and_a_margin_is_required(tmp_path: Path) -> None:
    name = "winning_challenger_is_accepted"
    report = {"rerank": 0.83, "popular": 0.60, "popular_direction": 0.80}
    _run_candidates(tmp_path, name, report, ("rerank",), "run-1")
    assert not promote(name, _rec_gate(name, margin=0.05)).promoted  # 0.03 over, 0.05 asked
    result = promote(name, _rec_gate(name, margin=0.02))
    assert result.promoted and result.candidate == "rerank"
    assert result.baselines[0].winner == "popular_direction"  # the best baseline, beaten


def test_no_evaluated_baseline_refuses() -> None:
    from training.registry import VersionInfo, baseline_gate

    info = VersionInfo(
        "m",
        "1",
        "",
        "s",
        {"recommend.rerank.ndcg_at_10": 0.9},
        "",
        "",
        tags={"candidate": "rerank"},
    )
    (row,) = baseline_gate(info, _rec_gate("m"))
    assert not row.passed and row.best_baseline is None


def test_a_baseline_that_wins_is_promoted_and_served_with_a_card(tmp_path: Path) -> None:
    name = "baseline_is_promoted_and_served"
    report = {"rerank": 0.77, "popular": 0.60, "popular_direction": 0.80, "ease": 0.78}
    versions = _run_candidates(
        tmp_path, name, report, ("rerank", "popular_direction", "popular", "ease"), "run-1"
    )
    result = promote(name, _rec_gate(name), export_dir=tmp_path / "serve")
    assert result.promoted and result.candidate == "popular_direction"
    assert result.challenger == versions["popular_direction"]
    assert result.refused == (f"{name} v{versions['rerank']} (rerank)",)
    # against the other baselines: ease is the best of them, and 0.80 beats it
    assert result.baselines[0].winner == "ease" and result.baselines[0].passed
    served = tmp_path / "serve" / (tmp_path / "serve" / "latest.txt").read_text().strip()
    assert served.name == "competence-run-1-popular_direction.joblib"
    card = (tmp_path / "serve" / f"{served.name}.card.md").read_text()
    assert "popular_direction" in card and "rerank" in card
    champion = version_info(name, CHAMPION)
    assert champion is not None and champion.candidate == "popular_direction"
    # without the fallback the same challenger is simply refused
    name2 = name + "_no_fallback"
    _run_candidates(tmp_path, name2, report, ("rerank", "popular_direction"), "run-2")
    assert not promote(name2, _rec_gate(name2), baseline_fallback=False).promoted


def test_the_champion_is_read_by_its_own_candidate(tmp_path: Path) -> None:
    name = "champion_by_its_own_candidate"
    _run_candidates(
        tmp_path,
        name,
        {"rerank": 0.7, "popular_direction": 0.8},
        ("rerank", "popular_direction"),
        "run-1",
    )
    first = promote(name, _rec_gate(name))
    assert first.promoted and first.candidate == "popular_direction"
    # a later re-ranker beats every baseline but not the served popular-per-direction's 0.80
    # (champion and challenger rows are read per version: rerank's 0.79 vs the champion's 0.80)
    _run_candidates(
        tmp_path,
        name,
        {"rerank": 0.79, "popular_direction": 0.78},
        ("rerank", "popular_direction"),
        "run-2",
    )
    second = promote(name, _rec_gate(name))
    assert not second.promoted
    assert second.rows[0].champion == 0.8 and second.rows[0].challenger == 0.79
