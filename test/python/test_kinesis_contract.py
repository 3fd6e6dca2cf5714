"""The local Kinesis source against Databricks' own ``kinesis`` source, as Databricks documents it
(https://docs.databricks.com/aws/en/connect/streaming/kinesis/, "Schema"; docs/cloud-contracts.md): the same
columns and types, and the stream job reads both through the very same code."""
from __future__ import annotations

import datetime as dt

from pyspark.sql.types import BinaryType, StringType, StructField, StructType, TimestampType

from pinterest_jobs import stream as S
from pinterest_jobs.kinesis_source import SCHEMA, KinesisDataSource

#: Written from the page, not from our code.
DATABRICKS_KINESIS = StructType([
    StructField("partitionKey", StringType()),
    StructField("data", BinaryType()),
    StructField("stream", StringType()),
    StructField("shardId", StringType()),
    StructField("sequenceNumber", StringType()),
    StructField("approximateArrivalTimestamp", TimestampType()),
])


def names_and_types(schema: StructType) -> list[tuple[str, str]]:
    return [(f.name, f.dataType.simpleString()) for f in schema.fields]


def test_the_local_source_has_databricks_columns(spark):
    assert KinesisDataSource({}).schema() == SCHEMA
    assert names_and_types(StructType.fromDDL(SCHEMA)) == names_and_types(DATABRICKS_KINESIS)


def test_the_job_reads_databricks_columns(spark):
    """What the job selects from the cloud's source: a frame shaped like it gives the job's columns (the
    job once selected `streamName`, a column this source does not have)."""
    arrived = dt.datetime(2026, 12, 2, 10, 0, 0)
    frame = spark.createDataFrame(
        [("k1", b'{"ind": 1}', "t-geo", "shardId-000000000000", "4960", arrived)], DATABRICKS_KINESIS
    )
    rows = S.kinesis_records(frame).collect()
    assert [r.asDict() for r in rows] == [
        {"stream": "t-geo", "data": '{"ind": 1}', "arrival": arrived, "sequence": "4960"}
    ]
