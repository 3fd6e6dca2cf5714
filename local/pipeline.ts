/**
 * The whole pipeline on one machine (docs/local.md): a private MariaDB seeded with source posts, a Kafka
 * broker with the REST ingest in front (the Lambda's handler), a lake sink in the S3 connector's layout,
 * kinesis-local with the Kinesis API twin (API Gateway's templates), the emulator posting to both, and the
 * batch and stream jobs on local Spark into Delta. Everything listens on loopback on free ports and keeps its
 * state under one folder; stopping (Ctrl-C, a failure, `down`) stops every child process.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { generateMersenne53Randomizer } from "@faker-js/faker";
import { Kafka, logLevel } from "kafkajs";
import type { Pool } from "mysql2/promise";
import { EVENT_KINDS, EventKind } from "../components/events";
import { streamNames, topicNames } from "../components/names";
import { kafkaGateway, KafkaGateway } from "../components/kafkaIngest/runtime/kafkaGateway";
import { RestIngestServer, startRestIngestServer } from "./kafkaRestServer";
import { KinesisApiServer, startKinesisApiServer } from "./kinesisApi";
import { DEFAULT_DELIVERY } from "../emulator/deliver";
import { endpointsFor, StackOutputs } from "../emulator/outputs";
import { runEmulator, RunSummary } from "../emulator/run";
import { seedSource } from "../emulator/seed";
import { createSourcePool, PostSource } from "../emulator/source";
import { LakeSink } from "./lakeSink";
import { listen } from "./listen";
import {
  chartJsBundle,
  insightsAsText,
  renderLiveHtml,
  renderReportHtml,
  ReportData,
  StageCounts,
} from "./report";
import { KafkaBroker } from "./services/kafka";
import { KinesisLocal, LOCAL_CREDENTIALS } from "./services/kinesis";
import { MariaDb } from "./services/mariadb";
import { jvmLibsDir, REPO_ROOT } from "./services/paths";

export const LOCAL_PREFIX = "pinpipe-local";
export const DEFAULT_STATE_DIR = path.join(REPO_ROOT, ".state", "local");
const REGION = "eu-west-1";

/** The local stack's topics and streams, named by the program's rule once; everything below takes these. */
export const LOCAL_TOPICS = topicNames(LOCAL_PREFIX);
export const LOCAL_STREAMS = streamNames(LOCAL_PREFIX);

export interface StatePaths {
  root: string;
  lake: string;
  delta: string;
  checkpoints: string;
  outputs: string;
  /** The source database's URL (mode 600: it holds the password). */
  dbUrl: string;
  state: string;
  reportJson: string;
  /** The live page's data: the real-time metrics while the emulator runs. */
  liveJson: string;
  reportHtml: string;
}

export function statePaths(root: string): StatePaths {
  return {
    root,
    lake: path.join(root, "lake"),
    delta: path.join(root, "delta"),
    checkpoints: path.join(root, "checkpoints"),
    outputs: path.join(root, "outputs.json"),
    dbUrl: path.join(root, "db-url"),
    state: path.join(root, "state.json"),
    reportJson: path.join(root, "report.json"),
    reportHtml: path.join(root, "report.html"),
    liveJson: path.join(root, "live.json"),
  };
}

/** What `status` and `down` read: written by `up`/`run` while the services are up. */
export interface StateFile {
  pid: number;
  startedAt: string;
  endpoints: Record<string, string>;
}

export interface LocalStack {
  paths: StatePaths;
  db: MariaDb;
  broker: KafkaBroker;
  gateway: KafkaGateway;
  restIngest: RestIngestServer;
  kinesis: KinesisLocal;
  kinesisApi: KinesisApiServer;
  sink: LakeSink;
  outputs: Required<StackOutputs>;
  stop(): Promise<void>;
}

export type Log = (line: string) => void;

/** Longest wait for one step of stopping the stack. */
const STOP_STEP_MS = 8000;

/** Starts every service (each stopped again if a later one fails) and writes the outputs file. */
export async function upLocalStack(stateDir: string, log: Log): Promise<LocalStack> {
  const paths = statePaths(stateDir);
  fs.mkdirSync(paths.root, { recursive: true });
  const stops: Array<() => Promise<void>> = [];
  // Each step is bounded: a client whose broker was paused or restarted can wait forever to say goodbye,
  // and the processes after it must still be stopped (theirs escalate to SIGKILL on their own).
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = await Promise.race([
        stop().then(
          () => false,
          () => false,
        ),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), STOP_STEP_MS))),
      ]);
      clearTimeout(timer);
      if (gaveUp) log(`a stop step did not finish within ${STOP_STEP_MS / 1000}s; going on with the others`);
    }
    fs.rmSync(paths.state, { force: true });
  };
  try {
    const timed = async <T>(what: string, start: () => Promise<T>): Promise<T> => {
      const t0 = Date.now();
      const value = await start();
      log(`${what} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
      return value;
    };
    const db = await timed("MariaDB up", () => MariaDb.launch({ stateDir: path.join(stateDir, "mariadb") }));
    stops.push(() => db.stop());
    const broker = await timed("Kafka broker up", () =>
      KafkaBroker.launch({ stateDir: path.join(stateDir, "kafka") }),
    );
    stops.push(() => broker.stop());
    const topics = LOCAL_TOPICS;
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 2 })),
    });
    await admin.disconnect();
    const apiKey = randomBytes(16).toString("hex");
    const gateway = kafkaGateway({ brokers: [broker.bootstrap], clientId: "rest-ingest-local" });
    stops.push(() => gateway.disconnect());
    const restIngest = await startRestIngestServer({
      topics: Object.fromEntries(EVENT_KINDS.map((k) => [topics[k], k])),
      gateway,
      apiKey,
    });
    stops.push(() => restIngest.close());
    const sink = new LakeSink({
      brokers: [broker.bootstrap],
      topics: Object.values(topics),
      lakeDir: paths.lake,
    });
    await sink.start();
    stops.push(() => sink.stop());
    log(`REST ingest ${restIngest.url}, lake sink -> ${path.relative(REPO_ROOT, paths.lake)}`);
    const streams = LOCAL_STREAMS;
    const kinesis = await timed("kinesis-local up", () =>
      KinesisLocal.launch({
        stateDir: path.join(stateDir, "kinesis"),
        streams: Object.values(streams).map((name) => ({ name, shards: 2 })),
        region: REGION,
      }),
    );
    stops.push(() => kinesis.stop());
    const kinesisApi = await startKinesisApiServer({
      kinesisEndpoint: kinesis.endpoint,
      region: REGION,
      credentials: LOCAL_CREDENTIALS,
      streams: Object.values(streams),
      apiKey,
    });
    stops.push(() => kinesisApi.close());
    const outputs: Required<StackOutputs> = {
      kafkaRestUrl: restIngest.url,
      kafkaTopics: topics,
      kinesisApiUrl: kinesisApi.url,
      kinesisStreams: streams,
      apiKey,
    };
    fs.writeFileSync(paths.outputs, `${JSON.stringify(outputs, null, 2)}\n`, { mode: 0o600 });
    fs.writeFileSync(paths.dbUrl, `${db.url}\n`, { mode: 0o600 });
    const state: StateFile = {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      endpoints: {
        mariadb: db.url.replace(/:[^:@/]+@/, ":***@"),
        kafka: broker.bootstrap,
        restIngest: restIngest.url,
        kinesis: kinesis.endpoint,
        kinesisApi: kinesisApi.url,
      },
    };
    fs.writeFileSync(paths.state, `${JSON.stringify(state, null, 2)}\n`);
    return { paths, db, broker, gateway, restIngest, kinesis, kinesisApi, sink, outputs, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Record counts of the three topics (sum of the partitions' end offsets). */
export async function topicCounts(bootstrap: string): Promise<Record<EventKind, number>> {
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const counts = {} as Record<EventKind, number>;
    for (const kind of EVENT_KINDS) {
      const offsets = await admin.fetchTopicOffsets(LOCAL_TOPICS[kind]);
      counts[kind] = offsets.reduce((n, o) => n + Number(o.high), 0);
    }
    return counts;
  } finally {
    await admin.disconnect();
  }
}

/** Records in the lake's files, per kind. */
export function lakeCounts(lakeDir: string): Record<EventKind, number> {
  const counts = {} as Record<EventKind, number>;
  for (const kind of EVENT_KINDS) {
    const topicDir = path.join(lakeDir, "topics", LOCAL_TOPICS[kind]);
    let n = 0;
    if (fs.existsSync(topicDir)) {
      for (const partition of fs.readdirSync(topicDir)) {
        for (const file of fs
          .readdirSync(path.join(topicDir, partition))
          .filter((f) => f.endsWith(".json"))) {
          n += fs
            .readFileSync(path.join(topicDir, partition, file), "utf8")
            .split("\n")
            .filter(Boolean).length;
        }
      }
    }
    counts[kind] = n;
  }
  return counts;
}

export interface RunOptions {
  stateDir: string;
  /** Posts the emulator sends (each: a pin, a geo and a user record, to both paths). */
  events: number;
  /** Posts seeded into the source database (the emulator samples from them with replacement). */
  sourcePosts: number;
  /** Seeds the source data and the emulator's sample of it: one seed, one run. */
  seed: number;
  log: Log;
  /** Posts per second of the emulator. Default: as fast as delivery allows. */
  rate?: number;
  /** Called while the emulator runs (the fault test stops and starts the broker here); `acked()` is the
   * Kafka records acknowledged so far. */
  duringEmulator?: (stack: LocalStack, acked: () => number) => Promise<void>;
  /** Leave the services up after the run (until Ctrl-C). */
  keepUp?: boolean;
}

export interface RunResult {
  paths: StatePaths;
  emulator: RunSummary;
  stages: StageCounts;
  report: ReportData;
  outputs: Required<StackOutputs>;
  /** Where the live page was served during the run. */
  livePage: string;
}

/** The Spark half (local/spark_pipeline.py) as it runs: live first, then drained, batch, report. */
interface SparkRun {
  /** Resolves once the stream and its metrics run (the live page has data to show). */
  live: Promise<void>;
  /** Tells it the emulator is done: drain the stream, run the batch, write the report. */
  drain(): void;
  /** Resolves when it exited cleanly. */
  done: Promise<void>;
}

/** Starts the Spark half, streaming its progress lines to `log`. */
function startSpark(paths: StatePaths, kinesisEndpoint: string, log: Log): SparkRun {
  const python = path.join(REPO_ROOT, ".venv", "bin", "python");
  const jars = fs
    .readdirSync(jvmLibsDir("delta"))
    .filter((f) => f.endsWith(".jar"))
    .map((f) => path.join(jvmLibsDir("delta"), f));
  const args = [
    path.join(REPO_ROOT, "local", "spark_pipeline.py"),
    ...["--lake", paths.lake, "--delta", paths.delta, "--checkpoints", paths.checkpoints],
    ...["--topics", JSON.stringify(LOCAL_TOPICS), "--streams", JSON.stringify(LOCAL_STREAMS)],
    ...["--kinesis-endpoint", kinesisEndpoint, "--region", REGION, "--report-json", paths.reportJson],
    ...["--live-json", paths.liveJson],
  ];
  const logFile = path.join(paths.root, "spark.log");
  let onLive: () => void = () => undefined;
  const live = new Promise<void>((resolve) => (onLive = resolve));
  const child = spawn(python, args, {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PINPIPE_DELTA_JARS: jars.join(","),
      // kinesis-local takes any signature; boto3 needs something to sign with.
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const done = new Promise<void>((resolve, reject) => {
    const out = fs.createWriteStream(logFile);
    let buffered = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out.write(chunk);
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (!line.startsWith("[spark] ")) continue;
        log(line.slice(8));
        if (line.startsWith("[spark] live: the stream")) onLive();
      }
    });
    child.stderr.on("data", (chunk: Buffer) => out.write(chunk));
    const onSignal = () => child.kill("SIGTERM");
    process.once("SIGINT", onSignal);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      process.removeListener("SIGINT", onSignal);
      out.end();
      if (code === 0) return resolve();
      // The Python error is the log's last lines; shown here too, since a test's state folder is removed.
      out.on("finish", () => {
        const lines = fs.readFileSync(logFile, "utf8").split("\n");
        const from = lines.map((l) => l.startsWith("Traceback")).lastIndexOf(true);
        const tail = (from >= 0 ? lines.slice(from) : lines.slice(-30)).slice(0, 60).join("\n");
        reject(new Error(`the Spark jobs failed (${signal ?? `exit ${code}`}); see ${logFile}\n${tail}`));
      });
    });
  });
  // A Spark half that dies before it is live must not leave the caller waiting for it.
  done.catch(() => onLive());
  return {
    live,
    drain: () => child.stdin.end("drain\n"),
    done,
  };
}

/** Serves the live page and the snapshot spark_pipeline.py writes, on loopback. */
export async function serveLivePage(paths: StatePaths): Promise<{ url: string; close(): Promise<void> }> {
  const page = renderLiveHtml(chartJsBundle());
  const server = http.createServer((request, response) => {
    if (request.url === "/live.json") {
      const body = fs.existsSync(paths.liveJson) ? fs.readFileSync(paths.liveJson) : Buffer.from("{}");
      response.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(body);
    } else if (request.url === "/" || request.url === "/live.html") {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page);
    } else {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    }
  });
  const listening = await listen(server);
  return { url: `${listening.url}/`, close: () => listening.close() };
}

/** Replaces the local source database's posts with `posts` generated ones, 3% of them malformed. */
export async function seedLocalSource(pool: Pool, posts: number, seed: number, log: Log): Promise<void> {
  const seeded = await seedSource(pool, { posts, seed, malformedShare: 0.03, replace: true });
  log(`seeded ${seeded.posts} source posts (${seeded.malformed} malformed) into MariaDB`);
}

/** `run`: up, seed, emulate to both paths, batch + stream on Spark, report, down. */
export async function runLocalPipeline(options: RunOptions): Promise<RunResult> {
  const { log } = options;
  const paths = statePaths(options.stateDir);
  assertNotUp(paths);
  // A run starts from nothing: kinesis-local keeps no data between runs, so old checkpoints could not resume.
  fs.rmSync(paths.root, { recursive: true, force: true });
  const stack = await upLocalStack(options.stateDir, log);
  let livePage: { url: string; close(): Promise<void> } | undefined;
  let spark: SparkRun | undefined;
  try {
    // The stream and its real-time metrics run while the emulator posts: the live page shows them fill up.
    spark = startSpark(paths, stack.kinesis.endpoint, log);
    livePage = await serveLivePage(paths);
    log(`live page: ${livePage.url} (refreshes every 2 s while the emulator posts)`);
    await spark.live;
    const pool = createSourcePool(stack.db.url);
    let emulator: RunSummary;
    try {
      await seedLocalSource(pool, options.sourcePosts, options.seed, log);
      const targets = ["kafka", "kinesis"] as const;
      let kafkaAcked = 0;
      // The sample is seeded too, so one seed gives the same posts, the same re-deliveries and the same report.
      const source = new PostSource(pool);
      const sampling = generateMersenne53Randomizer(options.seed);
      const emulating = runEmulator({
        rate: options.rate,
        onProgress: (summary) => {
          kafkaAcked = summary.targets.kafka?.acked ?? 0;
        },
        targets: [...targets],
        endpoints: endpointsFor(stack.outputs, [...targets]),
        source: { randomMany: (n) => source.randomMany(n, () => sampling.next()) },
        count: options.events,
        batchSize: 100,
        concurrency: 4,
        delivery: { ...DEFAULT_DELIVERY, apiKey: stack.outputs.apiKey, maxRetries: 12 },
      });
      const fault = options.duringEmulator?.(stack, () => kafkaAcked);
      emulator = await emulating;
      await fault;
    } finally {
      await pool.end();
    }
    for (const [target, counts] of Object.entries(emulator.targets)) {
      log(
        `emulator -> ${target}: ${counts.acked} records acked, ${counts.failed} failed (${counts.requests} requests)`,
      );
      if (counts.failed > 0)
        throw new Error(`${counts.failed} records to ${target} failed: ${counts.lastError}`);
    }
    const inKafka = await topicCounts(stack.broker.bootstrap);
    await waitFor(async () => {
      await stack.sink.flushAll();
      const lake = lakeCounts(paths.lake);
      return EVENT_KINDS.every((k) => lake[k] >= inKafka[k]);
    }, 60000);
    const inLake = lakeCounts(paths.lake);
    log(`in Kafka ${JSON.stringify(inKafka)}, in the lake ${JSON.stringify(inLake)}`);
    spark.drain();
    await spark.done;
    const report = JSON.parse(fs.readFileSync(paths.reportJson, "utf8")) as ReportData;
    const perKind = (n: number) =>
      Object.fromEntries(EVENT_KINDS.map((k) => [k, n])) as Record<EventKind, number>;
    const stages: StageCounts = {
      kafkaPosted: perKind(emulator.targets.kafka?.acked ? emulator.targets.kafka.acked / 3 : 0),
      inKafka,
      inLake,
      kinesisPosted: perKind(emulator.targets.kinesis?.acked ? emulator.targets.kinesis.acked / 3 : 0),
    };
    fs.writeFileSync(paths.reportHtml, renderReportHtml(report, stages, chartJsBundle()));
    if (options.keepUp) {
      log(`services stay up (outputs: ${paths.outputs}); Ctrl-C or \`npm run local -- down\` stops them`);
      await untilSignal();
    }
    return { paths, emulator, stages, report, outputs: stack.outputs, livePage: livePage.url };
  } finally {
    await livePage?.close();
    if (spark) {
      spark.drain();
      await spark.done.catch(() => undefined);
    }
    await stack.stop();
  }
}

export function assertNotUp(paths: StatePaths): void {
  const state = readState(paths);
  if (state && isAlive(state.pid)) {
    throw new Error(`the local stack is up (pid ${state.pid}); stop it first: npm run local -- down`);
  }
}

export function readState(paths: StatePaths): StateFile | undefined {
  if (!fs.existsSync(paths.state)) return undefined;
  return JSON.parse(fs.readFileSync(paths.state, "utf8")) as StateFile;
}

/** Every process below `pid` (children, their children, ...), from /proc (Linux). */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The fields after the command's closing parenthesis: state, ppid, ...
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone while we looked
    }
  }
  const found: number[] = [];
  const queue = [...(parents.get(pid) ?? [])];
  while (queue.length > 0) {
    const next = queue.shift()!;
    found.push(next);
    queue.push(...(parents.get(next) ?? []));
  }
  return found;
}

/** Whether the process runs: an exited one its parent has not reaped yet (a zombie) does not. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return true; // no /proc: signal 0 is all we can tell
  }
}

export function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export { insightsAsText };
