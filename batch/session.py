"""One way to open a SparkSession for the batch jobs, with the settings they rely on.

The session runs in UTC (snapshots hold naive UTC instants; a local time zone would shift them on
the way to pandas), with Arrow on for the pandas UDFs. ``local[*]`` unless a master is given; the
standard ``SPARK_*`` variables and ``spark-submit`` flags still apply (an explicit ``--master`` on
spark-submit wins, since a session already started is only looked up here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[*]"
SETTINGS: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    # a participant's records come as one pandas frame per group; the default cap on an Arrow
    # batch (10,000 rows) would split a group's frame for nothing
    "spark.sql.execution.arrow.maxRecordsPerBatch": "100000",
    "spark.python.worker.reuse": "true",
}


def spark_session(
    master: str | None = None, app_name: str = "talent", extra: dict[str, str] | None = None
) -> SparkSession:
    """The running session, or a new one on ``master`` (``local[*]`` when None)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    if master is not None:
        builder = builder.master(master)
    else:
        from pyspark import SparkConf

        if not SparkConf().contains("spark.master"):  # not under spark-submit
            builder = builder.master(DEFAULT_MASTER)
    for key, value in (SETTINGS | (extra or {})).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
