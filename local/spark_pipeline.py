"""The Spark half of the one-machine pipeline, in one local session: the stream job and its real-time metrics
running live while the emulator posts (with --live-json, until 'drain' on stdin), then drained; the batch job
over the local lake; then everything the report needs as one JSON document.

    .venv/bin/python local/spark_pipeline.py --lake .state/lake --delta .state/delta \
        --checkpoints .state/checkpoints --topics '{"pin": "pinpipe-local.pin", ...}' \
        --streams '{"pin": "pinpipe-local-pin", ...}' \
        --kinesis-endpoint http://127.0.0.1:4567 --region eu-west-1 --report-json .state/report.json \
        [--live-json .state/live.json]

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

import pyarrow as pa
from deltalake import DeltaTable

from pinterest_jobs import realtime as R
from pinterest_jobs import stream as S
from pinterest_jobs.batch import GOLD_TABLES, run_batch
from pinterest_jobs.insights import gold_registry
from pinterest_jobs.cleaning import FIELD_NULLED, ROW_QUARANTINED, parse_policy
from pinterest_jobs.names import parse_names
from pyspark.sql import functions as F
from pinterest_jobs.local import local_session


def step(message: str) -> None:
    print(f"[spark] {message}", flush=True)


def plain(v):
    """A value as the report's JSON holds it: times as ISO text in UTC without an offset (as Spark gives
    them; delta-rs gives them with one), floats to 4 places."""
    if isinstance(v, dt.datetime) and v.tzinfo is not None:
        v = v.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, float):
        return round(v, 4)
    return v


def rows(df) -> list[dict]:
    return [{k: plain(v) for k, v in r.asDict().items()} for r in df.collect()]


def delta_rows(path: str, order: tuple[str, ...]) -> list[dict]:
    """A Delta table's rows read with delta-rs, not Spark: the live page's reads cost milliseconds instead of
    Spark jobs queued behind the stream's and the metrics' on a busy machine. A table not yet created is
    empty."""
    if not DeltaTable.is_deltatable(path):
        return []
    found = [{k: plain(v) for k, v in r.items()} for r in DeltaTable(path).to_pyarrow_table().to_pylist()]
    return sorted(found, key=lambda r: tuple(r[c] for c in order))


def delta_count(path: str) -> int:
    """Rows in an append-only Delta table, from its log's per-file statistics (no data file is read)."""
    if not DeltaTable.is_deltatable(path):
        return 0
    return sum(pa.table(DeltaTable(path).get_add_actions(flatten=True)).column("num_records").to_pylist())


def write_snapshot(path: str, number: int, stream_out: str, streams: dict[str, str], realtime_root: str) -> None:
    """One snapshot of the live page's data (the stream tables' counts and the metrics' rows), written whole:
    beside it, then renamed."""
    snapshot = {
        "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "snapshot": number,
        "stream": {k: delta_count(f"{stream_out}/{k}") for k in streams},
        "tables": {m.name: delta_rows(f"{realtime_root}/{m.name}", m.order) for m in R.METRICS},
    }
    Path(path + ".tmp").write_text(json.dumps(snapshot))
    os.replace(path + ".tmp", path)


def live(path: str, stream_out: str, streams: dict[str, str], realtime_root: str) -> int:
    """Writes the live page's data (the metrics' tables, the stream tables' counts) to `path` every 2 s until
    stdin says 'drain' (or closes). Returns how many snapshots it wrote."""
    import threading

    stop = threading.Event()

    def wait_for_drain() -> None:
        for line in sys.stdin:
            if line.strip() == "drain":
                break
        stop.set()

    threading.Thread(target=wait_for_drain, daemon=True).start()
    snapshots = 0
    took: list[float] = []
    while not stop.is_set():
        started = time.perf_counter()
        try:
            write_snapshot(path, snapshots + 1, stream_out, streams, realtime_root)
        except Exception as err:  # a table between commits: the next snapshot will do
            logging.getLogger("spark_pipeline").info("live snapshot skipped: %s", err)
        else:
            snapshots += 1
            took.append(time.perf_counter() - started)
        stop.wait(2.0)
    typical = f" (median {sorted(took)[len(took) // 2]:.1f}s each)" if took else ""
    step(f"live: {snapshots} snapshots written{typical}; draining")
    return snapshots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for flag in ("--lake", "--delta", "--checkpoints", "--topics", "--streams", "--kinesis-endpoint",
                 "--report-json"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--region", default="eu-west-1")
    parser.add_argument("--quality-policy", default="{}", help="per-rule policy as JSON (the jobs' --quality-policy)")
    parser.add_argument("--live-json", help="run the stream and its metrics live first, writing this snapshot every "
                        "2 s, until a line 'drain' on stdin; then drain them and run the batch")
    args = parser.parse_args()
    try:
        policy = parse_policy(args.quality_policy)
        topics = parse_names(args.topics, "--topics")
        streams = parse_names(args.streams, "--streams")
    except ValueError as err:
        parser.error(str(err))
    logging.basicConfig(level=logging.WARNING)

    jars = [j for j in os.environ.get("PINPIPE_DELTA_JARS", "").split(",") if j]
    started = time.perf_counter()
    spark = local_session("pinpipe-local", delta_jars=jars, warehouse_dir=str(Path(args.delta) / "_warehouse"))
    spark.sparkContext.setLogLevel("ERROR")
    step(f"session ready in {time.perf_counter() - started:.0f}s")

    stream_out = f"{args.delta}/stream"
    checkpoint = f"{args.checkpoints}/stream"
    realtime_root, _ = S.realtime_paths(stream_out, checkpoint)
    t0 = time.perf_counter()
    source = S.read_boto3_kinesis(spark, streams, args.region, args.kinesis_endpoint)
    # One state partition: the emulator, the services and Spark share this machine's cores (docs/benchmarks.md).
    query = S.start_stream(spark, source, stream_out, checkpoint, streams, {"processingTime": "1 second"},
                           policy=policy, state_partitions=1)
    # The real-time metrics over the stream's tables, with windows of seconds so a short run shows several.
    metrics = S.start_metrics(spark, stream_out, checkpoint, {"processingTime": "2 seconds"}, R.LOCAL_WINDOWS,
                              state_partitions=1)

    def realtime_rows() -> dict[str, list[dict]]:
        return {m.name: rows(spark.read.format("delta").load(f"{realtime_root}/{m.name}").orderBy(*m.order))
                for m in R.METRICS}

    snapshots = 0
    if args.live_json:
        step("live: the stream and its real-time metrics are running")
        snapshots = live(args.live_json, stream_out, streams, realtime_root)
    S.drain(query)
    R.drain(metrics)
    if args.live_json:
        # The page ends on the drained state.
        write_snapshot(args.live_json, snapshots + 1, stream_out, streams, realtime_root)
    stream_counts = {k: spark.read.format("delta").load(f"{stream_out}/{k}").count() for k in streams}
    step(f"stream: tables {stream_counts} in {time.perf_counter() - t0:.0f}s")
    realtime = realtime_rows()
    step(f"realtime: {', '.join(f'{k} {len(v)} rows' for k, v in realtime.items())}")

    batch_out = f"{args.delta}/batch"
    t0 = time.perf_counter()
    result = run_batch(spark, args.lake, batch_out, topics, policy)
    step(f"batch: {sum(result.raw.values())} raw records -> silver {result.silver}, "
         f"quarantined {result.quarantined}, fields nulled {result.nulled} in {time.perf_counter() - t0:.0f}s")

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
        # The registry of gold tables (titles, questions, charts): the report draws what the job wrote.
        "gold": gold_registry(),
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
