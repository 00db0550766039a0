"""A snapshot's Parquet files as Spark frames, and whole participants grouped into buckets.

A snapshot folder (:mod:`footprint.snapshot`) is read by Spark as it is: one Parquet file per
frame, named in its manifest. The jobs hand each pandas call a bucket of whole participants
(``pmod(hash(participant_id), buckets)``): the achievements side and the participants side of a
bucket come together through ``cogroup``, so every record of a participant is in the same call,
however Spark splits the data into Arrow batches. A bucket of a few thousand participants keeps
the per-call cost of pandas small against the work (one call per participant would spend more
time building frames than computing features).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from footprint.columns import Columns as C
from footprint.frames import FRAME_DTYPES, Snapshot, conform
from footprint.snapshot import SnapshotManifest, load_manifest

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

BUCKET = "_bucket"
SIDE = "_side"
"""On the participants' side of a cogroup, which frame a row belongs to (participants, or a
per-participant table the job adds such as earlier estimates)."""
PARTICIPANTS_SIDE = "participants"
PER_BUCKET = 4000
"""Participants per pandas call: large enough that pandas' per-call cost is small, small enough
that a call's frames stay a few megabytes."""


def spark_frame(spark: SparkSession, snapshot: Path, name: str) -> DataFrame:
    """Frame ``name`` of the snapshot folder ``snapshot`` as a Spark DataFrame."""
    manifest = load_manifest(snapshot)
    return spark.read.parquet(str(Path(snapshot) / manifest.tables[name].file))


def manifest_of(snapshot: Path) -> SnapshotManifest:
    return load_manifest(snapshot)


def driver_snapshot(snapshot: Path, frames: tuple[str, ...]) -> Snapshot:
    """A :class:`Snapshot` holding only ``frames`` (the others empty), read on the driver: the
    global statistics need the catalogue and the records' few columns, not the participants."""
    import pyarrow.parquet as pq

    manifest = load_manifest(snapshot)
    data = {
        name: (
            pq.read_table(Path(snapshot) / manifest.tables[name].file).to_pandas()
            if name in frames
            else pd.DataFrame({c: pd.Series(dtype=t) for c, t in FRAME_DTYPES[name].items()})
        )
        for name in FRAME_DTYPES
        if name != "directions"
    }
    # the directions always: every per-direction array is laid out by them (an older snapshot
    # without the frame is read with the configured defaults)
    if "directions" in manifest.tables:
        data["directions"] = pq.read_table(
            Path(snapshot) / manifest.tables["directions"].file
        ).to_pandas()
    return Snapshot.from_frames(manifest.as_of, data, snapshot_id=manifest.snapshot_id)


def bucket_count(participants: int, per_bucket: int = PER_BUCKET) -> int:
    return max(1, math.ceil(participants / per_bucket))


def frame_of(pdf: pd.DataFrame, name: str) -> pd.DataFrame:
    """A bucket's rows back in the snapshot's exact dtypes (Spark hands over its own types)."""
    if pdf.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in FRAME_DTYPES[name].items()})
    return conform(pdf, name)


def side_frame(pdf: pd.DataFrame, side: str, columns: list[str]) -> pd.DataFrame:
    """The rows of ``side`` (with ``columns``) on the participants' side of a bucket."""
    if pdf.empty or SIDE not in pdf.columns or not set(columns) <= set(pdf.columns):
        return pd.DataFrame(columns=columns)
    rows = pdf[pdf[SIDE].to_numpy(dtype=object) == side]
    return rows.loc[:, columns].reset_index(drop=True)


def by_participant_bucket(
    achievements: DataFrame,
    participant_side: DataFrame,
    buckets: int,
    fn: Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame],
    schema: StructType,
) -> DataFrame:
    """``fn(achievements, participant_side)`` per bucket of whole participants.

    ``participant_side`` holds the participants' rows and, tagged by :data:`SIDE`, any other
    per-participant rows (a cogroup joins two frames; tagging carries more than one)."""
    from pyspark.sql import functions as F

    def tag(frame: DataFrame) -> DataFrame:
        return frame.withColumn(BUCKET, F.pmod(F.hash(F.col(C.PARTICIPANT_ID)), F.lit(buckets)))

    def call(ach: pd.DataFrame, side: pd.DataFrame) -> pd.DataFrame:
        return fn(ach.drop(columns=[BUCKET], errors="ignore"), side)

    return (
        tag(achievements)
        .groupBy(BUCKET)
        .cogroup(tag(participant_side).groupBy(BUCKET))
        .applyInPandas(call, schema)
    )
