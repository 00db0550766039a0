"""``talent spark features|estimate|recommend``: the batch jobs on Apache Spark (the ``spark``
extra).

``local[*]`` by default; ``--master`` (or ``spark-submit``'s own) points them at a cluster
(docs/scaling.md). Each writes a folder of Parquet part files with a ``_SUCCESS`` marker last.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from typing import Annotated

import typer

from cli.output import JsonOpt, emit_json, fail
from cli.snapshots import snapshot_path
from core.errors import TalentError
from core.instants import parse_instant

spark_app = typer.Typer(
    name="spark",
    help="Batch jobs on Apache Spark: features, competence estimates and recommendations of every "
    "participant.",
    no_args_is_help=True,
)

SnapshotOpt = Annotated[
    Path,
    typer.Option(
        help="Snapshot id (as `talent snapshot` prints it) or folder.", parser=snapshot_path
    ),
]
OutOpt = Annotated[Path, typer.Option(help="Output folder (Parquet part files; replaced).")]
MasterOpt = Annotated[
    str | None,
    typer.Option(help="Spark master, e.g. local[2] or spark://host:7077 (default local[*])."),
]
AsOfOpt = Annotated[
    str | None, typer.Option(help="Cut-off (YYYY-MM-DD or ISO time); the snapshot's by default.")
]
BucketsOpt = Annotated[
    int | None,
    typer.Option(min=1, help="Groups of whole participants (default: one per 4,000)."),
]


class SparkMissingError(TalentError):
    """PySpark is not installed."""


def _need_spark() -> None:
    if importlib.util.find_spec("pyspark") is None:
        raise SparkMissingError(
            "`talent spark` needs PySpark and a Java runtime (17+): uv sync --extra spark "
            "(or pip install 'talent-trajectories[spark]')"
        )


def _cut(as_of: str | None) -> dt.datetime | None:
    return parse_instant(as_of) if as_of else None


@spark_app.command("features")
def features_command(
    snapshot: SnapshotOpt,
    out: OutOpt,
    as_of: AsOfOpt = None,
    bundle: Annotated[
        Path | None,
        typer.Option(help="Competence bundle whose statistics and calibration to use."),
    ] = None,
    master: MasterOpt = None,
    buckets: BucketsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Feature rows of every participant (the in-process feature code, per group on Spark)."""
    try:
        _need_spark()
        from batch.jobs import run_features

        summary = run_features(snapshot, out, _cut(as_of), bundle, master, buckets)
    except (TalentError, ValueError) as exc:
        raise fail(exc, as_json=json_out) from exc
    _report(summary.as_dict(), json_out)


@spark_app.command("estimate")
def estimate_command(
    snapshot: SnapshotOpt,
    bundle: Annotated[Path, typer.Option(help="Competence bundle (.joblib) to estimate with.")],
    out: OutOpt,
    as_of: AsOfOpt = None,
    previous: Annotated[
        Path | None,
        typer.Option(
            help="Parquet of earlier estimates (participant_id, direction, competence) that "
            "large changes are flagged against."
        ),
    ] = None,
    master: MasterOpt = None,
    buckets: BucketsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Competence estimates (with evidence and review flags) of every participant."""
    try:
        _need_spark()
        from batch.jobs import run_estimates

        summary = run_estimates(snapshot, bundle, out, _cut(as_of), previous, master, buckets)
    except (TalentError, ValueError) as exc:
        raise fail(exc, as_json=json_out) from exc
    _report(summary.as_dict(), json_out)


@spark_app.command("recommend")
def recommend_command(
    snapshot: SnapshotOpt,
    model_file: Annotated[
        Path, typer.Option(help="Fitted recommender (`talent train recommend --out`).")
    ],
    out: OutOpt,
    k: Annotated[int, typer.Option(min=1, max=100, help="Recommendations per participant.")] = 10,
    as_of: AsOfOpt = None,
    master: MasterOpt = None,
    buckets: BucketsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Top-k feasible next activities, with reasons, of every participant."""
    try:
        _need_spark()
        from batch.jobs import run_recommendations

        summary = run_recommendations(snapshot, model_file, out, k, _cut(as_of), master, buckets)
    except (TalentError, ValueError) as exc:
        raise fail(exc, as_json=json_out) from exc
    _report(summary.as_dict(), json_out)


def _report(summary: dict[str, object], json_out: bool) -> None:
    if json_out:
        emit_json(summary)
    else:
        typer.echo(
            f"{summary['job']}: {summary['rows']} rows -> {summary['out']} "
            f"({summary['seconds']} s on {summary['master']})"
        )


def register(app: typer.Typer) -> None:
    """Attach ``talent spark ...`` to the ``talent`` app."""
    app.add_typer(spark_app, name="spark")
