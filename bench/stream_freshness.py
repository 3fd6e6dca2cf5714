"""Benchmark of the streaming job (#6): freshness at a steady rate on one machine. Posts go through the
local Kinesis API (the same mapping templates as API Gateway) into kinesis-local; the stream job runs on
local Spark with a 1 s trigger; a post's freshness is the time from the start of its PUT to the commit of
the Delta append that made it visible.

    .venv/bin/python bench/stream_freshness.py [--rate 20] [--seconds 60] [--trigger 1s]

Prints p50/p95/max seconds (target: p95 <= 5 s) and, as the baseline in the same run, the trigger interval
alone (the floor any micro-batch design pays).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "jobs" / "src"))
sys.path.insert(0, str(ROOT / "test" / "python"))

from kinesis_local import KinesisLocal  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from pinterest_jobs import stream as S  # noqa: E402
from pinterest_jobs.local import delta_jars, local_session  # noqa: E402

PREFIX = "bench"
API_KEY = "bench-key"


def start_api(kinesis: KinesisLocal, log_dir: Path) -> tuple[subprocess.Popen, str]:
    log = open(log_dir / "kinesis-api.log", "w")
    proc = subprocess.Popen(
        ["node", "-r", "ts-node/register", "local/kinesisApiServer.ts", "--kinesis", kinesis.endpoint,
         "--streams", ",".join(S.stream_names(PREFIX).values()), "--region", kinesis.region, "--api-key", API_KEY],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True)
    line = proc.stdout.readline()
    return proc, json.loads(line)["url"]


def put(url: str, stream: str, record: dict, key: str) -> None:
    body = json.dumps({"records": [{"data": record, "partition-key": key}]}).encode()
    request = urllib.request.Request(f"{url}/streams/{stream}/records", data=body, method="PUT",
                                     headers={"content-type": "application/json", "x-api-key": API_KEY})
    with urllib.request.urlopen(request, timeout=10) as answer:
        payload = json.loads(answer.read())
        if payload.get("FailedRecordCount"):
            raise RuntimeError(f"put failed: {payload}")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=20.0, help="posts per second (3 records each)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds excluded from the figures")
    parser.add_argument("--trigger", default="1s")
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("pinterest_jobs").setLevel(logging.DEBUG if os.environ.get("PINPIPE_DEBUG") else logging.INFO)
    logging.getLogger("py4j").setLevel(logging.WARNING)

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    work = Path(tempfile.mkdtemp(prefix="stream-bench-", dir=ROOT / ".cache"))
    kinesis = KinesisLocal(work, {name: 1 for name in S.stream_names(PREFIX).values()})
    api = None
    query = None
    try:
        api, url = start_api(kinesis, work)
        jars = delta_jars(ROOT)
        spark = local_session("stream-bench", delta_jars=jars, warehouse_dir=str(work / "warehouse"), quick_start=False)
        spark.sparkContext.setLogLevel("ERROR")
        sent: dict[tuple[str, int], float] = {}
        visible: dict[tuple[str, int], float] = {}

        def on_committed(_batch_id, batch):
            now = time.time()
            key = F.coalesce(F.get_json_object("data", "$.ind"), F.get_json_object("data", "$.index"))
            for row in batch.select("stream", key.alias("ind")).collect():
                visible.setdefault((row["stream"], int(row["ind"])), now)

        streams = S.stream_names(PREFIX)
        source = S.read_boto3_kinesis(spark, streams, kinesis.region, kinesis.endpoint)
        query = S.start_stream(spark, source, str(work / "delta"), str(work / "checkpoint"), streams,
                               S.parse_trigger(args.trigger), on_committed=on_committed)
        started = time.time()
        n = 0
        while time.time() - started < args.seconds:
            n += 1
            due = started + n / args.rate
            time.sleep(max(0.0, due - time.time()))
            records = {
                "pin": {"index": n, "unique_id": f"u{n}", "title": "t", "description": "d", "poster_name": "p",
                        "follower_count": "12k", "tag_list": "a", "is_image_or_video": "image", "image_src": "s",
                        "downloaded": 1, "save_location": "Local save in /x", "category": "art"},
                "geo": {"ind": n, "timestamp": "2020-01-01 00:00:00", "latitude": 1.0, "longitude": 2.0, "country": "Peru"},
                "user": {"ind": n, "first_name": "A", "last_name": "B", "age": 30, "date_joined": "2016-01-01 00:00:00"},
            }
            for kind, record in records.items():
                t0 = time.time()
                put(url, streams[kind], record, f"k{n}")
                sent[(streams[kind], n)] = t0
        deadline = time.time() + 30
        while len(visible) < len(sent) and time.time() < deadline:
            time.sleep(0.2)
        measured = [visible[k] - t for k, t in sent.items() if k in visible and t - started >= args.warmup]
        lost = [k for k in sent if k not in visible]
        print(f"posted {n:,} posts ({len(sent):,} records) at {args.rate:g} posts/s for {args.seconds:g}s, "
              f"trigger {args.trigger}; not visible after 30 s: {len(lost)}")
        print(f"freshness (POST -> visible in Delta), after {args.warmup:g}s warm-up, {len(measured):,} records: "
              f"p50 {percentile(measured, 0.5):.2f}s, p95 {percentile(measured, 0.95):.2f}s, max {max(measured):.2f}s "
              f"(target p95 <= 5 s)")
        value, unit = float(args.trigger.rstrip("msm") or 0), args.trigger.lstrip("0123456789")
        interval = value * {"ms": 0.001, "s": 1.0, "m": 60.0}[unit]
        p95 = percentile(measured, 0.95)
        durations = [p["durationMs"] for p in query.recentProgress if p.get("numInputRows")]
        if durations:
            keys = ["latestOffset", "addBatch", "triggerExecution"]
            print("recent batches (ms): " + "; ".join(
                ", ".join(f"{k} {d.get(k, 0)}" for k in keys) for d in durations[-3:]))
        print(f"baseline: the trigger interval ({interval:g}s) is the floor of a micro-batch's wait; "
              f"p95 is {p95 / interval:.1f}x it")
    finally:
        if query is not None and query.isActive:
            query.stop()
        if api is not None:
            api.terminate()
            api.wait(10)
        kinesis.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
