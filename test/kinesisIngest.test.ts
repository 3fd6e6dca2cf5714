/**
 * The Kinesis API's local twin (the component's own templates and schemas, evaluated as API Gateway does)
 * in front of a real Kinesis API implementation (kinesis-local), read back with the AWS SDK.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
} from "@aws-sdk/client-kinesis";
import { KinesisApiServer, startKinesisApiServer } from "../local/kinesisApi";
import { KinesisLocal, LOCAL_CREDENTIALS } from "../local/services/kinesis";
import { DEFAULT_DELIVERY } from "../emulator/deliver";
import { runEmulator } from "../emulator/run";
import { geoRecord, pinRecord, userRecord } from "../local/sampleRecords";

const STREAMS = ["t-pin", "t-geo", "t-user", "t-large", "t-small", "t-bad"];

describe("Kinesis API (local twin) against kinesis-local", function () {
  this.timeout(180000);
  let stateDir: string;
  let kinesis: KinesisLocal;
  let api: KinesisApiServer;
  let client: KinesisClient;

  async function call(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${api.url}${route}`, {
      method,
      headers: { "content-type": "application/json", "x-api-key": "k", ...headers },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** Every record in a stream, decoded from JSON. */
  async function readAll(stream: string): Promise<Array<{ data: unknown; partitionKey: string }>> {
    const { Shards } = await client.send(new ListShardsCommand({ StreamName: stream }));
    const out: Array<{ data: unknown; partitionKey: string }> = [];
    for (const shard of Shards ?? []) {
      const { ShardIterator } = await client.send(
        new GetShardIteratorCommand({
          StreamName: stream,
          ShardId: shard.ShardId,
          ShardIteratorType: "TRIM_HORIZON",
        }),
      );
      let iterator = ShardIterator;
      for (let i = 0; iterator && i < 20; i++) {
        const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10000 }));
        for (const r of page.Records ?? []) {
          out.push({
            data: JSON.parse(Buffer.from(r.Data!).toString()) as unknown,
            partitionKey: r.PartitionKey!,
          });
        }
        if ((page.Records ?? []).length === 0) break;
        iterator = page.NextShardIterator;
      }
    }
    return out;
  }

  before(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "kinesis-test-"));
    kinesis = await KinesisLocal.launch({
      stateDir,
      // t-small keeps Kinesis's default 1 MiB record size, as a stream made outside the stack would.
      streams: STREAMS.map((name) => ({
        name,
        shards: 1,
        ...(name === "t-small" ? { maxRecordSizeKiB: 1024 } : {}),
      })),
    });
    client = kinesis.client();
    api = await startKinesisApiServer({
      kinesisEndpoint: kinesis.endpoint,
      region: kinesis.region,
      credentials: LOCAL_CREDENTIALS,
      streams: STREAMS,
      apiKey: "k",
    });
  });

  after(async () => {
    await api?.close();
    client?.destroy();
    await kinesis?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it("puts one record in the original's /record format, and the SDK reads back identical data", async () => {
    const value = pinRecord(7528);
    const answer = await call("PUT", "/streams/t-pin/record", {
      StreamName: "t-pin",
      Data: value,
      PartitionKey: "7528",
    });
    assert.equal(answer.status, 200);
    assert.match(String(answer.body.SequenceNumber), /^\d+$/);
    assert.equal(answer.body.ShardId, "shardId-000000000000");
    assert.deepEqual(await readAll("t-pin"), [{ data: value, partitionKey: "7528" }]);
  });

  it("puts a batch through /records and answers FailedRecordCount with one result per record", async () => {
    const values = [geoRecord(1), geoRecord(2, { country: 'Côte d\'Ivoire "quoted"' }), geoRecord(3)];
    const answer = await call("PUT", "/streams/t-geo/records", {
      records: values.map((data) => ({ data, "partition-key": String(data.ind) })),
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.FailedRecordCount, 0);
    assert.equal((answer.body.Records as unknown[]).length, 3);
    assert.deepEqual(
      await readAll("t-geo"),
      values.map((data) => ({ data, partitionKey: String(data.ind) })),
    );
  });

  it("describes a stream with GET /streams/{name}", async () => {
    const answer = await call("GET", "/streams/t-user");
    assert.equal(answer.status, 200);
    const summary = answer.body.StreamDescriptionSummary as Record<string, unknown>;
    assert.deepEqual(
      [summary.StreamName, summary.StreamStatus, summary.OpenShardCount],
      ["t-user", "ACTIVE", 1],
    );
  });

  it("rejects bad bodies with 400 and a clear message before Kinesis, writing nothing", async () => {
    const missing = await call("PUT", "/streams/t-user/record", { Data: userRecord(1) });
    assert.equal(missing.status, 400);
    assert.equal(
      missing.body.message,
      "Invalid request body: [body must have required property 'PartitionKey']",
    );
    const wrongShape = await call("PUT", "/streams/t-user/records", {
      records: [{ data: "not an object", "partition-key": "1" }],
    });
    assert.deepEqual(
      [wrongShape.status, wrongShape.body.message],
      [400, "Invalid request body: [/records/0/data must be object]"],
    );
    const tooMany = await call("PUT", "/streams/t-user/records", {
      records: Array.from({ length: 501 }, (_, i) => ({ data: userRecord(i), "partition-key": String(i) })),
    });
    assert.deepEqual(
      [tooMany.status, tooMany.body.message],
      [400, "Invalid request body: [/records must NOT have more than 500 items]"],
    );
    const notJson = await call("PUT", "/streams/t-user/records", "{oops");
    assert.equal(notJson.status, 400);
    const wrongType = await call("PUT", "/streams/t-user/record", "x", { "content-type": "text/plain" });
    assert.deepEqual(
      [wrongType.status, wrongType.body.message],
      [415, "Content-Type must be application/json"],
    );
    assert.deepEqual(await readAll("t-user"), []);
  });

  it("reaches only the stack's streams, only with the API key, and offers no stream management", async () => {
    const other = await call("PUT", "/streams/someone-elses/record", {
      Data: userRecord(1),
      PartitionKey: "1",
    });
    assert.deepEqual([other.status, other.body.message], [404, "No such stream: someone-elses"]);
    const noKey = await fetch(`${api.url}/streams/t-user`, { method: "GET" });
    assert.equal(noKey.status, 403);
    const create = await call("POST", "/streams/t-new", { ShardCount: 1 });
    assert.deepEqual([create.status, create.body.message], [404, "No such route: POST /streams/t-new"]);
    const remove = await call("DELETE", "/streams/t-user");
    assert.equal(remove.status, 404);
  });

  it("writes a record of 1.2 MB whole: the stack's streams take 10 MiB records, API Gateway's bodies stop at 10 MB", async () => {
    const huge = userRecord(11, { last_name: "x".repeat(1_200_000) });
    const answer = await call("PUT", "/streams/t-large/records", {
      records: [userRecord(10), huge, userRecord(12)].map((data) => ({
        data,
        "partition-key": String(data.ind),
      })),
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.FailedRecordCount, 0);
    const landed = (await readAll("t-large")).map((r) => r.data as { ind: number; last_name: string });
    assert.deepEqual(
      landed.map((r) => r.ind),
      [10, 11, 12],
    );
    assert.equal(landed[1].last_name.length, 1_200_000);
  });

  it("reports a failing record of a PutRecords batch, and writes the others (a stream at the 1 MiB default)", async () => {
    // kinesis-local refuses, record by record, data over the stream's record size.
    const small = userRecord(10);
    const huge = userRecord(11, { last_name: "x".repeat(1_200_000) });
    const answer = await call("PUT", "/streams/t-small/records", {
      records: [small, huge, userRecord(12)].map((data) => ({ data, "partition-key": String(data.ind) })),
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.FailedRecordCount, 1);
    const [a, b, c] = answer.body.Records as Array<{
      ErrorCode?: string;
      ErrorMessage?: string;
      SequenceNumber?: string;
    }>;
    assert.ok(a.SequenceNumber && c.SequenceNumber && !a.ErrorCode && !c.ErrorCode);
    assert.equal(b.ErrorCode, "InvalidArgumentException");
    assert.match(String(b.ErrorMessage), /exceeds the stream's max record size/);
    const landed = (await readAll("t-small")).map((r) => (r.data as { ind: number }).ind);
    assert.deepEqual(landed, [10, 12]);
  });

  it("refuses invalid UTF-8, nesting beyond 6 levels and integers beyond 2^53 with 400, writing nothing", async () => {
    const raw = Buffer.from(
      JSON.stringify({ Data: userRecord(20, { first_name: "J@n" }), PartitionKey: "20" }),
    );
    raw[raw.indexOf("@")] = 0xc3; // a lead byte with no continuation
    const badBytes = await fetch(`${api.url}/streams/t-bad/record`, {
      method: "PUT",
      headers: { "content-type": "application/json", "x-api-key": "k" },
      body: raw,
    });
    assert.equal(badBytes.status, 400);
    assert.match(((await badBytes.json()) as { message: string }).message, /not valid UTF-8/);

    const deep = `{"Data":{"ind":1,"extra":${"[".repeat(10000)}${"]".repeat(10000)}},"PartitionKey":"1"}`;
    const tooDeep = await call("PUT", "/streams/t-bad/record", deep);
    assert.equal(tooDeep.status, 400);
    assert.match(String(tooDeep.body.message), /^Invalid request body: /);
    const nest = (levels: number): unknown => (levels === 0 ? 1 : { n: nest(levels - 1) });
    const six = await call("PUT", "/streams/t-bad/record", {
      Data: { ind: 2, extra: nest(5) },
      PartitionKey: "2",
    });
    assert.equal(six.status, 200);
    const seven = await call("PUT", "/streams/t-bad/records", {
      records: [{ data: { ind: 3, extra: nest(6) }, "partition-key": "3" }],
    });
    assert.equal(seven.status, 400);

    const big = await call(
      "PUT",
      "/streams/t-bad/record",
      '{"Data":{"ind":12345678901234567891},"PartitionKey":"4"}',
    );
    assert.equal(big.status, 400);
    assert.match(String(big.body.message), /must be <= 9007199254740991/);
    assert.deepEqual(
      (await readAll("t-bad")).map((r) => (r.data as { ind: number }).ind),
      [2],
    );
  });

  it("takes the emulator's Kinesis batches: every post's records land once", async () => {
    const posts = Array.from({ length: 40 }, (_, i) => ({
      pin: pinRecord(5000 + i),
      geo: geoRecord(5000 + i),
      user: userRecord(5000 + i),
    }));
    let next = 0;
    const before = (await readAll("t-geo")).length;
    const summary = await runEmulator({
      targets: ["kinesis"],
      endpoints: {
        kinesis: { url: api.url, streams: { pin: "t-pin", geo: "t-geo", user: "t-user" } },
        apiKey: "k",
      },
      source: { randomMany: (n: number) => Promise.resolve(posts.slice(next, (next += n))) },
      count: 40,
      batchSize: 15,
      concurrency: 2,
      delivery: { ...DEFAULT_DELIVERY, apiKey: "k" },
    });
    assert.deepEqual(summary.targets.kinesis, {
      ...summary.targets.kinesis,
      posted: 120,
      acked: 120,
      failed: 0,
    });
    // Two requests in flight may land in either order: compare as sets, ordered by key.
    const geo = (await readAll("t-geo"))
      .slice(before)
      .sort((a, b) => (a.data as { ind: number }).ind - (b.data as { ind: number }).ind);
    assert.deepEqual(
      geo.map((r) => r.data),
      posts.map((p) => p.geo),
    );
    assert.deepEqual(
      geo.map((r) => r.partitionKey),
      posts.map((p) => String(p.geo.ind)),
    );
  });

  it("answers a body over API Gateway's 10 MB limit with 413", async () => {
    const answer = await call("PUT", "/streams/t-user/record", {
      Data: { blob: "x".repeat(11 * 1024 * 1024) },
      PartitionKey: "1",
    });
    assert.deepEqual([answer.status, answer.body.message], [413, "Request Entity Too Large"]);
  });
});
