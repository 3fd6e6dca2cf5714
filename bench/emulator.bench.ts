/**
 * Benchmark (not a test): posts/s the emulator sustains (each post is three records to each target) against
 * a no-op endpoint and against the local REST ingest into Kafka, and in the same run the original's
 * approach as the baseline: a new database connection per post, a random row picked with LIMIT n, 1 (a
 * scan), one record per request, one request at a time (the original also slept up to 2 s per post; the
 * baseline does not, so the ratio is of the work, not of the sleeping). Target: >= 10,000 posts/s to the
 * no-op endpoint.
 *
 *   npm run bench:emulator [-- --posts 20000 --seconds 10]
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Command } from "commander";
import { Kafka, logLevel } from "kafkajs";
import * as mysql from "mysql2/promise";
import { DEFAULT_DELIVERY } from "../emulator/deliver";
import { runEmulator, RunSummary } from "../emulator/run";
import { seedSource } from "../emulator/seed";
import { createSourcePool, PostSource } from "../emulator/source";
import { KafkaBroker } from "../local/services/kafka";
import { MariaDb } from "../local/services/mariadb";
import { ServiceProcess, startUrlService } from "../local/services/process";

/** The original emulator's loop, minus its sleep: connect, scan to a random row per table, post each record. */
async function originalApproach(dbUrl: string, url: string, seconds: number, rows: number): Promise<number> {
  const end = Date.now() + seconds * 1000;
  let posts = 0;
  while (Date.now() < end) {
    const connection = await mysql.createConnection({ uri: dbUrl, dateStrings: true });
    const n = Math.floor(Math.random() * rows);
    const records: Array<[string, unknown]> = [];
    for (const [table, topic] of [
      ["pinterest_data", "b.pin"],
      ["geolocation_data", "b.geo"],
      ["user_data", "b.user"],
    ]) {
      const [[row]] = await connection.query<mysql.RowDataPacket[]>(`SELECT * FROM ${table} LIMIT ${n}, 1`);
      records.push([topic, row]);
    }
    await connection.end();
    for (const [topic, value] of records) {
      const response = await fetch(`${url}/topics/${topic}`, {
        method: "POST",
        headers: { "content-type": "application/vnd.kafka.json.v2+json" },
        body: JSON.stringify({ records: [{ value }] }),
      });
      await response.text();
    }
    posts++;
  }
  return posts / seconds;
}

function rate(summary: RunSummary): number {
  return summary.posts / (summary.elapsedMs / 1000);
}

async function main(): Promise<void> {
  const opts = new Command("bench-emulator")
    .option("--posts <n>", "posts in the source", (v) => Number(v), 20000)
    .option("--run-posts <n>", "posts per emulator case", (v) => Number(v), 60000)
    .option("--seconds <n>", "seconds for the baseline", (v) => Number(v), 10)
    .parse(process.argv)
    .opts<{ posts: number; runPosts: number; seconds: number }>();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-emulator-"));
  const db = await MariaDb.launch({ stateDir: path.join(dir, "db") });
  const pool = createSourcePool(db.url, 8);
  const processes: ServiceProcess[] = [];
  let broker: KafkaBroker | undefined;
  try {
    await seedSource(pool, { posts: opts.posts, seed: 1, malformedShare: 0.02, replace: true });
    const noop = await startUrlService("noop", "bench/noopTarget.ts", [], dir);
    processes.push(noop.process);
    const endpoints = {
      kafka: { url: noop.url, topics: { pin: "b.pin", geo: "b.geo", user: "b.user" } },
      kinesis: { url: noop.url, streams: { pin: "b-pin", geo: "b-geo", user: "b-user" } },
    };
    const common = {
      source: new PostSource(pool),
      batchSize: 500,
      concurrency: 8,
      delivery: DEFAULT_DELIVERY,
    };
    // Warm-up: JIT, connections.
    await runEmulator({ ...common, targets: ["kafka", "kinesis"], endpoints, count: 5000 });
    const toNoopBoth = await runEmulator({
      ...common,
      targets: ["kafka", "kinesis"],
      endpoints,
      count: opts.runPosts,
    });
    const toNoopKafka = await runEmulator({ ...common, targets: ["kafka"], endpoints, count: opts.runPosts });

    broker = await KafkaBroker.launch({ stateDir: path.join(dir, "kafka"), heap: "1g" });
    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: ["b.pin", "b.geo", "b.user"].map((topic) => ({ topic, numPartitions: 3 })),
    });
    await admin.disconnect();
    const ingest = await startUrlService(
      "rest-ingest",
      "local/restIngestServer.ts",
      [
        "--brokers",
        broker.bootstrap,
        "--topics",
        JSON.stringify({ "b.pin": "pin", "b.geo": "geo", "b.user": "user" }),
      ],
      dir,
    );
    processes.push(ingest.process);
    const toIngest = await runEmulator({
      ...common,
      targets: ["kafka"],
      endpoints: { kafka: { url: ingest.url, topics: endpoints.kafka.topics } },
      count: Math.min(opts.runPosts, 30000),
    });
    const baseline = await originalApproach(db.url, noop.url, opts.seconds, opts.posts);

    const rows: Array<[string, number, RunSummary | undefined]> = [
      ["emulator -> no-op, both targets (6 records/post)", rate(toNoopBoth), toNoopBoth],
      ["emulator -> no-op, kafka only (3 records/post)", rate(toNoopKafka), toNoopKafka],
      ["emulator -> local REST ingest -> Kafka (3 records/post)", rate(toIngest), toIngest],
      ["original approach -> no-op, kafka only (no sleep)", baseline, undefined],
    ];
    const failed = [toNoopBoth, toNoopKafka, toIngest].reduce(
      (n, s) => n + Object.values(s.targets).reduce((m, t) => m + (t?.failed ?? 0), 0),
      0,
    );
    const lines = [
      `Emulator benchmark, ${new Date().toISOString()}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), Node ${process.version}`,
      `source: MariaDB, ${opts.posts} posts; emulator: batch 500, 8 requests in flight; failed records: ${failed}`,
      "",
      "| case | posts/s | records/s | vs original |",
      "| --- | ---: | ---: | ---: |",
      ...rows.map(([label, r, s]) => {
        const perPost = s ? Object.keys(s.targets).length * 3 : 3;
        return `| ${label} | ${Math.round(r).toLocaleString("en-US")} | ${Math.round(r * perPost).toLocaleString("en-US")} | ${(r / baseline).toFixed(0)}x |`;
      }),
      "",
      `target >= 10,000 posts/s to the no-op endpoint: ${rate(toNoopBoth) >= 10000 ? "met" : "NOT met"} (both targets)`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await pool.end();
    for (const p of processes) await p.stop();
    await broker?.stop();
    await db.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
