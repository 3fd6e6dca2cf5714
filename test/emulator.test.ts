/**
 * The emulator against a real MariaDB (seeded by it) and a local HTTP server that records what it receives
 * and fails on purpose: 429 with Retry-After, 500, Confluent per-record errors, partial PutRecords.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as mysql from "mysql2/promise";
import { main, CliIo } from "../emulator/cli";
import { DEFAULT_DELIVERY, deliverToKafka, USER_AGENT } from "../emulator/deliver";
import { runEmulator } from "../emulator/run";
import { createSourcePool, PostSource } from "../emulator/source";
import { Kafka, logLevel } from "kafkajs";
import { kafkaGateway } from "../components/kafkaIngest/runtime/kafkaGateway";
import { startRestIngestServer } from "../local/kafkaRestServer";
import { KafkaBroker } from "../local/services/kafka";
import { MariaDb } from "../local/services/mariadb";
import { freePort } from "../local/services/ports";

const ROOT = path.resolve(__dirname, "..");

interface Received {
  target: "kafka" | "kinesis";
  name: string;
  key: number;
}

/** Records each request; `script` decides the answer to the n-th request of a topic or stream. */
class FlakyTarget {
  readonly accepted: Received[] = [];
  readonly requests: Array<{
    target: string;
    name: string;
    size: number;
    status: number;
    userAgent?: string;
  }> = [];
  private readonly seen = new Map<string, number>();
  private server!: http.Server;
  url = "";

  constructor(
    private readonly script: (
      target: "kafka" | "kinesis",
      name: string,
      n: number,
    ) => "ok" | 429 | 500 | 400 | "record-error",
  ) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const kafka = /^\/topics\/([^/]+)$/.exec(req.url ?? "");
        const kinesis = /^\/streams\/([^/]+)\/records$/.exec(req.url ?? "");
        const target = kafka ? "kafka" : "kinesis";
        const name = decodeURIComponent((kafka ?? kinesis)![1]);
        const body = JSON.parse(Buffer.concat(chunks).toString()) as {
          records: Array<Record<string, unknown>>;
        };
        const n = (this.seen.get(name) ?? 0) + 1;
        this.seen.set(name, n);
        const action = this.script(target, name, n);
        const status = typeof action === "number" ? action : 200;
        this.requests.push({
          target,
          name,
          size: body.records.length,
          status,
          userAgent: req.headers["user-agent"],
        });
        const keyOf = (r: Record<string, unknown>) => {
          const v = (target === "kafka" ? r.value : r.data) as { index?: number; ind?: number };
          return (v.index ?? v.ind)!;
        };
        if (typeof action === "number") {
          res.writeHead(action, {
            "content-type": "application/json",
            ...(action === 429 ? { "retry-after": "0" } : {}),
          });
          res.end(JSON.stringify({ message: `scripted ${action}` }));
          return;
        }
        const failFirst = action === "record-error";
        body.records.forEach((r, i) => {
          if (!(failFirst && i === 0)) this.accepted.push({ target, name, key: keyOf(r) });
        });
        res.writeHead(200, { "content-type": "application/json" });
        if (target === "kafka") {
          res.end(
            JSON.stringify({
              offsets: body.records.map((_, i) =>
                failFirst && i === 0
                  ? { partition: 0, offset: null, error_code: 50003, error: "Leader not available" }
                  : { partition: 0, offset: i, error_code: null, error: null },
              ),
            }),
          );
        } else {
          res.end(
            JSON.stringify({
              FailedRecordCount: failFirst ? 1 : 0,
              Records: body.records.map((_, i) =>
                failFirst && i === 0
                  ? {
                      ErrorCode: "ProvisionedThroughputExceededException",
                      ErrorMessage: "Rate exceeded for shard",
                    }
                  : { SequenceNumber: `4959${i}`, ShardId: "shardId-000000000000" },
              ),
            }),
          );
        }
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  outputs() {
    return {
      kafkaRestUrl: this.url,
      kafkaTopics: { pin: "t.pin", geo: "t.geo", user: "t.user" },
      kinesisApiUrl: this.url,
      kinesisStreams: { pin: "s-pin", geo: "s-geo", user: "s-user" },
      apiKey: "k",
    };
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** `emulator seed` of 300 posts into the test database, with extra flags. */
function seedArgs(url: string, ...extra: string[]): string[] {
  return ["node", "emulator", "seed", "--db", url, "--posts", "300", ...extra];
}

function captureIo(signal?: AbortSignal): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { out: (t) => stdout.push(t), err: (t) => stderr.push(t), isTty: false, signal, stdout, stderr };
}

describe("emulator", function () {
  this.timeout(180000);
  let db: MariaDb;
  let stateDir: string;
  let tmp: string;

  before(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "emulator-db-"));
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "emulator-"));
    db = await MariaDb.launch({ stateDir });
    const io = captureIo();
    const code = await main(seedArgs(db.url, "--seed", "7", "--malformed-share", "0.05"), io);
    assert.equal(code, 0, io.stderr.join(""));
    assert.match(io.stdout.join(""), /^seeded 300 posts \(\d+ malformed\) with seed 7\n$/);
  });

  after(async () => {
    await db?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe("seed", () => {
    it("creates the original's three tables with linked rows carrying the source's quirks", async () => {
      const c = await mysql.createConnection(db.url);
      try {
        const count = async (sql: string) =>
          Number(((await c.query<mysql.RowDataPacket[]>(sql))[0][0] as { n: number }).n);
        for (const table of ["pinterest_data", "geolocation_data", "user_data"]) {
          assert.equal(await count(`SELECT COUNT(*) AS n FROM ${table}`), 300, table);
        }
        assert.equal(
          await count(
            "SELECT COUNT(*) AS n FROM pinterest_data p JOIN geolocation_data g ON g.ind = p.`index` JOIN user_data u ON u.ind = p.`index`",
          ),
          300,
        );
        // Each quirk of the source appears at least once.
        for (const where of [
          "title = 'No Title Data Available'",
          "description LIKE 'No description available%'",
          "follower_count = 'User Info Error'",
          "tag_list = 'N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e'",
          "follower_count REGEXP '^[0-9]+(\\\\.[0-9])?k$'",
          "follower_count REGEXP '^[0-9]+M$'",
          "is_image_or_video = 'multi-video(story page format)'",
          "image_src = 'Image src error.'",
        ]) {
          assert.ok((await count(`SELECT COUNT(*) AS n FROM pinterest_data WHERE ${where}`)) > 0, where);
        }
        assert.equal(
          await count(
            "SELECT COUNT(*) AS n FROM pinterest_data WHERE save_location <> CONCAT('Local save in /data/', category)",
          ),
          0,
        );
        const broken =
          (await count(
            "SELECT COUNT(*) AS n FROM geolocation_data WHERE latitude NOT BETWEEN -90 AND 90 OR longitude NOT BETWEEN -180 AND 180",
          )) +
          (await count("SELECT COUNT(*) AS n FROM user_data WHERE age < 1 OR age > 120")) +
          (await count(
            "SELECT COUNT(*) AS n FROM pinterest_data WHERE follower_count NOT REGEXP '^[0-9]+(\\\\.[0-9]+)?[kM]?$' AND follower_count <> 'User Info Error'",
          ));
        assert.ok(broken >= 5 && broken <= 30, `about 5% malformed, got ${broken}`);
      } finally {
        await c.end();
      }
    });

    it("gives the same rows for the same seed and refuses to seed over existing data", async () => {
      const checksum = async () => {
        const c = await mysql.createConnection(db.url);
        try {
          const [rows] = await c.query<mysql.RowDataPacket[]>(
            "CHECKSUM TABLE pinterest_data, geolocation_data, user_data",
          );
          return rows.map((r) => String(r.Checksum)).join(",");
        } finally {
          await c.end();
        }
      };
      const first = await checksum();
      const io = captureIo();
      assert.equal(await main(seedArgs(db.url, "--seed", "7", "--malformed-share", "0.05"), io), 1);
      assert.equal(
        io.stderr.join(""),
        "emulator: the source already holds 300 posts; pass --replace to recreate it\n",
      );
      assert.equal(
        await main(seedArgs(db.url, "--seed", "7", "--malformed-share", "0.05", "--replace"), captureIo()),
        0,
      );
      assert.equal(await checksum(), first);
      assert.equal(await main(seedArgs(db.url, "--seed", "8", "--replace"), captureIo()), 0);
      assert.notEqual(await checksum(), first);
      assert.equal(
        await main(seedArgs(db.url, "--seed", "7", "--malformed-share", "0.05", "--replace"), captureIo()),
        0,
      );
    });
  });

  describe("run", () => {
    it("retries 429, 500 and only the failed records, so every post lands exactly once per target", async () => {
      const target = new FlakyTarget((_t, _name, n) =>
        n === 1 ? 429 : n === 2 ? 500 : n === 3 ? "record-error" : "ok",
      );
      await target.start();
      const pool = createSourcePool(db.url);
      try {
        const source = new PostSource(pool);
        let next = 1;
        const summary = await runEmulator({
          targets: ["kafka", "kinesis"],
          endpoints: {
            kafka: { url: target.url, topics: { pin: "t.pin", geo: "t.geo", user: "t.user" } },
            kinesis: { url: target.url, streams: { pin: "s-pin", geo: "s-geo", user: "s-user" } },
          },
          // Keys in order, so the test can tell each post apart (the real source samples with replacement).
          source: {
            randomMany: async (n: number) =>
              Promise.all(Array.from({ length: n }, async () => (await source.byKey(next++))!)),
          },
          count: 60,
          batchSize: 10,
          concurrency: 4,
          delivery: { ...DEFAULT_DELIVERY, baseDelayMs: 5, maxDelayMs: 20 },
        });
        for (const t of ["kafka", "kinesis"] as const) {
          assert.deepEqual(summary.targets[t], { ...summary.targets[t], posted: 180, acked: 180, failed: 0 });
          for (const name of t === "kafka" ? ["t.pin", "t.geo", "t.user"] : ["s-pin", "s-geo", "s-user"]) {
            const keys = target.accepted
              .filter((r) => r.name === name)
              .map((r) => r.key)
              .sort((a, b) => a - b);
            assert.deepEqual(
              keys,
              Array.from({ length: 60 }, (_, i) => i + 1),
              `${name}: each post once`,
            );
            const requests = target.requests.filter((r) => r.name === name);
            assert.deepEqual(
              requests.slice(0, 3).map((r) => r.status),
              [429, 500, 200],
            );
            // Six batches of ten, the 429 and the 500 sent again whole, and the one failed record alone.
            assert.deepEqual(
              requests.map((r) => r.size).sort((a, b) => a - b),
              [1, 10, 10, 10, 10, 10, 10, 10, 10],
              `${name}: only the failed record is sent again`,
            );
          }
        }
        assert.equal(summary.posts, 60);
        // Every request names its client (the edge's WAF blocks requests without a User-Agent).
        assert.deepEqual([...new Set(target.requests.map((r) => r.userAgent))], [USER_AGENT]);
      } finally {
        await pool.end();
        await target.close();
      }
    });

    it("reports records refused for good as failed and exits 1", async () => {
      const target = new FlakyTarget((t) => (t === "kafka" ? 400 : "ok"));
      await target.start();
      const outputs = path.join(tmp, "flaky-400.json");
      fs.writeFileSync(outputs, JSON.stringify(target.outputs()));
      const io = captureIo();
      try {
        const code = await main(
          [
            "node",
            "emulator",
            "run",
            "--db",
            db.url,
            "--outputs",
            outputs,
            "--count",
            "5",
            "--batch-size",
            "5",
            "--json",
          ],
          io,
        );
        assert.equal(code, 1);
        const summary = JSON.parse(io.stdout.join("")) as {
          targets: Record<string, { posted: number; acked: number; failed: number; lastError: string }>;
        };
        assert.deepEqual([summary.targets.kafka.acked, summary.targets.kafka.failed], [0, 15]);
        assert.equal(summary.targets.kafka.lastError, "HTTP 400: scripted 400");
        assert.deepEqual([summary.targets.kinesis.acked, summary.targets.kinesis.failed], [15, 0]);
      } finally {
        await target.close();
      }
    });

    it("stops on SIGINT: finishes what is in flight, reports it, and every acked record arrived once", async () => {
      const target = new FlakyTarget(() => "ok");
      await target.start();
      const outputs = path.join(tmp, "sigint.json");
      fs.writeFileSync(outputs, JSON.stringify(target.outputs()));
      try {
        const child = spawn(
          process.execPath,
          [
            "-r",
            "ts-node/register",
            path.join(ROOT, "emulator", "cli.ts"),
            "run",
            "--db",
            db.url,
            "--outputs",
            outputs,
            "--target",
            "kafka",
            "--rate",
            "40",
            "--count",
            "100000",
            "--batch-size",
            "7",
            "--json",
          ],
          { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
        );
        let stdout = "";
        child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
        await new Promise((r) => setTimeout(r, 5000));
        child.kill("SIGINT");
        const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
        assert.equal(code, 130);
        const summary = JSON.parse(stdout) as {
          posts: number;
          interrupted: boolean;
          targets: { kafka: { posted: number; acked: number; failed: number } };
        };
        assert.equal(summary.interrupted, true);
        assert.ok(summary.posts > 10 && summary.posts < 100000, `stopped early after ${summary.posts} posts`);
        const { posted, acked, failed } = summary.targets.kafka;
        assert.equal(posted, summary.posts * 3, "everything produced was sent, buffers included");
        assert.equal(acked + failed, posted);
        assert.equal(target.accepted.length, acked, "the server holds exactly what was acknowledged");
      } finally {
        await target.close();
      }
    });
  });

  describe("against the real REST ingest", () => {
    it("lands every post's records in the Kafka topics, values as the source holds them", async () => {
      const brokerDir = fs.mkdtempSync(path.join(os.tmpdir(), "emulator-kafka-"));
      const broker = await KafkaBroker.launch({ stateDir: brokerDir });
      const gateway = kafkaGateway({ brokers: [broker.bootstrap] });
      const topics = { "e2e.pin": "pin", "e2e.geo": "geo", "e2e.user": "user" } as const;
      const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      try {
        await admin.connect();
        await admin.createTopics({
          waitForLeaders: true,
          topics: Object.keys(topics).map((topic) => ({ topic, numPartitions: 2 })),
        });
        const server = await startRestIngestServer({ topics, gateway, apiKey: "e2e-key" });
        const outputs = path.join(tmp, "e2e.json");
        fs.writeFileSync(
          outputs,
          JSON.stringify({
            kafkaRestUrl: server.url,
            kafkaTopics: Object.fromEntries(Object.entries(topics).map(([topic, kind]) => [kind, topic])),
            apiKey: "e2e-key",
          }),
        );
        const io = captureIo();
        const code = await main(
          [
            "node",
            "emulator",
            "run",
            "--db",
            db.url,
            "--outputs",
            outputs,
            "--target",
            "kafka",
            "--count",
            "120",
            "--batch-size",
            "50",
            "--json",
          ],
          io,
        );
        await server.close();
        assert.equal(code, 0, io.stderr.join(""));
        const summary = JSON.parse(io.stdout.join("")) as {
          targets: { kafka: { posted: number; acked: number; failed: number } };
        };
        assert.deepEqual(summary.targets.kafka, {
          ...summary.targets.kafka,
          posted: 360,
          acked: 360,
          failed: 0,
        });
        for (const topic of Object.keys(topics)) {
          const offsets = await admin.fetchTopicOffsets(topic);
          assert.equal(
            offsets.reduce((n, o) => n + Number(o.high), 0),
            120,
            topic,
          );
        }
        // Values arrive exactly as the source holds them (one geo record checked field by field).
        const consumer = kafka.consumer({ groupId: "e2e-check" });
        await consumer.connect();
        await consumer.subscribe({ topic: "e2e.geo", fromBeginning: true });
        const first = await new Promise<Record<string, unknown>>((resolve) => {
          void consumer.run({
            eachMessage: ({ message }) =>
              Promise.resolve(resolve(JSON.parse(String(message.value)) as Record<string, unknown>)),
          });
        });
        await consumer.disconnect();
        const c = await mysql.createConnection({ uri: db.url, dateStrings: true });
        const [[row]] = await c.query<mysql.RowDataPacket[]>("SELECT * FROM geolocation_data WHERE ind = ?", [
          first.ind,
        ]);
        await c.end();
        assert.deepEqual(first, { ...row });
      } finally {
        await admin.disconnect();
        await gateway.disconnect();
        await broker.stop();
        fs.rmSync(brokerDir, { recursive: true, force: true });
      }
    });
  });

  describe("bad input", () => {
    const run = async (...args: string[]) => {
      const io = captureIo();
      const code = await main(["node", "emulator", ...args], io);
      return { code, stderr: io.stderr.join(""), stdout: io.stdout.join("") };
    };

    it("answers an invalid flag with one line and exit 2", async () => {
      const r = await run(
        "run",
        "--db",
        db.url,
        "--outputs",
        "x.json",
        "--count",
        "5",
        "--batch-size",
        "501",
      );
      assert.deepEqual(
        [r.code, r.stderr],
        [
          2,
          "emulator: option '--batch-size <n>' argument '501' is invalid. must be an integer from 1 to 500\n",
        ],
      );
      const t = await run("run", "--db", db.url, "--outputs", "x.json", "--count", "5", "--target", "sqs");
      assert.equal(t.code, 2);
      assert.match(
        t.stderr,
        /^emulator: option '--target <target>' argument 'sqs' is invalid\. Allowed choices are kafka, kinesis, both\.\n$/,
      );
      const d = await run("run", "--db", db.url, "--outputs", "x.json", "--duration", "soon");
      assert.deepEqual(
        [d.code, d.stderr],
        [
          2,
          "emulator: option '--duration <time>' argument 'soon' is invalid. must be a duration like 30s, 5m or 1h\n",
        ],
      );
      const u = await run("run", "--db", db.url, "--outputs", "x.json");
      assert.deepEqual([u.code, u.stderr], [2, "emulator: run needs --count N or --duration TIME\n"]);
      const unknown = await run("seed", "--db", db.url, "--rows", "5");
      assert.deepEqual([unknown.code, unknown.stderr], [2, "emulator: unknown option '--rows'\n"]);
    });

    it("answers a bad outputs file, stack name or database URL with one line and exit 2", async () => {
      const missing = await run(
        "run",
        "--db",
        db.url,
        "--outputs",
        path.join(tmp, "nope.json"),
        "--count",
        "1",
      );
      assert.deepEqual(
        [missing.code, missing.stderr],
        [2, `emulator: cannot read --outputs ${path.join(tmp, "nope.json")}: ENOENT\n`],
      );
      const badJson = path.join(tmp, "bad.json");
      fs.writeFileSync(badJson, "{not json");
      assert.deepEqual(
        Object.values(await run("run", "--db", db.url, "--outputs", badJson, "--count", "1")).slice(0, 2),
        [2, `emulator: --outputs ${badJson} is not JSON\n`],
      );
      const noKafka = path.join(tmp, "no-kafka.json");
      fs.writeFileSync(
        noKafka,
        JSON.stringify({
          kinesisApiUrl: "http://127.0.0.1:1",
          kinesisStreams: { pin: "a-pin", geo: "a-geo", user: "a-user" },
        }),
      );
      const k = await run("run", "--db", db.url, "--outputs", noKafka, "--count", "1", "--target", "kafka");
      assert.deepEqual(
        [k.code, k.stderr],
        [
          2,
          "emulator: the outputs have no kafkaRestUrl and kafkaTopics: this stack cannot take --target kafka\n",
        ],
      );
      const badUrl = path.join(tmp, "bad-url.json");
      fs.writeFileSync(badUrl, JSON.stringify({ kafkaRestUrl: "not a url" }));
      const b = await run("run", "--db", db.url, "--outputs", badUrl, "--count", "1");
      assert.equal(b.code, 2);
      assert.match(b.stderr, /^emulator: --outputs .*bad-url\.json: kafkaRestUrl: Invalid URL\n$/);
      // A stack deployed before the outputs named topics per kind: told what to do, not guessed from suffixes.
      const oldShape = path.join(tmp, "old-shape.json");
      fs.writeFileSync(
        oldShape,
        JSON.stringify({ kafkaRestUrl: "http://127.0.0.1:1", kafkaTopics: ["a.pin"] }),
      );
      const o = await run("run", "--db", db.url, "--outputs", oldShape, "--count", "1");
      assert.deepEqual(
        [o.code, o.stderr.replace(/--outputs \S+\.json/, "--outputs F")],
        [
          2,
          "emulator: --outputs F: kafkaTopics: must map pin, geo and user to their names (a stack deployed before the outputs became maps: run pulumi up)\n",
        ],
      );
      const stack = await run("run", "--db", db.url, "--stack", "dev; rm -rf /", "--count", "1");
      assert.deepEqual(
        [stack.code, stack.stderr],
        [2, "emulator: --stack must be a stack name like dev or org/project/dev, got 'dev; rm -rf /'\n"],
      );
      const dbUrl = await run("console", "--db", "postgres://x@localhost/db");
      assert.deepEqual(
        [dbUrl.code, dbUrl.stderr],
        [2, "emulator: --db must use mysql://, got 'postgres://'\n"],
      );
      const closed = await freePort();
      const refused = await run("console", "--db", `mysql://u:p@127.0.0.1:${closed}/pinterest`);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /^emulator: cannot use the source database: .*ECONNREFUSED.*\n$/);
      const both = await run("run", "--db", db.url, "--outputs", "a.json", "--stack", "dev", "--count", "1");
      assert.equal(both.code, 2);
      assert.match(both.stderr, /cannot be used with option '--stack <name>'/);
    });
  });

  describe("source", () => {
    it("samples random posts with replacement by primary key, in chunks", async () => {
      const pool = createSourcePool(db.url);
      try {
        const source = new PostSource(pool);
        let i = 0;
        // A scripted "random" that picks keys 5, 5, 300, 1: the repeat comes back twice.
        const picks = [(5 - 1) / 300, (5 - 1) / 300, (300 - 1) / 300, 0];
        const posts = await source.randomMany(4, () => picks[i++]);
        assert.deepEqual(
          posts.map((p) => [p.pin.index, p.geo.ind, p.user.ind]),
          [
            [5, 5, 5],
            [5, 5, 5],
            [300, 300, 300],
            [1, 1, 1],
          ],
        );
        assert.match(posts[0].geo.timestamp!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
        assert.match(posts[0].user.date_joined!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      } finally {
        await pool.end();
      }
    });
  });

  describe("console", () => {
    it("prints posts as the original did", async () => {
      const io = captureIo();
      assert.equal(await main(["node", "emulator", "console", "--db", db.url, "--count", "2"], io), 0);
      const lines = io.stdout.join("").trim().split("\n");
      assert.equal(lines.length, 6);
      assert.match(lines[0], /^pinterest_data: \{"index":\d+,"unique_id":/);
      assert.match(lines[1], /^geolocation_data: \{"ind":\d+,"timestamp":"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d",/);
      assert.match(lines[2], /^user_data: \{"ind":\d+,"first_name":/);
    });
  });
});

describe("emulator delivery to the REST ingest", () => {
  it("sends again a record answered 'may have been written' (50401): delivery is at least once", async () => {
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      let raw = "";
      req.on("data", (c: Buffer) => (raw += c.toString()));
      req.on("end", () => {
        const { records } = JSON.parse(raw) as { records: Array<{ value: { n: number } }> };
        seen.push(...records.map((r) => String(r.value.n)));
        const first = seen.length === records.length;
        res.writeHead(200, { "content-type": "application/vnd.kafka.v2+json" });
        res.end(
          JSON.stringify({
            offsets: records.map((r, i) =>
              first && r.value.n === 2
                ? { partition: 0, offset: null, error_code: 50401, error: "may have been written: ..." }
                : { partition: 0, offset: i, error_code: null, error: null },
            ),
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const outcome = await deliverToKafka(url, "t.pin", [{ n: 1 }, { n: 2 }], {
        ...DEFAULT_DELIVERY,
        baseDelayMs: 1,
        random: () => 0,
      });
      assert.deepEqual([outcome.acked, outcome.failed, outcome.requests], [2, 0, 2]);
      assert.deepEqual(seen, ["1", "2", "2"]);
    } finally {
      server.close();
    }
  });
});
