"""The feature job: :func:`features.participant.participant_features` per bucket of whole
participants on Spark, with the global statistics broadcast once.

There is no second implementation of any feature: each pandas call runs the same function as the
in-process path on its participants' rows, with the same :class:`~features.activity_stats.
ActivityStats` (computed from the snapshot on the driver, or the competence bundle's own with its
calibration). A participant's row depends only on their own records and the global statistics
(see :mod:`features.participant`), so the union of the buckets' rows is the in-process frame.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from batch.snapshot import (
    PARTICIPANTS_SIDE,
    SIDE,
    bucket_count,
    by_participant_bucket,
    driver_snapshot,
    frame_of,
    manifest_of,
    side_frame,
    spark_frame,
)
from core.logs import get_logger
from features.activity_stats import ActivityStats, compute_activity_stats
from features.calibration import Calibration
from features.participant import participant_features
from features.schema import FEATURE_NAMES, KEYS
from footprint.frames import FRAME_DTYPES

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

log = get_logger(__name__)
STATS_FRAMES = ("activities", "activity_directions", "achievements")


def feature_schema() -> StructType:
    """The Spark schema of :func:`participant_features`' frame: keys, then float64 features."""
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType

    return StructType(
        [StructField(k, StringType(), False) for k in KEYS]
        + [StructField(name, DoubleType(), True) for name in FEATURE_NAMES]
    )


def participant_side(spark: SparkSession, snapshot: Path) -> DataFrame:
    """The snapshot's participants, tagged as the participants' side of a bucket."""
    from pyspark.sql import functions as F

    return spark_frame(spark, snapshot, "participants").withColumn(SIDE, F.lit(PARTICIPANTS_SIDE))


def snapshot_stats(snapshot: Path, as_of: dt.datetime) -> ActivityStats:
    """The global activity statistics at ``as_of``, computed on the driver by the in-process code
    from the catalogue and the records (the participants' frame is not read)."""
    return compute_activity_stats(driver_snapshot(snapshot, STATS_FRAMES), as_of)


def features_frame(
    spark: SparkSession,
    snapshot: Path,
    as_of: dt.datetime | None = None,
    stats: ActivityStats | None = None,
    calibration: Calibration | None = None,
    buckets: int | None = None,
) -> DataFrame:
    """Feature rows of every participant of ``snapshot`` as of ``as_of`` (its own by default),
    as a Spark DataFrame (lazy: nothing runs until it is written or collected).

    ``stats`` (with ``calibration``) are a bundle's; without them the statistics are computed at
    ``as_of`` and the calibrated columns are NaN, as in-process without a calibration."""
    cut = as_of or manifest_of(snapshot).as_of
    if stats is None:
        stats = snapshot_stats(snapshot, cut)
    shared = spark.sparkContext.broadcast((stats, calibration, cut))
    parts = participant_side(spark, snapshot)
    n = buckets or bucket_count(parts.count())
    part_cols = list(FRAME_DTYPES["participants"])
    columns = list(KEYS) + list(FEATURE_NAMES)

    def run(achievements: pd.DataFrame, side: pd.DataFrame) -> pd.DataFrame:
        stats_, calibration_, cut_ = shared.value
        people = frame_of(side_frame(side, PARTICIPANTS_SIDE, part_cols), "participants")
        if people.empty:
            return pd.DataFrame(columns=columns)
        frame = participant_features(
            frame_of(achievements, "achievements"), people, stats_, cut_, calibration_
        )
        return frame.loc[:, columns]

    log.info("spark_features", buckets=n, as_of=cut.isoformat())
    return by_participant_bucket(
        spark_frame(spark, snapshot, "achievements"), parts, n, run, feature_schema()
    )
