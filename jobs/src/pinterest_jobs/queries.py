"""Settings a streaming query takes when it starts: shared by the stream job and its real-time metrics."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pyspark.sql import SparkSession


@contextmanager
def query_settings(spark: SparkSession, state_partitions: int, pool: str) -> Iterator[None]:
    """What a query started in the block takes: its state partitions (Spark clones the session's settings
    when a query starts, and its checkpoint keeps the number afterwards) and its scheduler pool (queries
    started from one notebook share one FIFO pool otherwise, so the metrics' jobs would queue the clean
    query's). The session and the thread get their own settings back."""
    before = spark.conf.get("spark.sql.shuffle.partitions")
    context = spark.sparkContext
    pool_before = context.getLocalProperty("spark.scheduler.pool")
    spark.conf.set("spark.sql.shuffle.partitions", str(state_partitions))
    context.setLocalProperty("spark.scheduler.pool", pool)
    try:
        yield
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", before)
        context.setLocalProperty("spark.scheduler.pool", pool_before)  # type: ignore[arg-type]
