"""The batch job: the lake's raw topic objects -> silver (clean, one row per post), quarantine and gold
(the eight insights) Delta tables. Idempotent: every table is replaced from the same input, so running it
twice on the same lake leaves the same rows.

    python -m pinterest_jobs.batch --lake s3://bucket --out s3://bucket/delta \\
        --topics '{"pin": "pinpipe-dev.pin", "geo": "pinpipe-dev.geo", "user": "pinpipe-dev.user"}'

On Databricks the job passes the same parameters and the runtime provides the session; locally
``--local`` builds a session with Delta from the jars in $PINPIPE_DELTA_JARS (comma-separated).
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from . import insights as I
from .local import entry_session
from .names import parse_names
from .cleaning import ROW_QUARANTINED, QualityPolicy, flag, one_row_per_key, parse_policy, split, union_all

log = logging.getLogger("pinterest_jobs.batch")

#: Threads writing the gold tables at once.
GOLD_WRITERS = 3
#: Topics cleaned at once.
TOPIC_WORKERS = 2


@dataclass
class BatchResult:
    raw: dict[str, int] = field(default_factory=dict)
    silver: dict[str, int] = field(default_factory=dict)
    #: Records quarantined whole, per kind.
    quarantined: dict[str, int] = field(default_factory=dict)
    #: Fields nulled in rows that stayed (one per failed rule), per kind.
    nulled: dict[str, int] = field(default_factory=dict)
    gold: dict[str, int] = field(default_factory=dict)


def read_topic(spark: SparkSession, lake: str, topic: str) -> DataFrame:
    """Raw JSON lines of one topic, in the S3 sink's layout; an empty frame when the topic has no objects yet.
    Blank lines are skipped: the regex stops at a line's first non-space character, where checking the
    trimmed length would copy and walk every line."""
    path = f"{lake.rstrip('/')}/topics/{topic}/partition=*/*.json"
    try:
        return spark.read.text(path).withColumnRenamed("value", "raw").where(F.col("raw").rlike(r"\S"))
    except Exception as err:  # Spark raises AnalysisException for a glob that matches nothing
        if "PATH_NOT_FOUND" in str(err) or "Path does not exist" in str(err):
            log.warning("no objects for topic %s under %s", topic, path)
            return spark.createDataFrame([], "raw string")
        raise


@contextmanager
def _session_conf(spark: SparkSession, key: str, value: str) -> Iterator[None]:
    """Sets a session setting for the block, then puts back what was there."""
    before = spark.conf.get(key, None)
    spark.conf.set(key, value)
    try:
        yield
    finally:
        if before is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, before)


#: The gold tables' names, in the registry's order (insights.GOLD).
GOLD_TABLES = [g.name for g in I.GOLD]


def gold_tables(pins: DataFrame, geo: DataFrame, users: DataFrame) -> dict[str, DataFrame]:
    """The insights over the silver tables. Pins are joined with geo and users once, on the columns the
    questions use, and kept in memory while the nine tables are computed from it (the original re-read,
    re-cleaned and re-joined per query). The joins are left joins from pins: a pin without geo (or user)
    has nulls there, and every question drops rows lacking the columns it uses, so each answers as on the
    inner join of the two tables it needs (test_insights checks this against the one-question functions)."""
    joined = (
        pins.select("ind", "category", "poster_name", "follower_count")
        .join(geo.select("ind", "country", "timestamp"), "ind", "left")
        .join(users.select("ind", "age", "date_joined"), "ind", "left")
        .drop("ind")
    )
    joined = joined.persist(StorageLevel.MEMORY_AND_DISK_DESER)
    return {g.name: g.build(joined, users) for g in I.GOLD}


#: Columns Delta keeps min/max statistics on, per silver table: the key and the columns the insights filter
#: and group by. Delta's default (the first 32 columns) includes the long free-text fields (titles,
#: descriptions, tags), whose statistics cost a third of the pins' write and skip nothing.
SILVER_STATS_COLUMNS = {
    "pin": "ind,category,follower_count",
    "geo": "ind,country,timestamp",
    "user": "ind,age,date_joined",
}


def _write(df: DataFrame, path: str, stats_columns: str | None = None) -> int:
    """Replaces the table's rows (a new version; earlier ones stay for time travel) and returns how many
    rows the commit wrote, from Delta's own commit metrics rather than a second read."""
    from delta.tables import DeltaTable

    started = time.perf_counter()
    writer = df.write.format("delta").mode("overwrite").option("overwriteSchema", "true")
    if stats_columns:
        writer = writer.option("delta.dataSkippingStatsColumns", stats_columns)
    writer.save(path)
    last = DeltaTable.forPath(df.sparkSession, path).history(1).select("operationMetrics").first()
    rows = int(last["operationMetrics"].get("numOutputRows", 0))
    log.info("wrote %s: %d rows in %.1fs", path, rows, time.perf_counter() - started)
    return rows


def run_batch(
    spark: SparkSession, lake: str, out: str, topics: dict[str, str], policy: QualityPolicy | None = None
) -> BatchResult:
    """Cleans each topic, writes silver/<kind>, quarantine and gold/<insight> under `out`.

    What the job caches (the parsed records, the joined silver for gold) lives for minutes and is read a
    few times: it is cached uncompressed, as compressing cost more than it saved (docs/benchmarks.md). The
    session's setting is put back afterwards."""
    with _session_conf(spark, "spark.sql.inMemoryColumnarStorage.compressed", "false"):
        return _run_batch(spark, lake, out, topics, policy)


def _run_batch(
    spark: SparkSession, lake: str, out: str, topics: dict[str, str], policy: QualityPolicy | None
) -> BatchResult:
    result = BatchResult()

    def clean_topic(kind: str) -> tuple[DataFrame, DataFrame]:
        # Read, parsed and checked once, kept while silver and quarantine are split from it. Only a
        # quarantined record keeps its raw text (the quarantine's evidence); a clean one is its parsed fields.
        flagged = flag(read_topic(spark, lake, topics[kind]), kind, policy)
        flagged = flagged.withColumn("raw", F.when(F.col("_whole").isNotNull(), F.col("raw")))
        flagged = flagged.persist(StorageLevel.MEMORY_AND_DISK_DESER)
        result.raw[kind] = flagged.count()
        clean, quarantine = split(flagged, kind)
        result.silver[kind] = _write(one_row_per_key(clean), f"{out}/silver/{kind}", SILVER_STATS_COLUMNS[kind])
        return flagged, quarantine

    # Two topics at a time: one's commits and stage tails (driver-only work) overlap the other's tasks.
    with ThreadPoolExecutor(max_workers=TOPIC_WORKERS) as pool:
        cleaned = list(pool.map(clean_topic, topics))
    flagged_frames = [flagged for flagged, _ in cleaned]
    quarantines = [quarantine for _, quarantine in cleaned]
    silver = {kind: spark.read.format("delta").load(f"{out}/silver/{kind}") for kind in topics}
    _write(union_all(quarantines), f"{out}/quarantine")
    for flagged in flagged_frames:
        flagged.unpersist()
    counts = spark.read.format("delta").load(f"{out}/quarantine").groupBy("source", "outcome").count().collect()
    for row in counts:
        into = result.quarantined if row["outcome"] == ROW_QUARANTINED else result.nulled
        into[row["source"]] = row["count"]
    for kind in topics:
        result.quarantined.setdefault(kind, 0)
        result.nulled.setdefault(kind, 0)
        log.info(
            "%s: %d raw, %d clean (one per post), %d quarantined, %d fields nulled",
            kind, result.raw[kind], result.silver[kind], result.quarantined[kind], result.nulled[kind],
        )
    # The gold tables are small: their time is Spark's and Delta's per-job overhead, which overlaps when
    # the nine are written from a few threads (Spark runs jobs from several threads side by side).
    tables = gold_tables(silver["pin"], silver["geo"], silver["user"])
    with ThreadPoolExecutor(max_workers=GOLD_WRITERS) as pool:
        rows = pool.map(lambda item: _write(item[1], f"{out}/gold/{item[0]}"), tables.items())
        result.gold = dict(zip(tables, rows))
    # The job owns its session (a job cluster, or the local runner): release what the insights kept.
    spark.catalog.clearCache()
    return result


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pinterest_jobs.batch", description=__doc__.split("\n")[0])
    parser.add_argument("--lake", required=True, help="lake root holding topics/<topic>/partition=<p>/")
    parser.add_argument("--out", required=True, help="root of the Delta tables (silver/, quarantine, gold/)")
    parser.add_argument("--topics", required=True,
                        help='the raw topic of each kind, as JSON: {"pin": ..., "geo": ..., "user": ...}')
    parser.add_argument("--quality-policy", default="{}",
                        help='per-rule policy as JSON, e.g. {"age.out_of_range": "drop"}; unnamed rules null the field')
    parser.add_argument("--local", action="store_true", help="build a local Spark session with Delta")
    args = parser.parse_args(argv)
    try:
        args.policy = parse_policy(args.quality_policy)
        args.topic_names = parse_names(args.topics, "--topics")
    except ValueError as err:
        parser.error(str(err))
    return args


def main(argv: list[str] | None = None) -> BatchResult:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(sys.argv[1:] if argv is None else argv)
    spark = entry_session("batch", local=args.local, out=args.out)
    return run_batch(spark, args.lake, args.out, args.topic_names, args.policy)


if __name__ == "__main__":
    main()
