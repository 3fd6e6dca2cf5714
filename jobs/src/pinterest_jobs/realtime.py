"""Real-time metrics: streaming gold tables over the stream job's clean tables, on Databricks and locally.

The stream job (stream.py) writes each post's pin, geo and user rows, and the quarantine, with ``arrival``:
when Kinesis received the record (its ApproximateArrivalTimestamp). That is the event time here: the moment
the app posted, set by Kinesis, carried with the record and the same on every replay, where the source's
``timestamp`` is the historical creation time of the sample data. The metrics read those Delta tables as
streams (Delta's streaming source: exactly once, from the query's checkpoint):

- ``profile_popularity``: per poster and sliding window, posts and the largest follower count seen;
- ``trending_categories``: per sliding window and category, posts;
- ``trending_categories_by_country``: per window, country and category, posts (pins joined with geo);
- ``ingest_health``: per stream and minute, records accepted, quarantined whole, fields nulled.

Late data. Each query keeps a watermark ``lateness`` behind the newest arrival it has seen. A record within
that of the newest is counted in its window; one later than that may be left out of the metrics (Spark
drops it once its window's state is gone) and is counted in the query's progress
(``numRowsDroppedByWatermark``); it is still in the clean tables, and the daily batch counts it.

Writes. The three aggregations without a join run in update mode: each trigger upserts the windows that
changed (a MERGE on the window and key) with their values so far, so the live page sees a window fill up,
and a batch replayed after a restart upserts the same values again: exactly once in effect. The join runs in
append mode, the only mode Spark allows after a stream-stream join: a window's rows land once the watermark
passes its end, through Delta's own exactly-once streaming sink.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery

from .names import KINDS
from .queries import query_settings

log = logging.getLogger("pinterest_jobs.realtime")



@dataclass(frozen=True)
class Windows:
    """Window lengths and slides, and how late a record may arrive and still count (Spark interval text)."""

    popularity: str = "10 minutes"
    popularity_slide: str = "1 minute"
    trending: str = "5 minutes"
    trending_slide: str = "1 minute"
    by_country: str = "1 minute"
    health: str = "1 minute"
    lateness: str = "1 minute"
    #: How far apart a post's pin and geo may arrive and still be joined.
    pair_within: str = "1 minute"


#: Seconds instead of minutes: a local run posts for ~20 s, and a per-country window is final (and lands)
#: once the newest arrival passes its end by the lateness plus the pairing interval: 7 s here.
LOCAL_WINDOWS = Windows(
    popularity="30 seconds",
    popularity_slide="10 seconds",
    trending="30 seconds",
    trending_slide="10 seconds",
    by_country="10 seconds",
    health="10 seconds",
    lateness="2 seconds",
    pair_within="5 seconds",
)


def _bounds(window: str = "window") -> list:
    return [F.col(f"{window}.start").alias("window_start"), F.col(f"{window}.end").alias("window_end")]


def profile_popularity(pins: DataFrame, w: Windows) -> DataFrame:
    """window_start, window_end, poster_name, posts, follower_count (the largest seen in the window)."""
    return (
        pins.withWatermark("arrival", w.lateness)
        .where(F.col("poster_name").isNotNull())
        .groupBy(F.window("arrival", w.popularity, w.popularity_slide), "poster_name")
        .agg(F.count("*").alias("posts"), F.max("follower_count").alias("follower_count"))
        .select(*_bounds(), "poster_name", "posts", "follower_count")
    )


def trending_categories(pins: DataFrame, w: Windows) -> DataFrame:
    """window_start, window_end, category, posts."""
    return (
        pins.withWatermark("arrival", w.lateness)
        .where(F.col("category").isNotNull())
        .groupBy(F.window("arrival", w.trending, w.trending_slide), "category")
        .agg(F.count("*").alias("posts"))
        .select(*_bounds(), "category", "posts")
    )


def trending_categories_by_country(pins: DataFrame, geo: DataFrame, w: Windows) -> DataFrame:
    """window_start, window_end, country, category, posts: a post counts when its pin and geo arrived within
    ``pair_within`` of each other, in the window of the pin's arrival."""
    p = pins.where(F.col("category").isNotNull()).select(
        F.col("ind").alias("p_ind"), "category", F.col("arrival").alias("p_arrival")
    ).withWatermark("p_arrival", w.lateness)
    g = geo.where(F.col("country").isNotNull()).select(
        F.col("ind").alias("g_ind"), "country", F.col("arrival").alias("g_arrival")
    ).withWatermark("g_arrival", w.lateness)
    within = F.expr(f"INTERVAL {w.pair_within}")
    joined = p.join(
        g,
        (F.col("p_ind") == F.col("g_ind"))
        & F.col("g_arrival").between(F.col("p_arrival") - within, F.col("p_arrival") + within),
    )
    return (
        joined.groupBy(F.window("p_arrival", w.by_country), "country", "category")
        .agg(F.count("*").alias("posts"))
        .select(*_bounds(), "country", "category", "posts")
    )


def ingest_health(tables: dict[str, DataFrame], quarantine: DataFrame, w: Windows) -> DataFrame:
    """window_start, window_end, source, records (accepted: stayed or quarantined whole), quarantined
    (whole), nulled (fields), quarantine_rate (quarantined / records)."""
    from .cleaning import FIELD_NULLED, ROW_QUARANTINED

    def counts(df: DataFrame, source, records, quarantined, nulled) -> DataFrame:
        return df.select(
            source.alias("source"),
            "arrival",
            F.lit(records).alias("records"),
            F.lit(quarantined).alias("quarantined"),
            F.lit(nulled).alias("nulled"),
        )

    parts = [counts(df, F.lit(kind), 1, 0, 0) for kind, df in tables.items()]
    parts.append(counts(quarantine.where(F.col("outcome") == ROW_QUARANTINED), F.col("source"), 1, 1, 0))
    parts.append(counts(quarantine.where(F.col("outcome") == FIELD_NULLED), F.col("source"), 0, 0, 1))
    union = parts[0]
    for part in parts[1:]:
        union = union.unionByName(part)
    return (
        union.withWatermark("arrival", w.lateness)
        .groupBy(F.window("arrival", w.health), "source")
        .agg(F.sum("records").alias("records"), F.sum("quarantined").alias("quarantined"), F.sum("nulled").alias("nulled"))
        .select(
            *_bounds(),
            "source",
            "records",
            "quarantined",
            "nulled",
            F.when(F.col("records") > 0, F.col("quarantined") / F.col("records")).otherwise(F.lit(0.0)).alias(
                "quarantine_rate"
            ),
        )
    )


@dataclass(frozen=True)
class Metric:
    """One real-time gold table: how to compute it from the clean tables, its key, how it is written."""

    name: str
    build: Callable[[dict[str, DataFrame], Windows], DataFrame]
    #: The columns a row is upserted on (update mode); None: appended when final (append mode).
    keys: tuple[str, ...] | None
    #: How readers list it (the report).
    order: tuple[str, ...] = ("window_start",)


#: The registry the job, the local report and the tests read.
METRICS: tuple[Metric, ...] = (
    Metric(
        "profile_popularity",
        lambda t, w: profile_popularity(t["pin"], w),
        ("window_start", "poster_name"),
        ("window_start", "poster_name"),
    ),
    Metric(
        "trending_categories",
        lambda t, w: trending_categories(t["pin"], w),
        ("window_start", "category"),
        ("window_start", "category"),
    ),
    Metric(
        "ingest_health",
        lambda t, w: ingest_health({k: t[k] for k in KINDS}, t["quarantine"], w),
        ("window_start", "source"),
        ("window_start", "source"),
    ),
    Metric(
        "trending_categories_by_country",
        lambda t, w: trending_categories_by_country(t["pin"], t["geo"], w),
        None,
        ("window_start", "country", "category"),
    ),
)


def _upsert(path: str, keys: tuple[str, ...]) -> Callable[[DataFrame, int], None]:
    def write(batch: DataFrame, batch_id: int) -> None:
        from delta.tables import DeltaTable

        # Cached: the emptiness check and the MERGE would each run the stateful plan otherwise.
        batch = batch.persist()
        try:
            if batch.isEmpty():
                return
            on = " AND ".join(f"t.{k} = s.{k}" for k in keys)
            (
                DeltaTable.forPath(batch.sparkSession, path)
                .alias("t")
                .merge(batch.alias("s"), on)
                .whenMatchedUpdateAll()
                .whenNotMatchedInsertAll()
                .execute()
            )
        finally:
            batch.unpersist()
        log.debug("realtime batch %d upserted into %s", batch_id, path)

    return write


def _create(spark: SparkSession, path: str, empty: DataFrame) -> None:
    from delta.tables import DeltaTable

    if not DeltaTable.isDeltaTable(spark, path):
        spark.createDataFrame([], empty.schema).write.format("delta").mode("ignore").save(path)


def start_realtime(
    spark: SparkSession,
    clean_root: str,
    out: str,
    checkpoint: str,
    trigger: dict,
    windows: Windows = Windows(),
    state_partitions: int | None = None,
) -> list[StreamingQuery]:
    """Starts one streaming query per metric, reading the stream's tables under `clean_root`, writing
    ``<out>/<metric>`` with checkpoints ``<checkpoint>/<metric>``. Each query's state has `state_partitions`
    partitions (default: the cluster's cores; Spark's default, 200, is 200 tasks and state-store commits per
    trigger and query), fixed by its checkpoint's first run."""
    # Rows written before the tables carried ``arrival`` have no event time: they are not metrics' input.
    sources = {
        name: spark.readStream.format("delta").load(f"{clean_root}/{name}").where(F.col("arrival").isNotNull())
        for name in (*KINDS, "quarantine")
    }
    statics = {name: spark.read.format("delta").load(f"{clean_root}/{name}").limit(0) for name in sources}
    queries = []
    for metric in METRICS:
        path = f"{out}/{metric.name}"
        _create(spark, path, metric.build(statics, windows))
        frame = metric.build(sources, windows)
        writer = frame.writeStream.option("checkpointLocation", f"{checkpoint}/{metric.name}").queryName(
            f"realtime_{metric.name}"
        ).trigger(**trigger)

        with query_settings(spark, state_partitions or spark.sparkContext.defaultParallelism, pool="metrics"):
            if metric.keys is None:
                query = writer.format("delta").outputMode("append").start(path)
            else:
                query = writer.outputMode("update").foreachBatch(_upsert(path, metric.keys)).start()
        queries.append(query)
    return queries


def drain(queries: list[StreamingQuery], settle_seconds: float = 1.0) -> None:
    """Processes what is available, lets each query run the batch without data that Spark starts when the
    watermark moved (it evicts state and emits the append-mode windows now final), then stops them. What
    ``availableNow`` would be if it ran that batch: it does not, so an append-mode window never lands."""
    import time

    for query in queries:
        query.processAllAvailable()
    time.sleep(settle_seconds)
    for query in queries:
        while query.status["isTriggerActive"]:
            time.sleep(0.1)
        query.processAllAvailable()
        query.stop()


def dropped_late(query: StreamingQuery) -> int:
    """Rows the query's stateful operators dropped as later than the watermark, over its recent progress."""
    return sum(
        op.get("numRowsDroppedByWatermark", 0) for p in query.recentProgress for op in p.get("stateOperators", [])
    )
