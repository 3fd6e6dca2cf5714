"""The Spark half of the one-machine pipeline, in one local session: the batch job over the local lake, the
stream job drained from kinesis-local, then everything the report needs as one JSON document.

    .venv/bin/python local/spark_pipeline.py --lake .state/lake --delta .state/delta \
        --checkpoints .state/checkpoints --topic-prefix pinpipe-local --stream-prefix pinpipe-local \
        --kinesis-endpoint http://127.0.0.1:4567 --region eu-west-1 --report-json .state/report.json

Called by local/pipeline.ts (`npm run local`); prints one progress line per step.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import logging
import os
import sys
import time
from pathlib import Path

from pinterest_jobs import realtime as R
from pinterest_jobs import stream as S
from pinterest_jobs.batch import GOLD_TABLES, run_batch
from pinterest_jobs.cleaning import FIELD_NULLED, ROW_QUARANTINED, parse_policy
from pyspark.sql import functions as F
from pinterest_jobs.local import local_session


def step(message: str) -> None:
    print(f"[spark] {message}", flush=True)


def rows(df) -> list[dict]:
    def plain(v):
        if isinstance(v, (dt.date, dt.datetime)):
            return v.isoformat()
        if isinstance(v, float):
            return round(v, 4)
        return v

    return [{k: plain(v) for k, v in r.asDict().items()} for r in df.collect()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for flag in ("--lake", "--delta", "--checkpoints", "--topic-prefix", "--stream-prefix", "--kinesis-endpoint",
                 "--report-json"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--region", default="eu-west-1")
    parser.add_argument("--quality-policy", default="{}", help="per-rule policy as JSON (the jobs' --quality-policy)")
    args = parser.parse_args()
    try:
        policy = parse_policy(args.quality_policy)
    except ValueError as err:
        parser.error(str(err))
    logging.basicConfig(level=logging.WARNING)

    jars = [j for j in os.environ.get("PINPIPE_DELTA_JARS", "").split(",") if j]
    started = time.perf_counter()
    spark = local_session("pinpipe-local", delta_jars=jars, warehouse_dir=str(Path(args.delta) / "_warehouse"))
    spark.sparkContext.setLogLevel("ERROR")
    step(f"session ready in {time.perf_counter() - started:.0f}s")

    batch_out = f"{args.delta}/batch"
    topics = {kind: f"{args.topic_prefix}.{kind}" for kind in ("pin", "geo", "user")}
    t0 = time.perf_counter()
    result = run_batch(spark, args.lake, batch_out, topics, policy)
    step(f"batch: {sum(result.raw.values())} raw records -> silver {result.silver}, "
         f"quarantined {result.quarantined}, fields nulled {result.nulled} in {time.perf_counter() - t0:.0f}s")

    stream_out = f"{args.delta}/stream"
    streams = S.stream_names(args.stream_prefix)
    t0 = time.perf_counter()
    source = S.read_boto3_kinesis(spark, streams, args.region, args.kinesis_endpoint)
    query = S.start_stream(spark, source, stream_out, f"{args.checkpoints}/stream", streams,
                           {"processingTime": "0 seconds"}, policy=policy)
    S.drain(query)
    stream_counts = {k: spark.read.format("delta").load(f"{stream_out}/{k}").count() for k in streams}
    step(f"stream: tables {stream_counts} in {time.perf_counter() - t0:.0f}s")

    # The real-time metrics over the stream's tables, with windows of seconds so a short run shows several.
    t0 = time.perf_counter()
    metrics = S.start_metrics(spark, stream_out, f"{args.checkpoints}/stream", {"processingTime": "0 seconds"},
                              R.LOCAL_WINDOWS)
    R.drain(metrics)
    realtime_root, _ = S.realtime_paths(stream_out, f"{args.checkpoints}/stream")
    realtime = {m.name: rows(spark.read.format("delta").load(f"{realtime_root}/{m.name}").orderBy(*m.order))
                for m in R.METRICS}
    step(f"realtime: {', '.join(f'{k} {len(v)} rows' for k, v in realtime.items())} "
         f"in {time.perf_counter() - t0:.0f}s")

    def reasons(path: str) -> list[dict]:
        df = spark.read.format("delta").load(path)
        return rows(df.groupBy("source", "outcome", "rule").count().orderBy("source", "outcome", "rule"))

    def outcomes(path: str, outcome: str) -> dict[str, int]:
        df = spark.read.format("delta").load(path).where(F.col("outcome") == outcome)
        counts = {r["source"]: r["count"] for r in df.groupBy("source").count().collect()}
        return {kind: counts.get(kind, 0) for kind in streams}

    report = {
        "generatedAt": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "batch": {
            "raw": result.raw,
            "silver": result.silver,
            "quarantined": result.quarantined,
            "nulled": result.nulled,
            "quarantineReasons": reasons(f"{batch_out}/quarantine"),
        },
        "stream": {
            "tables": stream_counts,
            "quarantined": outcomes(f"{stream_out}/quarantine", ROW_QUARANTINED),
            "nulled": outcomes(f"{stream_out}/quarantine", FIELD_NULLED),
            "quarantineReasons": reasons(f"{stream_out}/quarantine"),
        },
        "insights": {name: rows(spark.read.format("delta").load(f"{batch_out}/gold/{name}")) for name in GOLD_TABLES},
        "realtime": {
            "windows": dataclasses.asdict(R.LOCAL_WINDOWS),
            "tables": realtime,
        },
    }
    Path(args.report_json).write_text(json.dumps(report, indent=2))
    step(f"report data -> {args.report_json}")
    spark.stop()


if __name__ == "__main__":
    sys.exit(main())
