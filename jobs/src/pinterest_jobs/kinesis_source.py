"""A Spark 4 Python streaming data source over boto3: reads Kinesis streams (real Kinesis or kinesis-local)
on open-source Spark, so the streaming job runs the same way on one machine as on Databricks.

    spark.dataSource.register(KinesisDataSource)
    spark.readStream.format("pinpipe_kinesis").option("streams", "a,b,c").load()

Rows: exactly the columns of Databricks' own ``kinesis`` source (SCHEMA), so the stream job reads both the
same way.
Offsets are the last sequence number read per "<stream>/<shard>" ("" = nothing read yet, start at the
oldest record), kept by Spark in the query's checkpoint. ``readBetweenOffsets`` re-reads exactly the records
of a batch after a restart, which with an idempotent sink gives exactly-once results.

Options: ``streams`` (comma-separated, required), ``region`` (default: the SDK's), ``endpoint_url`` (e.g.
kinesis-local), ``max_records_per_shard`` (per micro-batch, default 10000). Credentials come from the SDK's
default chain (instance profile, environment), never from options; an endpoint on loopback (kinesis-local)
gets placeholders, since it checks no signature.
"""
from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlparse

from pyspark.sql.datasource import DataSource, SimpleDataSourceStreamReader
from pyspark.sql.types import StructType

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
#: Databricks' ``kinesis`` source, column for column (https://docs.databricks.com/aws/en/connect/streaming/kinesis/,
#: "Schema"; docs/cloud-contracts.md). ``stream`` is the stream's name; ``streamName`` is only the option.
SCHEMA = ("partitionKey string, data binary, stream string, shardId string, sequenceNumber string, "
          "approximateArrivalTimestamp timestamp")


class KinesisDataSource(DataSource):
    @classmethod
    def name(cls) -> str:
        return "pinpipe_kinesis"

    def schema(self) -> str:
        return SCHEMA

    def simpleStreamReader(self, schema: StructType) -> "KinesisStreamReader":
        return KinesisStreamReader(self.options)


class KinesisStreamReader(SimpleDataSourceStreamReader):
    def __init__(self, options: dict[str, str]) -> None:
        streams = [s.strip() for s in options.get("streams", "").split(",") if s.strip()]
        if not streams:
            raise ValueError("option 'streams' is required: comma-separated Kinesis stream names")
        self.streams = streams
        self.region = options.get("region")
        self.endpoint_url = options.get("endpoint_url")
        self.max_records = int(options.get("max_records_per_shard", "10000"))
        if self.max_records < 1:
            raise ValueError(f"option 'max_records_per_shard' must be >= 1, got {self.max_records}")
        self._client = None

    @property
    def client(self):
        if self._client is None:
            import boto3  # imported here: only the reader's Python worker needs it

            local = self.endpoint_url is not None and urlparse(self.endpoint_url).hostname in LOOPBACK
            # kinesis-local on loopback takes any signature: placeholders, so no real credential is ever needed.
            extra = {"aws_access_key_id": "local", "aws_secret_access_key": "local"} if local else {}
            self._client = boto3.client("kinesis", region_name=self.region, endpoint_url=self.endpoint_url, **extra)
        return self._client

    def _shards(self) -> list[str]:
        keys = []
        for stream in self.streams:
            token = None
            while True:
                page = (self.client.list_shards(NextToken=token) if token
                        else self.client.list_shards(StreamName=stream))
                keys += [f"{stream}/{s['ShardId']}" for s in page["Shards"]]
                token = page.get("NextToken")
                if not token:
                    break
        return keys

    def initialOffset(self) -> dict:
        return {key: "" for key in self._shards()}

    def _iterator(self, key: str, after: str) -> str:
        stream, shard = key.split("/", 1)
        if after:
            answer = self.client.get_shard_iterator(StreamName=stream, ShardId=shard,
                                                    ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                                    StartingSequenceNumber=after)
        else:
            answer = self.client.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        return answer["ShardIterator"]

    @staticmethod
    def _row(key: str, record: dict) -> tuple:
        stream, shard = key.split("/", 1)
        return (record["PartitionKey"], bytes(record["Data"]), stream, shard, record["SequenceNumber"],
                record["ApproximateArrivalTimestamp"])

    def _fetch(self, key: str, after: str, until: str | None, limit: int) -> list[dict]:
        """Records of one shard after `after`: up to `limit` (until None), or up to and including `until`."""
        records: list[dict] = []
        iterator = self._iterator(key, after)
        while iterator:
            page = self.client.get_records(ShardIterator=iterator, Limit=min(10000, max(1, limit - len(records))) if until is None else 10000)
            for record in page["Records"]:
                if until is not None and int(record["SequenceNumber"]) > int(until):
                    return records
                records.append(record)
                if until is not None and record["SequenceNumber"] == until:
                    return records
            if until is None and (len(records) >= limit or not page["Records"] or page.get("MillisBehindLatest", 0) == 0):
                return records
            if until is not None and not page["Records"] and page.get("MillisBehindLatest", 0) == 0:
                raise RuntimeError(f"{key}: sequence {until} of a committed offset is no longer in the stream")
            iterator = page.get("NextShardIterator")
        return records

    def read(self, start: dict) -> tuple[Iterator[tuple], dict]:
        end = dict(start)
        rows: list[tuple] = []
        for key in self._shards():
            after = start.get(key, "")
            records = self._fetch(key, after, None, self.max_records)
            rows += [self._row(key, r) for r in records]
            end[key] = records[-1]["SequenceNumber"] if records else after
        return iter(rows), end

    def readBetweenOffsets(self, start: dict, end: dict) -> Iterator[tuple]:
        rows: list[tuple] = []
        for key, until in end.items():
            after = start.get(key, "")
            if until and until != after:
                rows += [self._row(key, r) for r in self._fetch(key, after, until, 0)]
        return iter(rows)
