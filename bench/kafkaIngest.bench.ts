/**
 * Benchmark (not a test): records/s through the local REST ingest into Kafka at 1, 100 and 500 records per
 * request, and in the same run Kafka's own producer perf tool on the same broker with the same record size
 * and acks=all, as the baseline. Target: >= 20,000 records/s at 500 records per request.
 *
 *   npm run bench:kafka-ingest [-- --seconds 10 --concurrency 8]
 *
 * The REST server runs in its own process (as it would in Lambda or the local pipeline), the load generator
 * in this one, and the broker in a third.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { Command } from "commander";
import { Kafka, logLevel } from "kafkajs";
import { KafkaBroker } from "../local/services/kafka";
import { jvmLibsDir, REPO_ROOT } from "../local/services/paths";
import { ServiceProcess, startUrlService } from "../local/services/process";
import { pinRecord } from "../local/sampleRecords";

const run = promisify(execFile);

interface Result {
  label: string;
  recordsPerSecond: number;
  requestsPerSecond?: number;
  p50Ms?: number;
  p99Ms?: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function loadRest(url: string, batch: number, seconds: number, concurrency: number): Promise<Result> {
  const body = JSON.stringify({
    records: Array.from({ length: batch }, (_, i) => ({
      value: pinRecord(i, { title: `Bench title ${i}` }),
    })),
  });
  const headers = { "content-type": "application/vnd.kafka.json.v2+json", "x-api-key": "bench" };
  let acked = 0;
  let requests = 0;
  const latencies: number[] = [];
  const post = async () => {
    const started = performance.now();
    const response = await fetch(`${url}/topics/bench.pin`, { method: "POST", headers, body });
    const answer = (await response.json()) as { offsets?: Array<{ error_code: number | null }> };
    if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${JSON.stringify(answer)}`);
    latencies.push(performance.now() - started);
    acked += answer.offsets!.filter((o) => o.error_code === null).length;
    requests++;
  };
  // Warm up connections, JIT and producer metadata, then measure.
  const warmupEnd = Date.now() + 2000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < warmupEnd) await post();
    }),
  );
  acked = 0;
  requests = 0;
  latencies.length = 0;
  const started = performance.now();
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) await post();
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    label: `REST ingest, ${batch} record${batch === 1 ? "" : "s"}/request`,
    recordsPerSecond: acked / elapsed,
    requestsPerSecond: requests / elapsed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

async function nativeProducer(bootstrap: string, recordSize: number, records: number): Promise<Result> {
  const { stdout } = await run(
    "java",
    [
      "-Xmx512m",
      "-cp",
      `${jvmLibsDir("kafka")}/*`,
      "org.apache.kafka.tools.ProducerPerformance",
      "--topic",
      "bench.native",
      "--num-records",
      String(records),
      "--record-size",
      String(recordSize),
      "--throughput",
      "-1",
      "--producer-props",
      `bootstrap.servers=${bootstrap}`,
      "acks=all",
      "enable.idempotence=true",
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const last = stdout.trim().split("\n").pop() ?? "";
  const match = /records sent, ([\d.]+) records\/sec/.exec(last);
  if (!match) throw new Error(`unexpected ProducerPerformance output: ${last}`);
  return { label: "Kafka ProducerPerformance (Java, acks=all)", recordsPerSecond: Number(match[1]) };
}

async function main(): Promise<void> {
  const opts = new Command("bench-kafka-ingest")
    .option("--seconds <n>", "measured seconds per case", (v) => Number(v), 10)
    .option("--concurrency <n>", "requests in flight", (v) => Number(v), 8)
    .option("--native-records <n>", "records for the native producer run", (v) => Number(v), 2000000)
    .parse(process.argv)
    .opts<{ seconds: number; concurrency: number; nativeRecords: number }>();

  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-kafka-"));
  const broker = await KafkaBroker.launch({ stateDir, heap: "1g" });
  let server: ServiceProcess | undefined;
  try {
    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: "bench.pin", numPartitions: 3 },
        { topic: "bench.native", numPartitions: 3 },
      ],
    });
    await admin.disconnect();
    const started = await startUrlService(
      "rest-ingest",
      "local/restIngestServer.ts",
      [
        "--brokers",
        broker.bootstrap,
        "--topics",
        JSON.stringify({ "bench.pin": "pin" }),
        "--api-key",
        "bench",
      ],
      stateDir,
    );
    server = started.process;
    const url = started.url;

    const recordSize = Buffer.byteLength(JSON.stringify(pinRecord(1, { title: "Bench title 1" })));
    const results: Result[] = [];
    for (const batch of [1, 100, 500]) {
      results.push(await loadRest(url, batch, opts.seconds, opts.concurrency));
      process.stderr.write(
        `${results[results.length - 1].label}: ${Math.round(results[results.length - 1].recordsPerSecond)} records/s\n`,
      );
    }
    const native = await nativeProducer(broker.bootstrap, recordSize, opts.nativeRecords);
    results.push(native);

    const lines = [
      `Kafka REST ingest benchmark, ${new Date().toISOString()}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), Node ${process.version}`,
      `record size ${recordSize} bytes, ${opts.concurrency} requests in flight, ${opts.seconds} s per case, broker: Kafka 4 KRaft, single node, acks=all`,
      "",
      "| case | records/s | requests/s | p50 ms | p99 ms | vs native |",
      "| --- | ---: | ---: | ---: | ---: | ---: |",
      ...results.map(
        (r) =>
          `| ${r.label} | ${Math.round(r.recordsPerSecond).toLocaleString("en-US")} | ${r.requestsPerSecond ? Math.round(r.requestsPerSecond).toLocaleString("en-US") : "-"} | ${r.p50Ms?.toFixed(1) ?? "-"} | ${r.p99Ms?.toFixed(1) ?? "-"} | ${(r.recordsPerSecond / native.recordsPerSecond).toFixed(2)} |`,
      ),
      "",
      `target >= 20,000 records/s at 500 records/request: ${results[2].recordsPerSecond >= 20000 ? "met" : "NOT met"}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    fs.mkdirSync(path.join(REPO_ROOT, "out", "bench"), { recursive: true });
    fs.writeFileSync(
      path.join(REPO_ROOT, "out", "bench", "kafka-ingest.json"),
      JSON.stringify({ recordSize, results }, null, 2),
    );
  } finally {
    await server?.stop();
    await broker.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
