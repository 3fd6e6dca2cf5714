"""The streaming job: the three Kinesis streams -> cleaned Delta tables, exactly once.

One code path with the batch job: each micro-batch is cleaned by the same ``clean_*`` functions, bad records
go to the quarantine table with a reason, clean rows are appended to ``<out>/<kind>``. A post delivered
again (at-least-once ingest) is dropped before that by streaming deduplication on its key within an hour
of arrival, its state in the checkpoint. Spark keeps the sources' offsets and that state in the checkpoint
(in the lake, never /tmp); after a restart the last uncommitted batch is replayed with the same id. Every
append carries its batch id in the commit itself (Delta's ``userMetadata``, atomic with the rows), and the
first batch of a run skips a table whose newest marker already has that id: nothing lost, nothing twice.
(Delta's own ``txnAppId``/``txnVersion`` does the same but rebuilds the table's state on every commit to
look the id up, ~0.7 s a table locally; a MERGE per table ~3 s: both too slow for the freshness target,
docs/benchmarks.md.) The tables are this stream's alone: one running copy per checkpoint, as the
Databricks job runs it (``max_concurrent_runs`` 1).

    python -m pinterest_jobs.stream --streams '{"pin": "pinpipe-dev-pin", "geo": ..., "user": ...}' \\
        --out s3://lake/delta/stream \\
        --checkpoint s3://lake/checkpoints/stream --trigger 10s

Sources: on Databricks the native ``kinesis`` source (instance profile, no keys); elsewhere the boto3 Python
data source in kinesis_source.py (``--source boto3``, ``--endpoint-url`` for kinesis-local).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from pyspark import inheritable_thread_target
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery

from .cleaning import CLEANERS, QualityPolicy, flag, parse_policy, split, union_all
from .local import entry_session
from .names import KINDS, parse_names
from .queries import query_settings
from .realtime import Windows, start_realtime
from .realtime import drain as drain_metrics

log = logging.getLogger("pinterest_jobs.stream")

#: Every row of the stream's tables (clean and quarantine) carries ``arrival``: when Kinesis received the
#: record (its approximateArrivalTimestamp), the event time of the real-time metrics (realtime.py).
ARRIVAL_IN = "_in_arrival"
#: Where a checkpoint outlives the cluster (a driver's local disk, like the original's /tmp, does not).
DURABLE_SCHEMES = ("s3://", "s3a://", "dbfs:/", "abfss://", "gs://")


def kinesis_records(source: DataFrame) -> DataFrame:
    """The job's view of a Kinesis source with Databricks' columns (kinesis_source.SCHEMA): the stream's
    name, the record as text, its arrival and sequence number. The same for both sources below."""
    return source.select(
        F.col("stream"),
        F.col("data").cast("string").alias("data"),
        F.col("approximateArrivalTimestamp").alias("arrival"),
        F.col("sequenceNumber").alias("sequence"),
    )


def read_databricks_kinesis(spark: SparkSession, streams: dict[str, str], region: str) -> DataFrame:
    """Databricks' native source; credentials from the cluster's instance profile."""
    return kinesis_records(
        spark.readStream.format("kinesis")
        .option("streamName", ",".join(streams.values()))
        .option("region", region)
        .option("initialPosition", "trim_horizon")
        .load()
    )


def read_boto3_kinesis(
    spark: SparkSession, streams: dict[str, str], region: str | None, endpoint_url: str | None
) -> DataFrame:
    """The Python data source over boto3 (real Kinesis or kinesis-local), with Databricks' columns."""
    from .kinesis_source import KinesisDataSource

    spark.dataSource.register(KinesisDataSource)
    reader = spark.readStream.format(KinesisDataSource.name()).option("streams", ",".join(streams.values()))
    if region:
        reader = reader.option("region", region)
    if endpoint_url:
        reader = reader.option("endpoint_url", endpoint_url)
    return kinesis_records(reader.load())


def without_redeliveries(source: DataFrame, window: str) -> DataFrame:
    """Drops a post's records delivered again within `window` of arrival (at-least-once ingest, emulator
    replays), with state kept in the checkpoint. The key is the post's key, or the record's sequence number
    when it has none (an unreadable record is never mistaken for another)."""
    key = F.coalesce(
        F.get_json_object("data", "$.ind"),
        F.get_json_object("data", "$.index"),
        F.concat(F.lit("seq:"), F.col("sequence")),
    )
    return (
        source.withColumn("post_key", key)
        .withWatermark("arrival", window)
        .dropDuplicatesWithinWatermark(["stream", "post_key"])
    )


def _is_delta(spark: SparkSession, path: str) -> bool:
    from delta.tables import DeltaTable

    return DeltaTable.isDeltaTable(spark, path)


#: Columns Delta keeps min/max statistics on, per table: the key, the event time and what the metrics and
#: readers filter on. Delta's default (the first 32 columns) includes the pins' long free-text fields, whose
#: statistics cost every micro-batch's commit and skip nothing (docs/benchmarks.md).
STATS_COLUMNS = {
    "pin": "ind,arrival,category,poster_name",
    "geo": "ind,arrival,country",
    "user": "ind,arrival",
    "quarantine": "source,ind,arrival,rule",
}

#: Commits between Delta checkpoints on the stream's tables. Delta's default (10) makes every tenth
#: micro-batch also write a checkpoint; a stream commits every few seconds, so it checkpoints less often.
CHECKPOINT_INTERVAL = 100


def create_tables(spark: SparkSession, out: str) -> None:
    """Creates the empty tables once, so every batch appends into an existing table."""
    empty_raw = spark.createDataFrame([], f"raw string, {ARRIVAL_IN} timestamp")
    tables = {kind: CLEANERS[kind](empty_raw)[0] for kind in KINDS}
    tables["quarantine"] = CLEANERS["pin"](empty_raw)[1]
    for name, empty in tables.items():
        path = f"{out}/{name}"
        if not _is_delta(spark, path):
            empty.write.format("delta").mode("ignore").option(
                "delta.checkpointInterval", str(CHECKPOINT_INTERVAL)
            ).option("delta.dataSkippingStatsColumns", STATS_COLUMNS[name]).save(path)
            continue
        # A table an earlier version created gains the columns added since (``arrival``, the quarantine's
        # rule and outcome) before any query reads it; its older rows have nulls there.
        have = set(spark.read.format("delta").load(path).columns)
        missing = [f"`{f.name}` {f.dataType.simpleString()}" for f in empty.schema.fields if f.name not in have]
        if missing:
            spark.sql(f"ALTER TABLE delta.`{path}` ADD COLUMNS ({', '.join(missing)})")


def batch_marker(app_id: str, batch_id: int) -> str:
    """The commit's userMetadata naming the micro-batch it holds."""
    return json.dumps({"stream": app_id, "batch": batch_id}, separators=(",", ":"))


def read_marker(user_metadata: str | None, app_id: str) -> int | None:
    """The batch id in a commit's userMetadata if this stream wrote it, else None (other writers, OPTIMIZE)."""
    try:
        marker = json.loads(user_metadata or "")
    except ValueError:
        return None
    if isinstance(marker, dict) and marker.get("stream") == app_id and isinstance(marker.get("batch"), int):
        return marker["batch"]
    return None


def last_committed_batch(spark: SparkSession, path: str, app_id: str) -> int:
    """The newest micro-batch this stream committed to the table (-1: none). Reads the newest commits first,
    in widening windows, so a restart reads a handful of commit files, not the table's whole history."""
    from delta.tables import DeltaTable

    table = DeltaTable.forPath(spark, path)
    window = 16
    while True:
        commits = table.history(window).select("userMetadata").collect()  # newest first
        for commit in commits:
            batch = read_marker(commit["userMetadata"], app_id)
            if batch is not None:
                return batch
        if len(commits) < window:
            return -1
        window *= 8


@dataclass
class BatchWriter:
    """The foreachBatch function. ``on_committed(batch_id, batch_df)`` runs after the batch is visible.

    One instance per run of the query: the first batch it sees may be a replay of a batch the previous run
    wrote (some or all tables) without committing it in the checkpoint; it learns each table's last batch
    from the table once, then keeps it."""

    out: str
    streams: dict[str, str]
    app_id: str
    on_committed: Callable[[int, DataFrame], None] | None = None
    policy: QualityPolicy | None = None
    committed: dict[str, int] = field(default_factory=dict)

    def append(self, df: DataFrame, path: str, batch_id: int) -> bool:
        """Appends one batch to one table unless the table already holds it; True if written."""
        if path not in self.committed:
            self.committed[path] = last_committed_batch(df.sparkSession, path, self.app_id)
        if batch_id <= self.committed[path]:
            log.info("batch %d is already in %s (a replay): skipped", batch_id, path)
            return False
        # mergeSchema: a table created by an earlier version gains the columns added since (the quarantine's).
        df.write.format("delta").mode("append").option("mergeSchema", "true").option(
            "userMetadata", batch_marker(self.app_id, batch_id)
        ).save(path)
        self.committed[path] = batch_id
        return True

    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        started = time.perf_counter()
        batch = batch.persist()
        flagged_frames: list[DataFrame] = []
        counts: dict[str, int] = {}

        def clean_and_append(kind: str) -> DataFrame | None:
            raw = batch.where(F.col("stream") == self.streams[kind]).select(
                F.col("data").alias("raw"), F.col("arrival").alias(ARRIVAL_IN)
            )
            # Parsed and checked once, in one job that also counts what the quarantine gets: the append and
            # the quarantine read the cache, and a kind without records (or without bad ones) costs no commit.
            flagged = flag(raw, kind, self.policy).persist()
            flagged_frames.append(flagged)
            rows, bad = flagged.select(
                F.count("*"), F.count_if(F.col("_whole").isNotNull() | (F.size("_issues") > 0))
            ).first()
            counts[kind] = rows
            if rows == 0:
                return None
            clean, quarantine = split(flagged, kind)
            # One row per post already: without_redeliveries dropped a key's later copies upstream.
            self.append(clean, f"{self.out}/{kind}", batch_id)
            return quarantine if bad else None

        try:
            # The tables are independent commits: cleaned and written side by side, a batch costs about one
            # commit's time.
            # inheritable_thread_target: the threads' Spark jobs stay in this query's scheduler pool.
            with ThreadPoolExecutor(max_workers=len(self.streams)) as pool:
                work = inheritable_thread_target(clean_and_append)
                quarantines = [q for q in pool.map(work, self.streams) if q is not None]
            if quarantines:
                self.append(union_all(quarantines), f"{self.out}/quarantine", batch_id)
            log.debug("batch %d written at %.1fs", batch_id, time.perf_counter() - started)
            log.info("batch %d: %s records", batch_id, counts)
            if self.on_committed is not None:
                self.on_committed(batch_id, batch)
        finally:
            for flagged in flagged_frames:
                flagged.unpersist()
            batch.unpersist()


def parse_trigger(text: str) -> dict:
    """'available-now' (drain what is there, then stop) or an interval like '10s', '500ms', '1m'."""
    if text == "available-now":
        return {"availableNow": True}
    match = re.fullmatch(r"(\d+)(ms|s|m)", text)
    if not match:
        raise ValueError(f"--trigger must be 'available-now' or an interval like 10s, 500ms or 1m, got '{text}'")
    value, unit = int(match.group(1)), match.group(2)
    return {"processingTime": f"{value} {dict(ms='milliseconds', s='seconds', m='minutes')[unit]}"}


def start_stream(
    spark: SparkSession,
    source: DataFrame,
    out: str,
    checkpoint: str,
    streams: dict[str, str],
    trigger: dict,
    on_committed: Callable[[int, DataFrame], None] | None = None,
    dedupe_window: str = "1 hour",
    policy: QualityPolicy | None = None,
    state_partitions: int | None = None,
) -> StreamingQuery:
    """Starts the clean query. Its deduplication state has `state_partitions` partitions (default: the
    cluster's cores, not Spark's 200: each is a task and a state-store commit in every micro-batch). Spark
    keeps the number in the checkpoint; a restart uses the first run's."""
    create_tables(spark, out)
    writer = BatchWriter(
        out=out, streams=streams, app_id=f"pinterest-stream:{checkpoint}", on_committed=on_committed, policy=policy
    )
    partitions = state_partitions or spark.sparkContext.defaultParallelism
    with query_settings(spark, partitions, pool="clean"):
        return (
            without_redeliveries(source, dedupe_window)
            .writeStream.foreachBatch(writer)
            .option("checkpointLocation", checkpoint)
            .queryName("pinterest_stream")
            .trigger(**trigger)
            .start()
        )


def realtime_paths(out: str, checkpoint: str) -> tuple[str, str]:
    """Where the real-time metrics live: tables under the stream's tables, checkpoints under its checkpoint
    (both inside the prefixes the stream's role may write)."""
    return f"{out.rstrip('/')}/realtime", f"{checkpoint.rstrip('/')}/realtime"


def start_metrics(
    spark: SparkSession,
    out: str,
    checkpoint: str,
    trigger: dict,
    windows: Windows | None = None,
    state_partitions: int | None = None,
) -> list[StreamingQuery]:
    """The real-time metrics over this stream's tables (realtime.py), one query each."""
    tables, checkpoints = realtime_paths(out, checkpoint)
    return start_realtime(spark, out, tables, checkpoints, trigger, windows or Windows(), state_partitions)


def drain(query: StreamingQuery) -> None:
    """Processes everything available now, then stops (what 'available-now' means for any source)."""
    query.processAllAvailable()
    query.stop()


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pinterest_jobs.stream", description=__doc__.split("\n")[0])
    parser.add_argument("--streams", required=True,
                        help='the stream of each kind, as JSON: {"pin": ..., "geo": ..., "user": ...}')
    parser.add_argument("--out", required=True, help="root of the stream's Delta tables")
    parser.add_argument("--checkpoint", required=True, help="checkpoint location, in the lake")
    parser.add_argument("--trigger", default="10s", help="'available-now' or an interval (10s, 500ms, 1m)")
    parser.add_argument("--source", choices=["databricks", "boto3"], default="databricks")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION"))
    parser.add_argument("--endpoint-url", help="Kinesis endpoint (kinesis-local); only with --source boto3")
    parser.add_argument("--quality-policy", default="{}",
                        help='per-rule policy as JSON, e.g. {"age.out_of_range": "drop"}; unnamed rules null the field')
    parser.add_argument("--state-partitions", type=int,
                        help="partitions of the deduplication state (default: the cluster's cores); fixed by the "
                             "checkpoint's first run")
    parser.add_argument("--metrics-trigger", default="1m",
                        help="interval of the real-time metrics' queries (their windows slide by the minute): "
                             "apart from --trigger so they take little from the clean tables' freshness")
    parser.add_argument("--no-realtime", dest="realtime", action="store_false",
                        help="clean tables only, without the real-time metrics (realtime.py)")
    parser.add_argument("--local", action="store_true", help="build a local Spark session with Delta")
    args = parser.parse_args(argv)
    try:
        args.trigger_spec = parse_trigger(args.trigger)
        args.metrics_trigger_spec = parse_trigger(args.metrics_trigger)
        args.policy = parse_policy(args.quality_policy)
        args.stream_names = parse_names(args.streams, "--streams")
    except ValueError as err:
        parser.error(str(err))
    if args.source == "databricks" and not args.region:
        parser.error("--region (or AWS_REGION) is required with --source databricks")
    if not args.local and not args.checkpoint.startswith(DURABLE_SCHEMES):
        parser.error(f"--checkpoint must be in the lake ({'|'.join(DURABLE_SCHEMES)}...), got '{args.checkpoint}'")
    if args.endpoint_url and args.source != "boto3":
        parser.error("--endpoint-url applies only to --source boto3")
    return args


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(sys.argv[1:] if argv is None else argv)
    spark = entry_session("stream", local=args.local, out=args.out)
    streams = args.stream_names
    source = (
        read_databricks_kinesis(spark, streams, args.region)
        if args.source == "databricks"
        else read_boto3_kinesis(spark, streams, args.region, args.endpoint_url)
    )
    available_now = args.trigger_spec.get("availableNow", False)
    # The Python data source drains with processAllAvailable; Databricks' source supports availableNow.
    trigger = {"processingTime": "0 seconds"} if available_now and args.source == "boto3" else args.trigger_spec
    query = start_stream(spark, source, args.out, args.checkpoint, streams, trigger, policy=args.policy,
                         state_partitions=args.state_partitions)
    if available_now:
        # Everything there is, then the metrics over it, then the run ends (a job run lasts while any
        # query is active).
        if args.source == "boto3":
            drain(query)
        else:
            query.awaitTermination()
        if args.realtime:
            drain_metrics(start_metrics(spark, args.out, args.checkpoint, {"processingTime": "0 seconds"},
                                        state_partitions=args.state_partitions))
        return
    metrics = (
        start_metrics(spark, args.out, args.checkpoint, args.metrics_trigger_spec,
                      state_partitions=args.state_partitions)
        if args.realtime
        else []
    )
    started = time.time()
    # The clean query and the metrics run side by side; the first to fail stops the others and the job
    # (the Databricks job's continuous schedule starts it again from the checkpoints).
    try:
        spark.streams.awaitAnyTermination()
    finally:
        for running in [query, *metrics]:
            if running.isActive:
                running.stop()
    log.info("stream stopped after %.0fs", time.time() - started)


if __name__ == "__main__":
    main()
