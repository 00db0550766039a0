"""The recommendation job: a fitted recommender's top-k for every participant, per bucket on Spark.

The recommender scores from a :class:`~models.recommend.dataset.RecommendDataset` (catalogue,
histories, ability scale) built from the whole snapshot, as the service and ``talent recommend``
build it; that build runs on the driver with the in-process code, and the model and the dataset
travel to the executors as one broadcast (once per executor). Each pandas call runs
:meth:`~models.recommend.base.Recommender.recommend` for its bucket's participants, the call a
request runs, so the union of the buckets is the in-process frame. The scoring (candidates,
feasibility, ranking, reasons) is what grows with participants and is what Spark spreads; the
dataset's build bounds the job by the driver's memory (docs/scaling.md).

Reason codes are written as JSON text.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from batch.snapshot import BUCKET, bucket_count, manifest_of, spark_frame
from core.logs import get_logger
from footprint.columns import Columns as C
from models.recommend.base import Recommender
from models.recommend.columns import RECOMMENDATION_COLUMNS, RecColumns

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

log = get_logger(__name__)
RECOMMENDATION_TYPES: dict[str, str] = {
    C.PARTICIPANT_ID: "string",
    C.ACTIVITY_ID: "string",
    RecColumns.SCORE: "double",
    RecColumns.RANK: "long",
    RecColumns.MODEL: "string",
    RecColumns.CONDITIONAL: "boolean",
    RecColumns.REASON_CODES: "string",
    RecColumns.REASON_TEXT_RU: "string",
}
"""The Parquet columns of the recommendations and their Spark types (reason codes as JSON)."""
assert tuple(RECOMMENDATION_TYPES) == RECOMMENDATION_COLUMNS


def recommendation_schema() -> StructType:
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
    return StructType([StructField(c, types[t], True) for c, t in RECOMMENDATION_TYPES.items()])


def _codes_json(value: object) -> str:
    return json.dumps(list(value) if value is not None else [], ensure_ascii=False)  # type: ignore[call-overload]


def recommendations_frame(
    spark: SparkSession,
    snapshot: Path,
    model: Recommender,
    k: int = 10,
    as_of: dt.datetime | None = None,
    buckets: int | None = None,
) -> DataFrame:
    """Top-``k`` recommendations of every participant of ``snapshot`` (lazy Spark frame)."""
    from pyspark.sql import functions as F

    from features.cutoff import snapshot_at
    from footprint.snapshot import load_snapshot
    from models.recommend.dataset import dataset_from_snapshot

    manifest = manifest_of(snapshot)
    cut = as_of or manifest.as_of
    snap = load_snapshot(snapshot, verify=False)
    if cut < snap.as_of:
        snap = snapshot_at(snap, cut)
    dataset = dataset_from_snapshot(snap, cut, ability=model.ability_model or False)
    del snap
    shared = spark.sparkContext.broadcast((model, dataset))
    people = spark_frame(spark, snapshot, "participants").select(C.PARTICIPANT_ID)
    n = buckets or bucket_count(people.count())
    columns = list(RECOMMENDATION_TYPES)

    def run(rows: pd.DataFrame) -> pd.DataFrame:
        model_, data = shared.value
        known = set(data.participant_ids)
        pids = sorted(p for p in rows[C.PARTICIPANT_ID].astype(object) if p in known)
        if not pids:
            return pd.DataFrame(columns=columns)
        frame = model_.recommend(pids, k=k, as_of=as_of, dataset=data)
        frame[RecColumns.REASON_CODES] = [_codes_json(v) for v in frame[RecColumns.REASON_CODES]]
        return frame.loc[:, columns]

    log.info("spark_recommendations", buckets=n, as_of=cut.isoformat(), k=k)
    tagged = people.withColumn(BUCKET, F.pmod(F.hash(F.col(C.PARTICIPANT_ID)), F.lit(n)))
    return tagged.groupBy(BUCKET).applyInPandas(run, recommendation_schema())
