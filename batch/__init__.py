"""The batch path on Apache Spark: the same feature and model code, run per group of whole
participants on a cluster (``talent spark ...``; docs/scaling.md). Needs the ``spark`` extra."""
