/**
 * The REST ingest (Confluent REST Proxy v2 produce contract) against a real Kafka 4 broker, through the
 * local HTTP server that runs the same core as the Lambda.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Admin, Kafka, logLevel } from "kafkajs";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { KafkaBroker } from "../local/services/kafka";
import { bundleIngestFunction } from "../components/kafkaIngest";
import { kafkaGateway, KafkaGateway } from "../components/kafkaIngest/runtime/kafkaGateway";
import { startRestIngestServer, RestIngestServer } from "../local/kafkaRestServer";
import { geoRecord, pinRecord, userRecord } from "../local/sampleRecords";

const CONTENT_TYPE = "application/vnd.kafka.json.v2+json";
const API_KEY = "test-key-0123456789";
const TOPICS = { "t.pin": "pin", "t.geo": "geo", "t.user": "user", "t.small": "pin" } as const;

interface ProduceAnswer {
  status: number;
  headers: Headers;
  body: {
    offsets?: Array<{
      partition: number | null;
      offset: number | null;
      error_code: number | null;
      error: string | null;
    }>;
    error_code?: number;
    message?: string;
  };
}

describe("REST ingest against Kafka", function () {
  this.timeout(180000);
  let stateDir: string;
  let broker: KafkaBroker;
  let admin: Admin;
  let gateway: KafkaGateway;
  let server: RestIngestServer;
  /** With the deployed stack's limits (4 MiB body, 1,000,000-byte records, 1048588-byte batches). */
  let defaults: RestIngestServer;
  let kafka: Kafka;

  async function post(
    topic: string,
    body: unknown,
    headers: Record<string, string> = {},
    to: RestIngestServer = server,
  ): Promise<ProduceAnswer> {
    const response = await fetch(`${to.url}/topics/${topic}`, {
      method: "POST",
      headers: { "content-type": CONTENT_TYPE, "x-api-key": API_KEY, ...headers },
      body: typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as ProduceAnswer["body"],
    };
  }

  /** Every record in a topic, in partition then offset order. */
  async function readAll(
    topic: string,
  ): Promise<Array<{ partition: number; offset: string; key: string | null; value: unknown }>> {
    const offsets = await admin.fetchTopicOffsets(topic);
    const total = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
    const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}-${Math.random()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: Array<{ partition: number; offset: string; key: string | null; value: unknown }> = [];
    if (total > 0) {
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: ({ partition, message }) => {
            seen.push({
              partition,
              offset: message.offset,
              key: message.key ? message.key.toString() : null,
              value: JSON.parse(String(message.value)) as unknown,
            });
            if (seen.length === total) resolve();
            return Promise.resolve();
          },
        });
      });
    }
    await consumer.disconnect();
    return seen.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
  }

  async function highWatermarks(topic: string): Promise<string[]> {
    return (await admin.fetchTopicOffsets(topic))
      .sort((a, b) => a.partition - b.partition)
      .map((o) => o.high);
  }

  before(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "ingest-test-"));
    broker = await KafkaBroker.launch({ stateDir });
    kafka = new Kafka({ clientId: "ingest-test", brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: "t.pin", numPartitions: 3 },
        { topic: "t.geo", numPartitions: 1 },
        { topic: "t.user", numPartitions: 1 },
        // Small max message size, so one partition's batch can fail for real while another's lands.
        { topic: "t.small", numPartitions: 2, configEntries: [{ name: "max.message.bytes", value: "1200" }] },
        { topic: "t.unlisted", numPartitions: 1 },
        { topic: "t.big", numPartitions: 1 },
      ],
    });
    gateway = kafkaGateway({ brokers: [broker.bootstrap], retries: 1, requestTimeoutMs: 2000 });
    server = await startRestIngestServer({
      topics: TOPICS,
      gateway,
      apiKey: API_KEY,
      maxBodyBytes: 64 * 1024,
    });
    defaults = await startRestIngestServer({ topics: { ...TOPICS, "t.big": "pin" }, gateway });
  });

  after(async () => {
    await server?.close();
    await defaults?.close();
    await gateway?.disconnect();
    await admin?.disconnect();
    await broker?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it("lands the original's pin, geo and user payloads exactly once with their values intact", async () => {
    const posted = [
      ["t.pin", pinRecord(7528)],
      ["t.geo", geoRecord(7528)],
      ["t.user", userRecord(7528)],
    ] as const;
    for (const [topic, value] of posted) {
      const answer = await post(topic, { records: [{ value }] });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get("content-type"), "application/vnd.kafka.v2+json");
      assert.equal(answer.body.offsets?.length, 1);
      assert.equal(answer.body.offsets?.[0].error_code, null);
    }
    for (const [topic, value] of posted) {
      const records = await readAll(topic);
      assert.equal(records.length, 1, topic);
      assert.deepEqual(records[0].value, value);
    }
  });

  it("answers one offset per record, in order, matching where each record landed", async () => {
    const values = Array.from({ length: 30 }, (_, i) => pinRecord(1000 + i));
    const answer = await post("t.pin", {
      records: values.map((value, i) => ({ key: value.index, value, ...(i === 0 ? { partition: 2 } : {}) })),
    });
    assert.equal(answer.status, 200);
    const offsets = answer.body.offsets!;
    assert.equal(offsets.length, 30);
    assert.equal(offsets[0].partition, 2);
    const landed = await readAll("t.pin");
    for (const [i, entry] of offsets.entries()) {
      assert.equal(entry.error_code, null);
      const record = landed.find((r) => r.partition === entry.partition && Number(r.offset) === entry.offset);
      assert.ok(record, `record ${i} at ${entry.partition}/${entry.offset}`);
      assert.deepEqual(record.value, values[i]);
      assert.equal(record.key, String(values[i].index));
    }
    // Keyed records spread by murmur2 over the partitions, and a key always maps to the same one.
    assert.ok(new Set(offsets.map((o) => o.partition)).size > 1);
    const again = await post("t.pin", { records: [{ key: values[5].index, value: values[5] }] });
    assert.equal(again.body.offsets![0].partition, offsets[5].partition);
  });

  it("rejects a wrong content type with 415 and writes nothing", async () => {
    const before = await highWatermarks("t.geo");
    const answer = await post(
      "t.geo",
      { records: [{ value: geoRecord(1) }] },
      { "content-type": "application/json" },
    );
    assert.equal(answer.status, 415);
    assert.deepEqual(answer.body, {
      error_code: 415,
      message:
        "HTTP 415 Unsupported Media Type: Content-Type must be application/vnd.kafka.json.v2+json, got 'application/json'",
    });
    assert.deepEqual(await highWatermarks("t.geo"), before);
  });

  it("rejects malformed JSON and a body without records with 400", async () => {
    const malformed = await post("t.geo", '{"records": [');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error_code, 400);
    assert.match(String(malformed.body.message), /^Malformed JSON: /);
    const noRecords = await post("t.geo", { value: geoRecord(1) });
    assert.deepEqual(
      [noRecords.status, noRecords.body],
      [400, { error_code: 400, message: "Body must be a JSON object with a 'records' array" }],
    );
    const empty = await post("t.geo", { records: [] });
    assert.deepEqual([empty.status, empty.body.message], [400, "'records' is empty"]);
  });

  it("answers 404 with error_code 40401 for a topic that is not the stack's, even if Kafka has it", async () => {
    const answer = await post("t.unlisted", { records: [{ value: pinRecord(1) }] });
    assert.deepEqual(
      [answer.status, answer.body],
      [404, { error_code: 40401, message: "Topic t.unlisted not found." }],
    );
    assert.deepEqual(await highWatermarks("t.unlisted"), ["0"]);
  });

  it("rejects a whole request with 422 when one record is not its topic's event, and writes none of it", async () => {
    const before = await highWatermarks("t.user");
    const answer = await post("t.user", {
      records: [
        { value: userRecord(1) },
        { value: userRecord(2, { age: "twenty" as unknown as number }) },
        { value: userRecord(3) },
      ],
    });
    assert.equal(answer.status, 422);
    assert.deepEqual(answer.body, {
      error_code: 42201,
      message: "records[1].value is not a user event: age: Invalid input: expected number, received string",
    });
    assert.deepEqual(await highWatermarks("t.user"), before);
    const missingKey = await post("t.geo", { records: [{ value: { ...geoRecord(1), ind: undefined } }] });
    assert.equal(missingKey.status, 422);
    assert.match(String(missingKey.body.message), /^records\[0\]\.value is not a geo event: ind: /);
  });

  it("rejects a body over the limit with 413", async () => {
    const big = { records: Array.from({ length: 400 }, (_, i) => ({ value: pinRecord(i) })) };
    const answer = await post("t.pin", big);
    assert.equal(answer.status, 413);
    assert.equal(answer.body.error_code, 413);
  });

  it("rejects a missing API key with 403 and an unknown partition with 40402", async () => {
    const response = await fetch(`${server.url}/topics/t.geo`, {
      method: "POST",
      headers: { "content-type": CONTENT_TYPE },
      body: JSON.stringify({ records: [{ value: geoRecord(1) }] }),
    });
    assert.equal(response.status, 403);
    const answer = await post("t.geo", { records: [{ value: geoRecord(1), partition: 5 }] });
    assert.deepEqual(
      [answer.status, answer.body],
      [404, { error_code: 40402, message: "Partition 5 of topic t.geo not found." }],
    );
  });

  it("writes a request under the limits whole, in batches under the broker's message.max.bytes", async () => {
    // 5,000 posts to one partition: about 2.3 MB, over one batch's 1048588 bytes, under the 4 MiB body.
    const records = Array.from({ length: 5000 }, (_, i) => ({
      value: pinRecord(700000 + i, { title: `big-${i}` }),
    }));
    assert.ok(JSON.stringify({ records }).length > 2 * 1048588);
    const answer = await post("t.big", { records }, {}, defaults);
    assert.equal(answer.status, 200);
    const offsets = answer.body.offsets!;
    assert.ok(offsets.every((o) => o.error_code === null));
    assert.deepEqual(
      offsets.map((o) => o.offset),
      offsets.map((_, i) => offsets[0].offset! + i),
    );
    const landed = await readAll("t.big");
    assert.equal(landed.length, 5000);
    landed.forEach((l, i) => {
      assert.equal((l.value as { title: string }).title, `big-${i}`);
      assert.equal(Number(l.offset), offsets[i].offset);
    });
  });

  it("refuses a record over 1,000,000 bytes with 413 (41302) and writes nothing of the request", async () => {
    const before = await highWatermarks("t.big");
    const answer = await post(
      "t.big",
      { records: [{ value: pinRecord(1) }, { value: pinRecord(2, { description: "x".repeat(2_000_000) }) }] },
      {},
      defaults,
    );
    assert.equal(answer.status, 413);
    assert.equal(answer.body.error_code, 41302);
    assert.match(String(answer.body.message), /records\[1\] is \d+ bytes .*the limit is 1000000/);
    assert.deepEqual(await highWatermarks("t.big"), before);
  });

  it("refuses a body over 4 MiB with 413 on the stack's defaults", async () => {
    const body = JSON.stringify({
      records: [{ value: pinRecord(1, { description: "x".repeat(4 * 1024 * 1024) }) }],
    });
    const answer = await post("t.big", body, {}, defaults);
    assert.equal(answer.status, 413);
    assert.equal(answer.body.error_code, 413);
  });

  it("refuses invalid UTF-8 with 400 (40001) instead of storing U+FFFD", async () => {
    const before = await highWatermarks("t.geo");
    const text = Buffer.from(JSON.stringify({ records: [{ value: geoRecord(5, { country: "Fr@nce" }) }] }));
    text[text.indexOf("@")] = 0xff;
    const answer = await post("t.geo", text);
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error_code, 40001);
    assert.match(String(answer.body.message), /not valid UTF-8 \(first bad byte at offset \d+\)/);
    assert.deepEqual(await highWatermarks("t.geo"), before);
  });

  it("refuses a value nested beyond 6 levels with 400 (40002), not a 500, and accepts 6", async () => {
    const nest = (levels: number): unknown => (levels === 0 ? 1 : { n: nest(levels - 1) });
    const deep = `{"records":[{"value":${JSON.stringify(geoRecord(6)).slice(0, -1)},"extra":${"[".repeat(10000)}${"]".repeat(10000)}}}]}`;
    const answer = await post("t.geo", deep);
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error_code, 40002);
    assert.match(String(answer.body.message), /nested deeper than 9 levels .*may nest 6 levels/);
    // The value object is level 1: five more levels below it is the most.
    const six = await post("t.geo", { records: [{ value: { ...geoRecord(7), extra: nest(5) } }] });
    assert.equal(six.status, 200);
    const seven = await post("t.geo", { records: [{ value: { ...geoRecord(8), extra: nest(6) } }] });
    assert.equal(seven.status, 400);
  });

  it("refuses numbers a double cannot keep (42203) and stores the ones it can as sent", async () => {
    const before = await highWatermarks("t.user");
    const big = `{"records":[{"value":{"ind":9,"first_name":"A","last_name":"B","age":20,"date_joined":"2015-10-24 11:23:51","extra":12345678901234567891}}]}`;
    const answer = await post("t.user", big);
    assert.equal(answer.status, 422);
    assert.equal(answer.body.error_code, 42203);
    assert.match(String(answer.body.message), /number 12345678901234567891 .*cannot be stored exactly/);
    assert.deepEqual(await highWatermarks("t.user"), before);
    const fine = `{"records":[{"value":{"ind":10,"first_name":"A","last_name":"B","age":20.0,"date_joined":"2015-10-24 11:23:51","extra":[9007199254740991,0.1,-1.5e-7]}}]}`;
    assert.equal((await post("t.user", fine)).status, 200);
    const landed = await readAll("t.user");
    assert.deepEqual(
      (landed[landed.length - 1].value as { extra: number[] }).extra,
      [9007199254740991, 0.1, -1.5e-7],
    );
  });

  it("reports exactly which records failed when one partition's batch is refused and another's lands", async () => {
    const small = pinRecord(1);
    const huge = pinRecord(2, { description: "x".repeat(4000) });
    const answer = await post("t.small", {
      records: [
        { value: small, partition: 0 },
        { value: huge, partition: 1 },
        { value: pinRecord(3), partition: 0 },
      ],
    });
    assert.equal(answer.status, 200);
    const [a, b, c] = answer.body.offsets!;
    assert.deepEqual(a, { partition: 0, offset: 0, error_code: null, error: null });
    assert.deepEqual(c, { partition: 0, offset: 1, error_code: null, error: null });
    assert.equal(b.partition, 1);
    assert.equal(b.offset, null);
    assert.equal(b.error_code, 50002);
    assert.match(String(b.error), /larger than the max message size/);
    assert.deepEqual(await highWatermarks("t.small"), ["2", "0"]);
  });

  it("answers 503 with Retry-After while the broker is down, writes nothing, and succeeds after restart", async () => {
    const before = await highWatermarks("t.geo");
    await admin.disconnect();
    await broker.stop();
    try {
      const answer = await post("t.geo", { records: [{ value: geoRecord(42) }, { value: geoRecord(43) }] });
      assert.equal(answer.status, 503);
      assert.equal(answer.headers.get("retry-after"), "1");
      assert.equal(answer.body.error_code, 50301);
      assert.match(String(answer.body.message), /^Kafka unavailable, nothing was written; retry the request/);
    } finally {
      await broker.start();
      await admin.connect();
    }
    assert.deepEqual(await highWatermarks("t.geo"), before);
    const retried = await post("t.geo", { records: [{ value: geoRecord(42) }, { value: geoRecord(43) }] });
    assert.equal(retried.status, 200);
    const landed = (await readAll("t.geo")).map((r) => (r.value as { ind: number }).ind);
    assert.deepEqual(
      landed.filter((ind) => ind === 42 || ind === 43),
      [42, 43],
    );
  });

  it("never half-writes a request when the broker dies mid-stream: each is all landed, not written, or said to be uncertain", async () => {
    const requests = Array.from({ length: 24 }, (_, r) =>
      Array.from({ length: 40 }, (_, i) => geoRecord(100000 + r * 100 + i, { country: `req-${r}` })),
    );
    const answers: Array<Promise<ProduceAnswer>> = [];
    for (const [r, values] of requests.entries()) {
      answers.push(post("t.geo", { records: values.map((value) => ({ value })) }));
      if (r === 8) await broker.kill(); // a crash, not a clean shutdown, with requests in flight
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const settled = await Promise.all(answers);
    await broker.start();
    await admin.connect().catch(() => undefined);

    const landed = await readAll("t.geo");
    const statuses = new Set<number>();
    for (const [r, answer] of settled.entries()) {
      statuses.add(answer.status);
      const found = landed.filter((l) => (l.value as { country: string }).country === `req-${r}`).length;
      if (answer.status === 200) {
        assert.ok(
          answer.body.offsets!.every((o) => o.error_code === null),
          `request ${r} fully acknowledged`,
        );
        assert.equal(found, 40, `request ${r}: every acknowledged record landed once`);
      } else if (answer.status === 503) {
        assert.equal(answer.body.error_code, 50301);
        assert.equal(found, 0, `request ${r} answered "nothing was written"`);
      } else {
        // The crash came with the request's batch on the wire: the broker may have appended it first.
        assert.equal(answer.status, 504, `request ${r} answered retriable or "may have been written"`);
        assert.equal(answer.body.error_code, 50401);
        assert.ok(found === 0 || found === 40, `request ${r}: ${found} of 40 landed, never a part`);
      }
    }
    assert.ok(
      statuses.has(200) && (statuses.has(503) || statuses.has(504)) && !statuses.has(500),
      `outcomes seen: ${[...statuses].join(",")}`,
    );
  });

  it("runs the very bundle the stack deploys as a Lambda handler behind an API Gateway proxy event", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ingest-bundle-"));
    const file = path.join(dir, "index.js");
    fs.writeFileSync(file, bundleIngestFunction());
    const env = {
      AWS_REGION: "eu-west-1",
      INGEST_TOPICS: JSON.stringify(TOPICS),
      BOOTSTRAP_BROKERS: broker.bootstrap,
      KAFKA_SECURITY: "plaintext",
    };
    Object.assign(process.env, env);
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loading the built artifact, as Lambda does
      const { handler } = require(file) as {
        handler: (e: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
      };
      const event = (body: unknown, contentType = CONTENT_TYPE) =>
        ({
          httpMethod: "POST",
          path: "/topics/t.user",
          headers: { "Content-Type": contentType, "x-api-key": API_KEY },
          body: Buffer.from(JSON.stringify(body)).toString("base64"),
          isBase64Encoded: true,
        }) as unknown as APIGatewayProxyEvent;
      const before = await highWatermarks("t.user");
      const ok = await handler(event({ records: [{ value: userRecord(9001) }] }));
      assert.equal(ok.statusCode, 200);
      const { offsets } = JSON.parse(ok.body) as { offsets: Array<{ offset: number }> };
      assert.equal(offsets[0].offset, Number(before[0]));
      const bad = await handler(event({ records: [{ value: { ind: "x" } }] }));
      assert.equal(bad.statusCode, 422);
      const wrongType = await handler(event({ records: [] }, "text/plain"));
      assert.equal(wrongType.statusCode, 415);
      const landed = await readAll("t.user");
      assert.deepEqual(landed[landed.length - 1].value, userRecord(9001));
    } finally {
      for (const key of Object.keys(env)) delete process.env[key];
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("counts accepted records and rejected requests", () => {
    assert.ok(server.stats.recordsAccepted >= 36);
    assert.ok(server.stats.recordsFailed >= 1 + 2);
    assert.equal(server.stats.rejected["415"], 1);
    assert.equal(server.stats.rejected["422"], 3); // two bad records, one inexact number
    assert.equal(server.stats.rejected["400"], 3 + 1 + 2); // malformed, no records, empty; invalid UTF-8; two too deep
    assert.equal(server.stats.rejected["403"], 1);
    assert.ok(server.stats.rejected["503"] >= 2);
  });
});
