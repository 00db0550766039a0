"""The jobs as ``talent spark ...`` runs them: open the session, build the frame, write Parquet.

Spark writes a folder of part files and, last, an empty ``_SUCCESS`` marker: a reader (the
service's loader) takes a folder only with its marker, so a job killed midway leaves nothing
loadable.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from batch.session import spark_session
from core.logs import get_logger

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

log = get_logger(__name__)
SUCCESS = "_SUCCESS"


@dataclass(frozen=True)
class JobSummary:
    """What a job wrote: the folder, its rows, the wall time and the Spark master."""

    job: str
    out: str
    rows: int
    seconds: float
    master: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def write_parquet(frame: DataFrame, out: Path) -> int:
    """Write ``frame`` into the folder ``out`` (replaced) and return its row count."""
    frame.write.mode("overwrite").parquet(str(out))
    spark = frame.sparkSession
    return int(spark.read.parquet(str(out)).count())


def run_features(
    snapshot: Path,
    out: Path,
    as_of: dt.datetime | None = None,
    bundle_path: Path | None = None,
    master: str | None = None,
    buckets: int | None = None,
) -> JobSummary:
    """Feature rows of every participant written to ``out``; the bundle's statistics and
    calibration when ``bundle_path`` is given."""
    from batch.features import features_frame

    started = time.perf_counter()
    spark = spark_session(master, "talent-features")
    stats = calibration = None
    if bundle_path is not None:
        from models.competence.bundle import CompetenceBundle

        bundle = CompetenceBundle.load(bundle_path)
        stats, calibration = bundle.stats, bundle.calibration
    frame = features_frame(spark, snapshot, as_of, stats, calibration, buckets)
    rows = write_parquet(frame, out)
    return _summary("features", out, rows, started, str(spark.sparkContext.master))


def run_estimates(
    snapshot: Path,
    bundle_path: Path,
    out: Path,
    as_of: dt.datetime | None = None,
    previous_path: Path | None = None,
    master: str | None = None,
    buckets: int | None = None,
) -> JobSummary:
    """Competence estimates of every participant written to ``out``."""
    from batch.estimate import PREVIOUS_COLUMNS, estimates_frame
    from models.competence.bundle import CompetenceBundle

    started = time.perf_counter()
    bundle = CompetenceBundle.load(bundle_path)
    previous = (
        pd.read_parquet(previous_path, columns=PREVIOUS_COLUMNS)
        if previous_path is not None
        else None
    )
    spark = spark_session(master, "talent-estimate")
    frame = estimates_frame(spark, snapshot, bundle, as_of, previous, buckets=buckets)
    rows = write_parquet(frame, out)
    return _summary("estimate", out, rows, started, str(spark.sparkContext.master))


def run_recommendations(
    snapshot: Path,
    model_path: Path,
    out: Path,
    k: int = 10,
    as_of: dt.datetime | None = None,
    master: str | None = None,
    buckets: int | None = None,
) -> JobSummary:
    """Top-``k`` recommendations of every participant written to ``out``."""
    from batch.recommend import recommendations_frame
    from models.recommend.base import Recommender

    started = time.perf_counter()
    model: Recommender = Recommender.load(model_path)
    spark = spark_session(master, "talent-recommend")
    frame = recommendations_frame(spark, snapshot, model, k, as_of, buckets)
    rows = write_parquet(frame, out)
    return _summary("recommend", out, rows, started, str(spark.sparkContext.master))


def _summary(job: str, out: Path, rows: int, started: float, master: str) -> JobSummary:
    summary = JobSummary(job, str(out), rows, round(time.perf_counter() - started, 2), master)
    log.info("spark_job_done", **summary.as_dict())
    return summary
