/**
 * The cloud end-to-end test: a throwaway stack from dev's config, `up`, a few hundred posts through its
 * outputs with the emulator, then bounded waits until the stream job's tables and (after a DAG run the test
 * triggers) the batch job's silver tables hold every post, and always `destroy`. Each edge (the stack,
 * Airflow, Databricks) is an interface, so test/e2eCloud.test.ts drives this file with fakes and the real
 * local ingest twins; e2e/cli.ts wires the real ones (Automation API, MWAA, Databricks REST).
 *
 * What "holds every post" means: the posts have keys firstKey..firstKey+count-1 and are all clean, so each
 * of the six tables (silver pin/geo/user, stream pin/geo/user) must hold exactly `count` distinct keys in
 * that range. Delivery is at least once; the jobs keep one row per key, so duplicates do not count twice.
 */
import { Faker, en } from "@faker-js/faker";
import { z } from "zod";
import { EVENT_KINDS, EventKind } from "../components/events";
import { DEFAULT_DELIVERY, DeliveryOptions } from "../emulator/deliver";
import { endpointsFor, namesPerKind, stackOutputsSchema } from "../emulator/outputs";
import { runEmulator, RunSummary } from "../emulator/run";
import { generatePost, postOfRows } from "../emulator/seed";
import type { Post } from "../emulator/source";

/** The stack, as the Automation API drives it. */
export interface StackDriver {
  /** Creates the stack (or selects one a failed run left) and sets its whole config. */
  prepare(config: Record<string, { value: string; secret: boolean }>): Promise<void>;
  /** `pulumi up`; the stack's outputs as plain values. */
  up(): Promise<Record<string, unknown>>;
  /** `pulumi destroy`. */
  destroy(): Promise<void>;
  /** Removes the (empty) stack and its stack file. */
  remove(): Promise<void>;
}

export interface AirflowApi {
  dag(dagId: string): Promise<{ isPaused: boolean } | undefined>;
  triggerDagRun(dagId: string, runId: string): Promise<void>;
  dagRunState(dagId: string, runId: string): Promise<string>;
}

export interface DatabricksApi {
  activeRuns(jobId: number): Promise<Array<{ runId: number; lifeCycleState?: string }>>;
  countKeys(warehouseId: string, path: string, lo: number, hi: number): Promise<number>;
}

export interface CloudE2eDeps {
  stack: StackDriver;
  /** Built from the outputs (the MWAA environment's name is one). */
  airflow: (outputs: E2eOutputs) => AirflowApi;
  databricks: DatabricksApi;
  log: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface CloudE2eOptions {
  stackName: string;
  config: Record<string, { value: string; secret: boolean }>;
  warehouseId: string;
  posts: number;
  /** Posts per second. */
  rate: number;
  firstKey: number;
  seed: number;
  /** How long the stream job may take to be running after `up`. */
  streamStartTimeoutMs: number;
  /** How long the tables may take to hold every post (stream; then batch, after the DAG run). */
  dataTimeoutMs: number;
  /** How long the DAG may take to appear, and its run to end. */
  dagTimeoutMs: number;
  /** Wait after the last post before the DAG run, so the S3 sink has written its objects. */
  sinkSettleMs: number;
  pollMs: number;
  delivery?: Partial<DeliveryOptions>;
  signal?: AbortSignal;
}

export const DAG_ID = "pinterest_batch_daily";

/** The outputs the test reads; the rest of the stack's outputs are ignored. */
export const e2eOutputsSchema = stackOutputsSchema.extend({
  kafkaRestUrl: z.url(),
  kafkaTopics: namesPerKind,
  kinesisApiUrl: z.url(),
  kinesisStreams: namesPerKind,
  apiKey: z.string().min(1),
  batchJobId: z.coerce.number().int().positive(),
  streamJobId: z.coerce.number().int().positive(),
  batchTablesLocation: z.string().startsWith("s3://"),
  streamTables: z.record(z.string(), z.string().startsWith("s3://")),
  airflowEnvironmentName: z.string().min(1),
});
export type E2eOutputs = z.infer<typeof e2eOutputsSchema>;

export type PhaseName =
  | "prepare"
  | "up"
  | "stream-running"
  | "post"
  | "stream-tables"
  | "dag-run"
  | "batch-tables"
  | "destroy"
  | "remove"
  | "error";

export interface Phase {
  name: PhaseName;
  ok: boolean;
  ms: number;
  detail: string;
}

export interface CloudE2eReport {
  stack: string;
  ok: boolean;
  /** False when the stack may still hold resources: its name is in `stack`, clean it up. */
  destroyed: boolean;
  phases: Phase[];
  posted?: RunSummary;
  /** Distinct keys of the run found per table, at the last look. */
  tables: Record<string, number>;
}

/** `count` clean posts with keys firstKey.., the same for the same seed. */
export function generatedPosts(seed: number, firstKey: number, count: number): Post[] {
  const f = new Faker({ locale: [en] });
  f.seed(seed);
  return Array.from({ length: count }, (_, i) => postOfRows(generatePost(f, firstKey + i, false)));
}

/** A source for runEmulator that hands out each post once, in key order. */
export function sequentialSource(posts: Post[]): { randomMany(n: number): Promise<Post[]> } {
  let next = 0;
  return {
    randomMany(n: number) {
      const out = posts.slice(next, next + n);
      next += out.length;
      if (out.length < n)
        return Promise.reject(new Error(`the run asked for more posts than the ${posts.length} generated`));
      return Promise.resolve(out);
    },
  };
}

class PhaseFailed extends Error {}

export async function runCloudE2e(deps: CloudE2eDeps, options: CloudE2eOptions): Promise<CloudE2eReport> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = deps.now ?? Date.now;
  const report: CloudE2eReport = {
    stack: options.stackName,
    ok: false,
    destroyed: false,
    phases: [],
    tables: {},
  };
  const lo = options.firstKey;
  const hi = options.firstKey + options.posts - 1;

  const phase = async <T>(name: PhaseName, work: () => Promise<{ value: T; detail: string }>): Promise<T> => {
    const started = now();
    deps.log(`[e2e] ${name} ...`);
    try {
      const { value, detail } = await work();
      report.phases.push({ name, ok: true, ms: now() - started, detail });
      deps.log(`[e2e] ${name}: ok (${detail})`);
      return value;
    } catch (err) {
      const detail = (err as Error).message;
      report.phases.push({ name, ok: false, ms: now() - started, detail });
      deps.log(`[e2e] ${name}: FAILED ${detail}`);
      throw new PhaseFailed(detail);
    }
  };

  /** Calls `probe` every pollMs until it returns a value, or fails with `what` after `timeoutMs`. */
  const until = async <T>(
    what: string,
    timeoutMs: number,
    probe: () => Promise<T | undefined>,
  ): Promise<T> => {
    const deadline = now() + timeoutMs;
    let last = "";
    for (;;) {
      if (options.signal?.aborted) throw new Error(`interrupted while waiting for ${what}`);
      try {
        const value = await probe();
        if (value !== undefined) return value;
      } catch (err) {
        last = (err as Error).message;
      }
      if (now() >= deadline)
        throw new Error(
          `${what}: not within ${Math.round(timeoutMs / 1000)} s${last ? ` (last error: ${last})` : ""}`,
        );
      await sleep(options.pollMs);
    }
  };

  /** Waits until every table in `tables` holds the run's keys; records the counts seen. */
  const tablesHoldEveryPost = async (tables: Record<string, string>, timeoutMs: number) =>
    until(`every post in ${Object.keys(tables).join(", ")}`, timeoutMs, async () => {
      for (const [label, table] of Object.entries(tables))
        report.tables[label] = await deps.databricks.countKeys(options.warehouseId, table, lo, hi);
      const short = Object.keys(tables).filter((label) => report.tables[label] !== options.posts);
      if (short.some((label) => report.tables[label] > options.posts))
        throw new Error(`more keys than posts in ${short.join(", ")}: another run wrote to this range`);
      return short.length === 0 ? true : undefined;
    });

  try {
    await phase("prepare", async () => {
      await deps.stack.prepare(options.config);
      return { value: undefined, detail: `${Object.keys(options.config).length} config values` };
    });
    const outputs = await phase("up", async () => {
      const raw = await deps.stack.up();
      const parsed = e2eOutputsSchema.safeParse(raw);
      if (!parsed.success)
        throw new Error(
          `the stack's outputs lack what the test reads: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
        );
      for (const kind of EVENT_KINDS)
        if (!parsed.data.streamTables[kind])
          throw new Error(`the outputs' streamTables have no ${kind} table`);
      return {
        value: parsed.data,
        detail: `stream job ${parsed.data.streamJobId}, batch job ${parsed.data.batchJobId}`,
      };
    });

    await phase("stream-running", async () => {
      const run = await until("the continuous stream job running", options.streamStartTimeoutMs, async () =>
        (await deps.databricks.activeRuns(outputs.streamJobId)).find((r) => r.lifeCycleState === "RUNNING"),
      );
      return { value: undefined, detail: `run ${run.runId}` };
    });

    await phase("post", async () => {
      const posts = generatedPosts(options.seed, options.firstKey, options.posts);
      const result = await runEmulator({
        targets: ["kafka", "kinesis"],
        endpoints: endpointsFor(outputs, ["kafka", "kinesis"]),
        source: sequentialSource(posts),
        rate: options.rate,
        count: options.posts,
        batchSize: 25,
        concurrency: 4,
        delivery: { ...DEFAULT_DELIVERY, ...options.delivery, apiKey: outputs.apiKey },
        signal: options.signal,
      });
      report.posted = result;
      const expected = options.posts * 3;
      for (const target of ["kafka", "kinesis"] as const) {
        const counts = result.targets[target]!;
        if (counts.failed > 0 || counts.acked !== expected)
          throw new Error(
            `${target}: ${counts.acked} of ${expected} records acknowledged, ${counts.failed} failed (${counts.lastError ?? "no error"})`,
          );
      }
      return { value: result, detail: `${options.posts} posts, ${expected} records to each path` };
    });
    const lastPostAt = now();

    await phase("stream-tables", async () => {
      const tables = Object.fromEntries(EVENT_KINDS.map((k) => [`stream/${k}`, outputs.streamTables[k]]));
      await tablesHoldEveryPost(tables, options.dataTimeoutMs);
      return {
        value: undefined,
        detail: `${options.posts} keys in each of ${Object.keys(tables).length} tables`,
      };
    });

    await phase("dag-run", async () => {
      const airflow = deps.airflow(outputs);
      const dag = await until(`Airflow to have parsed ${DAG_ID}`, options.dagTimeoutMs, () =>
        airflow.dag(DAG_ID),
      );
      if (dag.isPaused) throw new Error(`${DAG_ID} is paused: a new deploy would never run its schedule`);
      const settle = lastPostAt + options.sinkSettleMs - now();
      if (settle > 0) await sleep(settle);
      const runId = `e2e__${options.stackName}__${new Date(now()).toISOString()}`;
      await airflow.triggerDagRun(DAG_ID, runId);
      const state = await until(`DAG run ${runId} to end`, options.dagTimeoutMs, async () => {
        const s = await airflow.dagRunState(DAG_ID, runId);
        return s === "success" || s === "failed" ? s : undefined;
      });
      if (state !== "success") throw new Error(`DAG run ${runId} ended ${state}`);
      return { value: undefined, detail: `run ${runId}: success` };
    });

    await phase("batch-tables", async () => {
      const root = outputs.batchTablesLocation.replace(/\/$/, "");
      const tables = Object.fromEntries(
        EVENT_KINDS.map((k: EventKind) => [`silver/${k}`, `${root}/silver/${k}`]),
      );
      await tablesHoldEveryPost(tables, options.dataTimeoutMs);
      return {
        value: undefined,
        detail: `${options.posts} keys in each of ${Object.keys(tables).length} tables`,
      };
    });
    report.ok = true;
  } catch (err) {
    if (!(err instanceof PhaseFailed)) {
      report.phases.push({ name: "error", ok: false, ms: 0, detail: (err as Error).message });
      deps.log(`[e2e] unexpected error: ${(err as Error).message}`);
    }
  } finally {
    report.destroyed = await destroyAndRemove(deps.stack, deps.log, report, now);
    if (!report.destroyed) report.ok = false;
  }
  return report;
}

/**
 * `destroy`, tried three times (a resource still draining can refuse once); the stack is removed only
 * after a clean destroy, so a stack that may still hold resources is never forgotten.
 */
async function destroyAndRemove(
  stack: StackDriver,
  log: (line: string) => void,
  report: CloudE2eReport,
  now: () => number,
): Promise<boolean> {
  const started = now();
  const errors: string[] = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    log(`[e2e] destroy (attempt ${attempt}) ...`);
    try {
      await stack.destroy();
      report.phases.push({ name: "destroy", ok: true, ms: now() - started, detail: `attempt ${attempt}` });
      break;
    } catch (err) {
      errors.push((err as Error).message.split("\n")[0]);
      if (attempt === 3) {
        const detail = `stack ${report.stack} may still hold resources: run \`npm run e2e:cloud -- --stack ${report.stack} --destroy-only\` (${errors.join(" | ")})`;
        report.phases.push({ name: "destroy", ok: false, ms: now() - started, detail });
        log(`[e2e] destroy: FAILED ${detail}`);
        return false;
      }
    }
  }
  try {
    await stack.remove();
    report.phases.push({ name: "remove", ok: true, ms: 0, detail: "stack removed" });
  } catch (err) {
    // Nothing is left in the cloud; only the empty stack's record remains.
    report.phases.push({ name: "remove", ok: false, ms: 0, detail: (err as Error).message.split("\n")[0] });
  }
  log("[e2e] destroyed");
  return true;
}

/** `--destroy-only`: tears down what an interrupted run left. */
export async function destroyOnly(
  deps: Pick<CloudE2eDeps, "stack" | "log">,
  stackName: string,
): Promise<CloudE2eReport> {
  const report: CloudE2eReport = { stack: stackName, ok: false, destroyed: false, phases: [], tables: {} };
  report.destroyed = await destroyAndRemove(deps.stack, deps.log, report, Date.now);
  report.ok = report.destroyed;
  return report;
}
