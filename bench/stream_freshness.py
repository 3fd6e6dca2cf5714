"""Benchmark of the streaming job (#6): freshness at a steady rate on one machine. Posts go through the
local Kinesis API (the same mapping templates as API Gateway) into kinesis-local; the stream job runs on
local Spark; a post's freshness is the time from the start of its PUT to the commit of
the Delta append that made it visible (its commit's timestamp, read from the Delta log afterwards).

    .venv/bin/python bench/stream_freshness.py [--rates 5,20,50] [--seconds 40] [--trigger 0s] [--realtime]

Runs each rate in turn on one stream and prints, per rate, p50/p95/max seconds (target: p95 <= 2 s at 20
posts/s), the baseline in the same run (the trigger interval and the client's batching interval: the floor
any micro-batch design pays) and the median time of each part of the micro-batches.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "jobs" / "src"))
sys.path.insert(0, str(ROOT / "local"))

from kinesis_local import KinesisLocal  # noqa: E402
from pinterest_jobs import stream as S  # noqa: E402
from pinterest_jobs.local import delta_jars, local_session  # noqa: E402
from pinterest_jobs.names import KINDS  # noqa: E402

#: The bench's own streams, one per kind.
STREAMS = {kind: f"bench-{kind}" for kind in KINDS}
API_KEY = "bench-key"


def start_api(kinesis: KinesisLocal, log_dir: Path) -> tuple[subprocess.Popen, str]:
    log = open(log_dir / "kinesis-api.log", "w")
    proc = subprocess.Popen(
        ["node", "-r", "ts-node/register", "local/kinesisApiServer.ts", "--kinesis", kinesis.endpoint,
         "--streams", ",".join(STREAMS.values()), "--region", kinesis.region, "--api-key", API_KEY],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True)
    line = proc.stdout.readline()
    return proc, json.loads(line)["url"]


def put(url: str, stream: str, records: list[tuple[dict, str]]) -> None:
    """One PUT of a client's pending records to one stream (PutRecords through the API's mapping)."""
    body = json.dumps({"records": [{"data": r, "partition-key": k} for r, k in records]}).encode()
    request = urllib.request.Request(f"{url}/streams/{stream}/records", data=body, method="PUT",
                                     headers={"content-type": "application/json", "x-api-key": API_KEY})
    with urllib.request.urlopen(request, timeout=10) as answer:
        payload = json.loads(answer.read())
        if payload.get("FailedRecordCount"):
            raise RuntimeError(f"put failed: {payload}")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def post_records(n: int) -> dict[str, dict]:
    return {
        "pin": {"index": n, "unique_id": f"u{n}", "title": "t", "description": "d", "poster_name": f"p{n % 50}",
                "follower_count": "12k", "tag_list": "a", "is_image_or_video": "image", "image_src": "s",
                "downloaded": 1, "save_location": "Local save in /x", "category": "art"},
        "geo": {"ind": n, "timestamp": "2020-01-01 00:00:00", "latitude": 1.0, "longitude": 2.0, "country": "Peru"},
        "user": {"ind": n, "first_name": "A", "last_name": "B", "age": 30, "date_joined": "2016-01-01 00:00:00"},
    }


def run_rate(url: str, streams: dict[str, str], rate: float, seconds: float, first: int, tick: float,
             sent: dict, pool: ThreadPoolExecutor) -> tuple[int, float]:
    """Posts `rate` posts/s for `seconds`: every `tick` the posts due so far, one PUT per stream (a client
    batching what it has, as the emulator does). Returns the next key and the posts/s achieved."""
    started = time.time()
    n = first
    while time.time() - started < seconds:
        due = first + int((time.time() - started) * rate)
        if due > n:
            keys = range(n, due)
            t0 = time.time()
            futures = []
            for kind, stream in streams.items():
                batch = [(post_records(k)[kind], f"k{k}") for k in keys]
                futures.append(pool.submit(put, url, stream, batch))
                for k in keys:
                    sent[(stream, k)] = t0
            for f in futures:
                f.result()
            n = due
        time.sleep(max(0.0, tick - (time.time() - started) % tick))
    return n, (n - first) / (time.time() - started)


class CommitLog:
    """When each record became visible, read from the tables' Delta logs after the fact: a commit's
    ``commitInfo.timestamp`` and the keys in the Parquet files it added. The stream runs untouched: nothing
    of the measurement is in its micro-batches."""

    def __init__(self, out: str, streams: dict[str, str]) -> None:
        self.tables = {stream: Path(out) / kind for kind, stream in streams.items()}
        self.seen: dict[tuple[str, int], float] = {}
        self.read_versions: set[Path] = set()

    def read(self) -> dict[tuple[str, int], float]:
        import pyarrow.parquet as pq

        for stream, table in self.tables.items():
            for commit in sorted((table / "_delta_log").glob("*.json")):
                if commit in self.read_versions:
                    continue
                actions = [json.loads(line) for line in commit.read_text().splitlines() if line.strip()]
                info = next((a["commitInfo"] for a in actions if "commitInfo" in a), None)
                if info is None:
                    continue
                for add in (a["add"] for a in actions if "add" in a):
                    keys = pq.read_table(table / urllib.parse.unquote(add["path"]), columns=["ind"]).column("ind")
                    for ind in keys.to_pylist():
                        self.seen.setdefault((stream, ind), info["timestamp"] / 1000)
                self.read_versions.add(commit)
        return self.seen


def summarize(query, since_batch: int) -> str:
    """Median milliseconds of each part of the micro-batches with input since `since_batch`."""
    progress = [p for p in query.recentProgress if p["batchId"] > since_batch and p["numInputRows"]]
    if not progress:
        return "no batches"
    parts = ["latestOffset", "getBatch", "queryPlanning", "addBatch", "walCommit", "commitOffsets", "triggerExecution"]
    med = {k: percentile([p["durationMs"].get(k, 0) for p in progress], 0.5) for k in parts}
    rows = percentile([p["numInputRows"] for p in progress], 0.5)
    return (f"{len(progress)} batches, median {rows:.0f} rows each; median ms: "
            + ", ".join(f"{k} {med[k]:.0f}" for k in parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rates", default="5,20,50", help="posts per second (3 records each), run in turn")
    parser.add_argument("--seconds", type=float, default=40.0, help="per rate")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds of each rate excluded from its figures")
    parser.add_argument("--trigger", default="0s", help="the stream's trigger ('0s': a batch as soon as one ends)")
    parser.add_argument("--tick", type=float, default=0.1, help="seconds between a client's PUTs")
    parser.add_argument("--state-partitions", type=int, default=1,
                        help="the stream's state partitions (the job's --state-partitions)")
    parser.add_argument("--jvm-warmup", type=float, default=30.0,
                        help="seconds at 10 posts/s before the first rate, not measured (the job runs for days)")
    parser.add_argument("--realtime", action="store_true", help="also run the real-time metrics, as the job does")
    parser.add_argument("--metrics-trigger", default="1m", help="their trigger (the job's --metrics-trigger)")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("pinterest_jobs").setLevel(logging.DEBUG if os.environ.get("PINPIPE_DEBUG") else logging.WARNING)
    logging.getLogger("py4j").setLevel(logging.WARNING)

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    work = Path(tempfile.mkdtemp(prefix="stream-bench-", dir=ROOT / ".cache"))
    kinesis = KinesisLocal(work, {name: 1 for name in STREAMS.values()})
    api = None
    queries = []
    try:
        api, url = start_api(kinesis, work)
        spark = local_session("stream-bench", delta_jars=delta_jars(ROOT), warehouse_dir=str(work / "warehouse"),
                              quick_start=False)
        spark.sparkContext.setLogLevel("ERROR")
        sent: dict[tuple[str, int], float] = {}
        out, checkpoint = str(work / "delta"), str(work / "checkpoint")

        streams = STREAMS
        source = S.read_boto3_kinesis(spark, streams, kinesis.region, kinesis.endpoint)
        trigger = S.parse_trigger(args.trigger) if args.trigger != "0s" else {"processingTime": "0 seconds"}
        committed = CommitLog(out, streams)
        query = S.start_stream(spark, source, out, checkpoint, streams, trigger,
                               state_partitions=args.state_partitions)
        queries.append(query)
        if args.realtime:
            from pinterest_jobs.realtime import LOCAL_WINDOWS

            queries += S.start_metrics(spark, out, checkpoint, S.parse_trigger(args.metrics_trigger), LOCAL_WINDOWS,
                                       state_partitions=args.state_partitions)
        interval = 0.0 if args.trigger == "0s" else float(S.parse_trigger(args.trigger)["processingTime"].split()[0]) * {
            "milliseconds": 0.001, "seconds": 1.0, "minutes": 60.0}[S.parse_trigger(args.trigger)["processingTime"].split()[1]]
        print(f"stream freshness, {datetime.date.today()}, {os.cpu_count()} CPUs; trigger {args.trigger}, "
              f"client PUTs every {args.tick:g}s, {args.state_partitions} state partitions, "
              f"{args.jvm_warmup:g}s JVM warm-up, "
              f"real-time metrics {f'on, every {args.metrics_trigger}' if args.realtime else 'off'}")
        n = 1
        with ThreadPoolExecutor(max_workers=3) as pool:
            if args.jvm_warmup > 0:
                n, _ = run_rate(url, streams, 10.0, args.jvm_warmup, n, args.tick, sent, pool)
                time.sleep(3)
            for rate in rates:
                first, last_batch = n, (query.lastProgress or {"batchId": -1})["batchId"]
                n, achieved = run_rate(url, streams, rate, args.seconds, n, args.tick, sent, pool)
                deadline = time.time() + 30
                mine = [k for k in sent if first <= k[1] < n]
                visible = committed.read()
                while any(k not in visible for k in mine) and time.time() < deadline:
                    time.sleep(0.5)
                    visible = committed.read()
                t_start = min(sent[k] for k in mine)
                measured = [visible[k] - sent[k] for k in mine if k in visible and sent[k] - t_start >= args.warmup]
                lost = sum(1 for k in mine if k not in visible)
                p95 = percentile(measured, 0.95)
                progress = [p for p in query.recentProgress if p["batchId"] > last_batch and p["numInputRows"]]
                batch_s = percentile([p["durationMs"]["triggerExecution"] for p in progress], 0.5) / 1000
                # A record waits for the batch in progress, then its own: two batches, plus the trigger's wait.
                floor = 2 * batch_s + interval
                print(f"{rate:g} posts/s ({achieved:.1f} achieved, {3 * achieved:.0f} records/s), {args.seconds:g}s, "
                      f"{len(measured):,} records after {args.warmup:g}s warm-up: p50 {percentile(measured, 0.5):.2f}s, "
                      f"p95 {p95:.2f}s, max {max(measured):.2f}s (target p95 <= 2 s); not visible after 30 s: {lost}")
                print(f"  baseline (same run): trigger interval {interval:g}s + two median micro-batches of "
                      f"{batch_s:.2f}s = {floor:.2f}s; p95 is {p95 / floor:.2f}x it")
                print(f"  batches: {summarize(query, last_batch)}")
                time.sleep(3)
    finally:
        for q in queries:
            if q.isActive:
                q.stop()
        if api is not None:
            api.terminate()
            api.wait(10)
        kinesis.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
