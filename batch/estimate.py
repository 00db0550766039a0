"""The competence job: the served bundle's ``estimate`` per bucket of whole participants on Spark.

The bundle (statistics, calibration, model) is a Spark broadcast: it travels to each executor
once and each Python worker unpickles it once (workers are reused across tasks), not once per
task. Each pandas call runs :meth:`~models.competence.bundle.CompetenceBundle.estimate`, the code
a request and the service's in-process refresh run, on its participants' records, with their
rating rows and their earlier estimates (the ``large_change`` flag's reference) carried on the
participants' side of the bucket. The rating is relative to everyone rated, so it is computed once
on the driver by the in-process code (:func:`models.competence.rating_features.rating_frame`)
when the model uses it, and joined per participant.

The output is Parquet with one row per participant and direction, the bundle's columns, the lists
(flags, evidence) as JSON text; the service loads it into its tables in one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from batch.features import participant_side
from batch.snapshot import (
    PARTICIPANTS_SIDE,
    SIDE,
    bucket_count,
    by_participant_bucket,
    frame_of,
    manifest_of,
    side_frame,
    spark_frame,
)
from core.logs import get_logger
from features.schema import KEYS, RATING_COLUMNS
from footprint.columns import Columns as C
from footprint.frames import FRAME_DTYPES
from models.competence.bundle import CompetenceBundle
from models.competence.columns import CompetenceColumns as CC
from models.competence.predictive import NEXT_RESULT_COLUMNS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

log = get_logger(__name__)
RATING_SIDE = "rating"
PREVIOUS_SIDE = "previous"
PREVIOUS_COLUMNS = [C.PARTICIPANT_ID, C.DIRECTION, CC.COMPETENCE]
ESTIMATE_TYPES: dict[str, str] = {
    KEYS[0]: "string",
    KEYS[1]: "string",
    CC.COMPETENCE: "double",
    CC.LOWER: "double",
    CC.UPPER: "double",
    CC.LEVEL: "string",
    CC.LEVEL_TITLE: "string",
    CC.COLD_START: "boolean",
    CC.N_RECORDS: "long",
    CC.VALUE: "double",
    CC.VALUE_SD: "double",
    CC.MODEL_VERSION: "string",
    **dict.fromkeys(NEXT_RESULT_COLUMNS, "double"),
    **dict.fromkeys(CC.LIST_COLUMNS, "string"),
}
"""The Parquet columns of the estimates and their Spark types (lists as JSON text)."""


def estimate_schema() -> StructType:
    from pyspark.sql.types import (
        BooleanType,
        DataType,
        DoubleType,
        LongType,
        StringType,
        StructField,
        StructType,
    )

    types: dict[str, DataType] = {
        "string": StringType(),
        "double": DoubleType(),
        "boolean": BooleanType(),
        "long": LongType(),
    }
    return StructType([StructField(c, types[t], True) for c, t in ESTIMATE_TYPES.items()])


def uses_rating(bundle: CompetenceBundle) -> bool:
    """Whether the model reads the rating features (the service passes them only then)."""
    return bool(set(RATING_COLUMNS) & set(bundle.model.features_))


def _json_lists(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in CC.LIST_COLUMNS:
        values = out[column] if column in out.columns else [None] * len(out)
        out[column] = [json.dumps(v if v is not None else [], ensure_ascii=False) for v in values]
    return out.loc[:, list(ESTIMATE_TYPES)]


def estimates_frame(
    spark: SparkSession,
    snapshot: Path,
    bundle: CompetenceBundle,
    as_of: dt.datetime | None = None,
    previous: pd.DataFrame | None = None,
    evidence: bool = True,
    buckets: int | None = None,
) -> DataFrame:
    """Estimates of every participant of ``snapshot`` as of ``as_of`` (its own by default).

    ``previous``: the earlier estimates (``participant_id, direction, competence``), as the
    service keeps them, for the ``large_change`` flag."""
    cut = as_of or manifest_of(snapshot).as_of
    side = participant_side(spark, snapshot)
    n = buckets or bucket_count(side.count())
    rating_columns: list[str] = []
    if uses_rating(bundle):
        from footprint.snapshot import load_snapshot
        from models.competence.rating_features import rating_frame

        rating = rating_frame(load_snapshot(snapshot, verify=False), cut)
        rating_columns = list(rating.columns)
        if not rating.empty:
            side = _with_side(spark, side, rating, RATING_SIDE)
    if previous is not None and not previous.empty:
        side = _with_side(spark, side, previous.loc[:, PREVIOUS_COLUMNS], PREVIOUS_SIDE)
    shared = spark.sparkContext.broadcast(bundle)
    part_cols = list(FRAME_DTYPES["participants"])

    def run(achievements: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
        people = frame_of(side_frame(rows, PARTICIPANTS_SIDE, part_cols), "participants")
        if people.empty:
            return pd.DataFrame(columns=list(ESTIMATE_TYPES))
        frame = shared.value.estimate(
            frame_of(achievements, "achievements"),
            people,
            as_of=cut,
            rating=side_frame(rows, RATING_SIDE, rating_columns) if rating_columns else None,
            previous=side_frame(rows, PREVIOUS_SIDE, PREVIOUS_COLUMNS),
            evidence=evidence,
        )
        return _json_lists(frame)

    log.info("spark_estimates", buckets=n, as_of=cut.isoformat(), model_version=bundle.version)
    return by_participant_bucket(
        spark_frame(spark, snapshot, "achievements"), side, n, run, estimate_schema()
    )


def _with_side(spark: SparkSession, side: DataFrame, rows: pd.DataFrame, name: str) -> DataFrame:
    """``side`` with ``rows`` added under :data:`SIDE` = ``name`` (other columns null)."""
    frame: Any = rows.assign(**{SIDE: name})
    for column in frame.columns:  # Arrow needs plain types: object keys become text
        if frame[column].dtype == object:
            frame[column] = frame[column].astype("string")
    return side.unionByName(spark.createDataFrame(frame), allowMissingColumns=True)
