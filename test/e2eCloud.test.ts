/**
 * The cloud end-to-end test's logic, with fakes at its edges only: the stack (no Pulumi CLI here), Airflow
 * and Databricks. The posts go through the real local ingest twins (REST ingest on a KRaft broker, the
 * Kinesis API on kinesis-local), and the fake Databricks counts what really reached them. The HTTP clients
 * for MWAA and Databricks are checked against fakes that answer in the shapes docs/cloud-contracts.md cites.
 */
/* eslint-disable @typescript-eslint/require-await -- the fakes implement async interfaces with synchronous bodies */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
} from "@aws-sdk/client-kinesis";
import { Kafka, logLevel } from "kafkajs";
import { AirflowApi, CloudE2eOptions, DatabricksApi, runCloudE2e, StackDriver } from "../e2e/cloud";
import { MwaaAirflow } from "../e2e/airflow";
import { DatabricksApiError, DatabricksClient, resolveDatabricksAuth } from "../e2e/databricks";
import { E2E_OVERRIDES, e2eStackConfig, UsageError } from "../e2e/stackConfig";
import { kafkaGateway } from "../components/kafkaIngest/runtime/kafkaGateway";
import { startRestIngestServer } from "../local/kafkaRestServer";
import { startKinesisApiServer } from "../local/kinesisApi";
import { KafkaBroker } from "../local/services/kafka";
import { KinesisLocal, LOCAL_CREDENTIALS } from "../local/services/kinesis";

const ROOT = path.resolve(__dirname, "..");
const FAST = { baseDelayMs: 5, maxDelayMs: 20, maxRetries: 3, timeoutMs: 10000 };

/** A stack driver that records calls; `failures` makes a step throw (a count for destroy). */
class FakeStack implements StackDriver {
  readonly calls: string[] = [];
  config?: Record<string, { value: string; secret: boolean }>;
  constructor(
    private readonly outputs: Record<string, unknown>,
    private readonly failures: { up?: string; destroy?: number } = {},
  ) {}
  async prepare(config: Record<string, { value: string; secret: boolean }>) {
    this.calls.push("prepare");
    this.config = config;
  }
  async up() {
    this.calls.push("up");
    if (this.failures.up) throw new Error(this.failures.up);
    return this.outputs;
  }
  async destroy() {
    this.calls.push("destroy");
    if ((this.failures.destroy ?? 0) > 0) {
      this.failures.destroy!--;
      throw new Error("error: deleting MSK cluster: ResourceInUse\nmore lines");
    }
  }
  async remove() {
    this.calls.push("remove");
  }
}

/** Airflow that parses the DAG on the second look and ends a run after two looks. */
class FakeAirflow implements AirflowApi {
  looks = 0;
  readonly runs = new Map<string, number>();
  constructor(private readonly opts: { paused?: boolean; runEnds?: string } = {}) {}
  async dag() {
    return ++this.looks < 2 ? undefined : { isPaused: this.opts.paused ?? false };
  }
  async triggerDagRun(_dag: string, runId: string) {
    this.runs.set(runId, 0);
  }
  async dagRunState(_dag: string, runId: string) {
    const n = (this.runs.get(runId) ?? 0) + 1;
    this.runs.set(runId, n);
    return n < 3 ? "running" : (this.opts.runEnds ?? "success");
  }
}

const OUTPUTS_BASE = {
  batchJobId: 101,
  streamJobId: "202",
  batchTablesLocation: "s3://lake-bucket/batch",
  streamTables: {
    pin: "s3://lake-bucket/stream/pin",
    geo: "s3://lake-bucket/stream/geo",
    user: "s3://lake-bucket/stream/user",
    quarantine: "s3://lake-bucket/stream/quarantine",
  },
  airflowEnvironmentName: "e2e-t-airflow",
};

function options(overrides: Partial<CloudE2eOptions> = {}): CloudE2eOptions {
  return {
    stackName: "e2e-t",
    config: { "pinterest-pipeline:namePrefix": { value: "e2e-t", secret: false } },
    warehouseId: "wh-1",
    posts: 20,
    rate: 100,
    firstKey: 1_900_000_000,
    seed: 7,
    streamStartTimeoutMs: 300,
    dataTimeoutMs: 20_000,
    dagTimeoutMs: 2_000,
    sinkSettleMs: 0,
    pollMs: 10,
    delivery: FAST,
    ...overrides,
  };
}

const running: DatabricksApi["activeRuns"] = async () => [{ runId: 9, lifeCycleState: "RUNNING" }];

describe("cloud end-to-end test: its logic, with fakes at the edges", function () {
  this.timeout(240_000);
  const logs: string[] = [];
  const log = (line: string) => logs.push(line);
  afterEach(() => (logs.length = 0));
  /** A run with the fake Airflow and, unless given, a Databricks whose stream runs and whose tables stay empty. */
  const runWith = (
    stack: StackDriver,
    databricks: DatabricksApi = { activeRuns: running, countKeys: async () => 0 },
    overrides: Partial<CloudE2eOptions> = {},
  ) => runCloudE2e({ stack, airflow: () => new FakeAirflow(), databricks, log }, options(overrides));

  describe("the throwaway stack's config", () => {
    it("is dev's config with the stack name as prefix and the overrides that make it disposable", () => {
      const { config, region, databricksHost } = e2eStackConfig(ROOT, "e2e-nightly-42");
      const dev = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
      assert.equal(config["pinterest-pipeline:namePrefix"].value, "e2e-nightly-42");
      for (const [key, value] of Object.entries(E2E_OVERRIDES))
        assert.equal(config[`pinterest-pipeline:${key}`].value, value, key);
      assert.equal(config["pinterest-pipeline:protectStatefulResources"].value, "false");
      assert.ok(dev.includes(`aws:region: ${region}`));
      assert.ok(dev.includes(`databricks:host: ${databricksHost}`));
      // Everything else comes from dev unchanged.
      assert.equal(config["pinterest-pipeline:vpcCidr"].value, "10.20.0.0/16");
    });

    it("refuses a stack that is not a throwaway name, or one with a stack file here, before anything runs", () => {
      for (const [name, message] of [
        ["dev", /must be a throwaway name/],
        ["prod", /must be a throwaway name/],
        ["e2e-", /must be a throwaway name/],
        ["e2e-Upper", /must be a throwaway name/],
        ["e2e-much-too-long-suffix", /must be a throwaway name/],
      ] as const)
        assert.throws(() => e2eStackConfig(ROOT, name), message, name);
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-config-"));
      try {
        fs.copyFileSync(path.join(ROOT, "Pulumi.dev.yaml"), path.join(tmp, "Pulumi.dev.yaml"));
        fs.writeFileSync(path.join(tmp, "Pulumi.e2e-kept.yaml"), "config: {}\n");
        assert.throws(() => e2eStackConfig(tmp, "e2e-kept"), /has a stack file in this repository/);
        // A secret in dev's file is encrypted for dev alone: named, not copied.
        fs.appendFileSync(path.join(tmp, "Pulumi.dev.yaml"), "  pinterest-pipeline:x:\n    secure: AAAB\n");
        assert.throws(
          () => e2eStackConfig(tmp, "e2e-other"),
          (err: Error) =>
            err instanceof UsageError && /pinterest-pipeline:x is not a plain text value/.test(err.message),
        );
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });
  });

  describe("against the local ingest twins", () => {
    let tmp: string;
    let broker: KafkaBroker;
    let kinesis: KinesisLocal;
    let kinesisClient: KinesisClient;
    const closers: Array<() => Promise<void>> = [];
    let outputs: Record<string, unknown>;
    const topics = { "e2e-t.pin": "pin", "e2e-t.geo": "geo", "e2e-t.user": "user" } as const;
    const streamOf = { pin: "e2e-t-pin", geo: "e2e-t-geo", user: "e2e-t-user" };
    const streams = Object.values(streamOf);

    before(async () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-twins-"));
      broker = await KafkaBroker.launch({ stateDir: path.join(tmp, "kafka") });
      const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin.createTopics({ topics: Object.keys(topics).map((topic) => ({ topic, numPartitions: 2 })) });
      await admin.disconnect();
      const gateway = kafkaGateway({ brokers: [broker.bootstrap] });
      const rest = await startRestIngestServer({ topics, gateway, apiKey: "e2e-key" });
      closers.push(
        () => rest.close(),
        () => gateway.disconnect(),
      );
      kinesis = await KinesisLocal.launch({
        stateDir: path.join(tmp, "kinesis"),
        streams: streams.map((name) => ({ name, shards: 1 })),
      });
      kinesisClient = kinesis.client();
      const api = await startKinesisApiServer({
        kinesisEndpoint: kinesis.endpoint,
        region: kinesis.region,
        credentials: LOCAL_CREDENTIALS,
        streams,
        apiKey: "e2e-key",
      });
      closers.push(() => api.close());
      outputs = {
        ...OUTPUTS_BASE,
        kafkaRestUrl: rest.url,
        kafkaTopics: Object.fromEntries(Object.entries(topics).map(([topic, kind]) => [kind, topic])),
        kinesisApiUrl: api.url,
        kinesisStreams: streamOf,
        apiKey: "e2e-key",
        unrelatedOutput: "ignored",
      };
    });

    after(async () => {
      for (const close of closers.reverse()) await close().catch(() => undefined);
      kinesisClient?.destroy();
      await kinesis?.stop();
      await broker?.stop();
      fs.rmSync(tmp, { recursive: true, force: true });
    });

    /** Keys (ind / index) of every record in a topic. */
    async function kafkaKeys(topic: string): Promise<number[]> {
      const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets(topic);
      await admin.disconnect();
      const total = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
      const consumer = kafka.consumer({ groupId: `read-${topic}-${Date.now()}` });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const keys: number[] = [];
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            const value = JSON.parse(message.value!.toString()) as { index?: number; ind?: number };
            keys.push((value.index ?? value.ind)!);
            if (keys.length >= total) resolve();
          },
        });
      });
      await consumer.disconnect();
      return keys;
    }

    async function kinesisKeys(stream: string): Promise<number[]> {
      const { Shards } = await kinesisClient.send(new ListShardsCommand({ StreamName: stream }));
      const keys: number[] = [];
      for (const shard of Shards ?? []) {
        const { ShardIterator } = await kinesisClient.send(
          new GetShardIteratorCommand({
            StreamName: stream,
            ShardId: shard.ShardId,
            ShardIteratorType: "TRIM_HORIZON",
          }),
        );
        let iterator = ShardIterator;
        for (let i = 0; iterator && i < 10; i++) {
          const page = await kinesisClient.send(
            new GetRecordsCommand({ ShardIterator: iterator, Limit: 10000 }),
          );
          for (const r of page.Records ?? []) {
            const value = JSON.parse(Buffer.from(r.Data!).toString()) as { index?: number; ind?: number };
            keys.push((value.index ?? value.ind)!);
          }
          if ((page.Records ?? []).length === 0) break;
          iterator = page.NextShardIterator;
        }
      }
      return keys;
    }

    it("deploys, posts through the outputs, finds every post in the six tables, and destroys", async () => {
      const stack = new FakeStack(outputs);
      const airflow = new FakeAirflow();
      const queried: string[] = [];
      // The fake warehouse's tables: what the twins really hold, as the jobs would write it.
      const databricks: DatabricksApi = {
        activeRuns: running,
        async countKeys(warehouse, table, lo, hi) {
          assert.equal(warehouse, "wh-1");
          queried.push(table);
          const kind = table.split("/").pop()!;
          const keys = table.includes("/stream/")
            ? await kinesisKeys(`e2e-t-${kind}`)
            : await kafkaKeys(`e2e-t.${kind}`);
          return new Set(keys.filter((k) => k >= lo && k <= hi)).size;
        },
      };
      const report = await runCloudE2e({ stack, airflow: () => airflow, databricks, log }, options());
      assert.equal(report.ok, true, JSON.stringify(report.phases));
      assert.equal(report.destroyed, true);
      assert.deepEqual(
        report.phases.map((p) => p.name),
        [
          "prepare",
          "up",
          "stream-running",
          "post",
          "stream-tables",
          "dag-run",
          "batch-tables",
          "destroy",
          "remove",
        ],
      );
      assert.deepEqual(stack.calls, ["prepare", "up", "destroy", "remove"]);
      assert.deepEqual(report.tables, {
        "stream/pin": 20,
        "stream/geo": 20,
        "stream/user": 20,
        "silver/pin": 20,
        "silver/geo": 20,
        "silver/user": 20,
      });
      assert.ok(queried.includes("s3://lake-bucket/batch/silver/geo"));
      assert.equal(report.posted!.targets.kafka!.acked, 60);
      assert.equal(report.posted!.targets.kinesis!.acked, 60);
      // Each post reached both paths, keys firstKey..firstKey+19, each at least once.
      const expected = Array.from({ length: 20 }, (_, i) => 1_900_000_000 + i);
      assert.deepEqual([...new Set(await kafkaKeys("e2e-t.user"))].sort(), expected);
      assert.deepEqual([...new Set(await kinesisKeys("e2e-t-pin"))].sort(), expected);
      // The DAG run was triggered once, after Airflow had parsed the DAG.
      assert.equal(airflow.runs.size, 1);
      assert.match([...airflow.runs.keys()][0], /^e2e__e2e-t__\d{4}-/);
    });

    it("fails (and still destroys) when a table never holds every post, naming the table and the counts", async () => {
      const stack = new FakeStack(outputs);
      const databricks: DatabricksApi = {
        activeRuns: running,
        // The stream's user table is missing one post.
        countKeys: async (_w, table) => (table.endsWith("stream/user") ? 19 : 20),
      };
      const report = await runCloudE2e(
        { stack, airflow: () => new FakeAirflow(), databricks, log },
        options({ dataTimeoutMs: 100, seed: 8, firstKey: 1_900_001_000 }),
      );
      assert.equal(report.ok, false);
      assert.equal(report.destroyed, true);
      const failed = report.phases.find((p) => !p.ok)!;
      assert.equal(failed.name, "stream-tables");
      assert.match(failed.detail, /every post in stream\/pin, stream\/geo, stream\/user: not within 0 s/);
      assert.equal(report.tables["stream/user"], 19);
      assert.deepEqual(stack.calls, ["prepare", "up", "destroy", "remove"]);
    });

    it("fails on a paused DAG, and on a DAG run that fails, after the stream checks passed", async () => {
      let key = 1_900_002_000;
      for (const [airflow, message] of [
        [
          new FakeAirflow({ paused: true }),
          /pinterest_batch_daily is paused: a new deploy would never run its schedule/,
        ],
        [new FakeAirflow({ runEnds: "failed" }), /DAG run e2e__e2e-t__\S+ ended failed/],
      ] as const) {
        const stack = new FakeStack(outputs);
        const report = await runCloudE2e(
          {
            stack,
            airflow: () => airflow,
            databricks: { activeRuns: running, countKeys: async () => 5 },
            log,
          },
          options({ posts: 5, firstKey: (key += 100) }),
        );
        const failed = report.phases.find((p) => !p.ok)!;
        assert.equal(failed.name, "dag-run");
        assert.match(failed.detail, message);
        assert.equal(report.destroyed, true);
        assert.deepEqual(stack.calls, ["prepare", "up", "destroy", "remove"]);
      }
    });
  });

  it("destroys after a failed up, and reports the up's error", async () => {
    const stack = new FakeStack({}, { up: "error: creating MSK cluster: quota exceeded" });
    const report = await runWith(stack);
    assert.equal(report.ok, false);
    assert.equal(report.destroyed, true);
    assert.deepEqual(stack.calls, ["prepare", "up", "destroy", "remove"]);
    assert.deepEqual(
      report.phases.map((p) => [p.name, p.ok]),
      [
        ["prepare", true],
        ["up", false],
        ["destroy", true],
        ["remove", true],
      ],
    );
    assert.match(report.phases[1].detail, /quota exceeded/);
  });

  it("refuses outputs it cannot use, naming what is missing", async () => {
    const stack = new FakeStack({ ...OUTPUTS_BASE, streamJobId: "not-a-number" });
    const report = await runWith(stack);
    const up = report.phases.find((p) => p.name === "up")!;
    assert.equal(up.ok, false);
    assert.match(up.detail, /kafkaRestUrl/);
    assert.match(up.detail, /streamJobId/);
    assert.equal(report.destroyed, true);
  });

  it("gives up on a stream job that never runs, within its bound", async () => {
    const stack = new FakeStack({ ...OUTPUTS_BASE, ...fakeIngestOutputs });
    const started = Date.now();
    const report = await runCloudE2e(
      {
        stack,
        airflow: () => new FakeAirflow(),
        databricks: {
          activeRuns: async () => [{ runId: 1, lifeCycleState: "PENDING" }],
          countKeys: async () => 0,
        },
        log,
      },
      options({ streamStartTimeoutMs: 200 }),
    );
    assert.ok(Date.now() - started < 5000);
    const failed = report.phases.find((p) => !p.ok)!;
    assert.equal(failed.name, "stream-running");
    assert.match(failed.detail, /the continuous stream job running: not within 0 s/);
    assert.deepEqual(stack.calls.slice(-2), ["destroy", "remove"]);
  });

  it("keeps the stack (and says how to finish) when destroy fails three times; retries a destroy that fails once", async () => {
    const stubborn = new FakeStack({}, { up: "boom", destroy: 3 });
    const kept = await runWith(stubborn);
    assert.equal(kept.destroyed, false);
    assert.equal(kept.ok, false);
    assert.deepEqual(stubborn.calls, ["prepare", "up", "destroy", "destroy", "destroy"]);
    const destroy = kept.phases.find((p) => p.name === "destroy")!;
    assert.match(destroy.detail, /npm run e2e:cloud -- --stack e2e-t --destroy-only/);
    assert.match(destroy.detail, /ResourceInUse/);

    const once = new FakeStack({}, { up: "boom", destroy: 1 });
    const report = await runWith(once);
    assert.equal(report.destroyed, true);
    assert.deepEqual(once.calls, ["prepare", "up", "destroy", "destroy", "remove"]);
  });

  it("stops waiting when interrupted, then destroys", async () => {
    const controller = new AbortController();
    const stack = new FakeStack({ ...OUTPUTS_BASE, ...fakeIngestOutputs });
    setTimeout(() => controller.abort(), 100);
    const report = await runCloudE2e(
      {
        stack,
        airflow: () => new FakeAirflow(),
        databricks: { activeRuns: async () => [], countKeys: async () => 0 },
        log,
      },
      options({ streamStartTimeoutMs: 60_000, signal: controller.signal }),
    );
    const failed = report.phases.find((p) => !p.ok)!;
    assert.match(failed.detail, /interrupted while waiting for the continuous stream job running/);
    assert.deepEqual(stack.calls.slice(-2), ["destroy", "remove"]);
  });
});

/** Outputs whose ingest URLs lead nowhere (port 9 on loopback): for runs that stop before posting. */
const fakeIngestOutputs = {
  kafkaRestUrl: "http://127.0.0.1:9",
  kafkaTopics: { pin: "e2e-t.pin", geo: "e2e-t.geo", user: "e2e-t.user" },
  kinesisApiUrl: "http://127.0.0.1:9",
  kinesisStreams: { pin: "e2e-t-pin", geo: "e2e-t-geo", user: "e2e-t-user" },
  apiKey: "k",
};

/** A loopback server answering from `handle`; records each request. */
async function fakeServer(
  handle: (req: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }) => {
    status: number;
    body: unknown;
    headers?: Record<string, string>;
  },
) {
  const requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> =
    [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      requests.push(r);
      const answer = handle(r);
      res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
      res.end(typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("cloud end-to-end test: the Databricks client", () => {
  it("takes an OAuth M2M token once, lists a job's active runs, and runs a count that has to be polled", async () => {
    let polls = 0;
    const server = await fakeServer(({ method, url, headers, body }) => {
      if (url === "/oidc/v1/token") {
        assert.equal(headers.authorization, `Basic ${Buffer.from("sp-id:sp-secret").toString("base64")}`);
        const form = new URLSearchParams(body);
        assert.equal(form.get("grant_type"), "client_credentials");
        assert.equal(form.get("scope"), "all-apis");
        return { status: 200, body: { access_token: "tok-1", token_type: "Bearer", expires_in: 3600 } };
      }
      assert.equal(headers.authorization, "Bearer tok-1");
      if (url.startsWith("/api/2.2/jobs/runs/list")) {
        assert.equal(url, "/api/2.2/jobs/runs/list?job_id=202&active_only=true");
        return {
          status: 200,
          body: {
            runs: [{ run_id: 7, state: { life_cycle_state: "RUNNING", state_message: "" } }],
            has_more: false,
          },
        };
      }
      if (method === "POST" && url === "/api/2.0/sql/statements") {
        const request = JSON.parse(body) as Record<string, unknown>;
        assert.equal(request.warehouse_id, "wh-1");
        assert.equal(
          request.statement,
          "SELECT count(DISTINCT ind) FROM delta.`s3://lake-bucket/batch/silver/pin` WHERE ind BETWEEN :lo AND :hi",
        );
        assert.deepEqual(request.parameters, [
          { name: "lo", value: "10", type: "INT" },
          { name: "hi", value: "29", type: "INT" },
        ]);
        return { status: 200, body: { statement_id: "st-1", status: { state: "PENDING" } } };
      }
      if (method === "GET" && url === "/api/2.0/sql/statements/st-1") {
        polls++;
        return polls < 2
          ? { status: 200, body: { statement_id: "st-1", status: { state: "RUNNING" } } }
          : {
              status: 200,
              body: {
                statement_id: "st-1",
                status: { state: "SUCCEEDED" },
                manifest: { format: "JSON_ARRAY", schema: { column_count: 1 } },
                result: { chunk_index: 0, row_offset: 0, row_count: 1, data_array: [["20"]] },
              },
            };
      }
      return { status: 404, body: { error_code: "ENDPOINT_NOT_FOUND", message: "no" } };
    });
    try {
      const client = new DatabricksClient({
        host: server.url,
        auth: resolveDatabricksAuth({ DATABRICKS_CLIENT_ID: "sp-id", DATABRICKS_CLIENT_SECRET: "sp-secret" }),
        statementPollMs: 1,
      });
      assert.deepEqual(await client.activeRuns(202), [
        { runId: 7, lifeCycleState: "RUNNING", resultState: undefined },
      ]);
      assert.equal(await client.countKeys("wh-1", "s3://lake-bucket/batch/silver/pin", 10, 29), 20);
      assert.equal(server.requests.filter((r) => r.url === "/oidc/v1/token").length, 1);
    } finally {
      await server.close();
    }
  });

  it("exchanges GitHub's OIDC token for a Databricks token (workload identity federation)", async () => {
    const server = await fakeServer(({ url, headers, body }) => {
      if (url.startsWith("/github-token")) {
        assert.equal(headers.authorization, "Bearer gh-request-token");
        assert.equal(new URL(url, "http://x").searchParams.get("audience"), "acct-1");
        return { status: 200, body: { value: "gh.jwt.value" } };
      }
      if (url === "/oidc/v1/token") {
        const form = new URLSearchParams(body);
        assert.equal(form.get("grant_type"), "urn:ietf:params:oauth:grant-type:token-exchange");
        assert.equal(form.get("subject_token"), "gh.jwt.value");
        assert.equal(form.get("subject_token_type"), "urn:ietf:params:oauth:token-type:jwt");
        assert.equal(form.get("client_id"), "sp-app-id");
        return { status: 200, body: { access_token: "fed-tok", expires_in: 3600 } };
      }
      assert.equal(headers.authorization, "Bearer fed-tok");
      return { status: 200, body: { runs: [] } };
    });
    try {
      const auth = resolveDatabricksAuth({
        DATABRICKS_AUTH_TYPE: "github-oidc",
        DATABRICKS_CLIENT_ID: "sp-app-id",
        DATABRICKS_TOKEN_AUDIENCE: "acct-1",
        ACTIONS_ID_TOKEN_REQUEST_URL: `${server.url}/github-token?x=1`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: "gh-request-token",
      });
      assert.deepEqual(await new DatabricksClient({ host: server.url, auth }).activeRuns(1), []);
    } finally {
      await server.close();
    }
  });

  it("retries 429 after Retry-After, and throws Databricks' error code and message otherwise", async () => {
    let calls = 0;
    const server = await fakeServer(({ url }) => {
      calls++;
      if (calls === 1)
        return { status: 429, body: { error_code: "TOO_MANY_REQUESTS" }, headers: { "retry-after": "0" } };
      if (url.startsWith("/api/2.2")) return { status: 200, body: {} };
      return {
        status: 200,
        body: {
          statement_id: "st-2",
          status: {
            state: "FAILED",
            error: { error_code: "BAD_REQUEST", message: "[DELTA_PATH_DOES_NOT_EXIST]" },
          },
        },
      };
    });
    try {
      const slept: number[] = [];
      const client = new DatabricksClient({
        host: server.url,
        auth: { kind: "token", token: "t" },
        sleep: async (ms) => void slept.push(ms),
      });
      assert.deepEqual(await client.activeRuns(3), []);
      assert.equal(calls, 2);
      await assert.rejects(
        client.countKeys("wh", "s3://lake-bucket/batch/silver/geo", 1, 2),
        (err: Error) => err instanceof DatabricksApiError && /DELTA_PATH_DOES_NOT_EXIST/.test(err.message),
      );
      await assert.rejects(
        client.countKeys("wh", "s3://lake-bucket/x`; DROP TABLE y", 1, 2),
        /not a Delta table path/,
      );
    } finally {
      await server.close();
    }
    const refused = await fakeServer(() => ({
      status: 403,
      body: { error_code: "PERMISSION_DENIED", message: "no" },
    }));
    try {
      await assert.rejects(
        new DatabricksClient({ host: refused.url, auth: { kind: "token", token: "t" } }).activeRuns(1),
        (err: Error) =>
          err instanceof DatabricksApiError && err.status === 403 && err.errorCode === "PERMISSION_DENIED",
      );
    } finally {
      await refused.close();
    }
  });

  it("names the missing credentials", () => {
    assert.throws(() => resolveDatabricksAuth({}), /no Databricks credentials: set DATABRICKS_TOKEN/);
    assert.throws(
      () => resolveDatabricksAuth({ DATABRICKS_AUTH_TYPE: "github-oidc", DATABRICKS_CLIENT_ID: "x" }),
      /id-token: write/,
    );
  });
});

describe("cloud end-to-end test: Airflow through MWAA's InvokeRestApi", () => {
  it("signs for service airflow, posts {Method, Path, Body} to /restapi/<env>, reads Airflow's answer and 404", async () => {
    let dagLooks = 0;
    const server = await fakeServer(({ method, url, headers, body }) => {
      assert.equal(method, "POST");
      assert.equal(url, "/restapi/e2e-t-airflow");
      assert.match(
        String(headers.authorization),
        /^AWS4-HMAC-SHA256 Credential=AKIDE2E\/\d{8}\/eu-west-1\/airflow\/aws4_request/,
      );
      const request = JSON.parse(body) as { Method: string; Path: string; Body?: Record<string, unknown> };
      if (request.Path === "/dags/pinterest_batch_daily" && request.Method === "GET") {
        dagLooks++;
        if (dagLooks === 1)
          // An Airflow 4xx, as MWAA passes it on.
          return {
            status: 400,
            headers: {
              "x-amzn-errortype":
                "RestApiClientException:http://internal.amazon.com/coral/com.amazonaws.airflow/",
            },
            body: {
              RestApiStatusCode: 404,
              RestApiResponse: {
                detail: "DAG with dag_id: 'pinterest_batch_daily' not found",
                status: 404,
                title: "DAG not found",
              },
            },
          };
        return {
          status: 200,
          body: {
            RestApiStatusCode: 200,
            RestApiResponse: { dag_id: "pinterest_batch_daily", is_paused: false },
          },
        };
      }
      if (request.Method === "POST") {
        assert.equal(request.Path, "/dags/pinterest_batch_daily/dagRuns");
        assert.deepEqual(request.Body, { dag_run_id: "run-1", conf: {} });
        return {
          status: 200,
          body: { RestApiStatusCode: 200, RestApiResponse: { dag_run_id: "run-1", state: "queued" } },
        };
      }
      assert.equal(request.Path, "/dags/pinterest_batch_daily/dagRuns/run-1");
      return {
        status: 200,
        body: { RestApiStatusCode: 200, RestApiResponse: { dag_run_id: "run-1", state: "success" } },
      };
    });
    try {
      const airflow = new MwaaAirflow({
        region: "eu-west-1",
        environment: "e2e-t-airflow",
        credentials: { accessKeyId: "AKIDE2E", secretAccessKey: "secret" },
        endpoint: server.url,
      });
      assert.equal(await airflow.dag("pinterest_batch_daily"), undefined);
      assert.deepEqual(await airflow.dag("pinterest_batch_daily"), { isPaused: false });
      await airflow.triggerDagRun("pinterest_batch_daily", "run-1");
      assert.equal(await airflow.dagRunState("pinterest_batch_daily", "run-1"), "success");
    } finally {
      await server.close();
    }
  });

  it("throws MWAA's own errors with their type", async () => {
    const server = await fakeServer(() => ({
      status: 403,
      headers: { "x-amzn-errortype": "AccessDeniedException" },
      body: { Message: "User is not authorized to perform: airflow:InvokeRestApi" },
    }));
    try {
      const airflow = new MwaaAirflow({
        region: "eu-west-1",
        environment: "e2e-t-airflow",
        credentials: { accessKeyId: "A", secretAccessKey: "s" },
        endpoint: server.url,
      });
      await assert.rejects(airflow.dag("d"), /AccessDeniedException \(Airflow 403\) User is not authorized/);
    } finally {
      await server.close();
    }
  });
});

describe("cloud end-to-end test: the command line", () => {
  const run = promisify(execFile);
  async function cli(args: string[], env: Record<string, string> = {}) {
    try {
      const { stdout, stderr } = await run(
        process.execPath,
        ["-r", "ts-node/register", path.join(ROOT, "e2e/cli.ts"), ...args],
        {
          cwd: ROOT,
          env: {
            PATH: "/usr/bin:/bin",
            HOME: os.tmpdir(),
            TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json"),
            ...env,
          },
        },
      );
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it("exits 2 with one clear line for bad input, before creating anything", async function () {
    this.timeout(120_000);
    const bad = await cli(["--stack", "prod", "--warehouse-id", "w"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--stack must be a throwaway name/);
    const noWarehouse = await cli(["--stack", "e2e-x"]);
    assert.equal(noWarehouse.code, 2);
    assert.match(noWarehouse.stderr, /--warehouse-id \(or DATABRICKS_WAREHOUSE_ID\) is required/);
    const noCredentials = await cli(["--stack", "e2e-x", "--warehouse-id", "w"]);
    assert.equal(noCredentials.code, 2);
    assert.match(noCredentials.stderr, /no Databricks credentials/);
    // This machine has no Pulumi CLI: said plainly, and nothing was created.
    const noCli = await cli(["--stack", "e2e-x", "--warehouse-id", "w"], { DATABRICKS_TOKEN: "t" });
    assert.equal(noCli.code, 2);
    assert.match(noCli.stderr, /the Pulumi CLI is needed on PATH/);
    assert.equal(fs.existsSync(path.join(ROOT, "Pulumi.e2e-x.yaml")), false);
  });
});
