/**
 * Benchmark (not a test): records/s through the local Kinesis API twin (templates and schemas evaluated as
 * API Gateway does) into kinesis-local, for PUT /record (one record per request) and PUT /records at 500
 * records per request. Baseline in the same run: the AWS SDK's PutRecords straight to kinesis-local with
 * the same batches, so the ratio is the cost of the API layer.
 *
 *   npm run bench:kinesis-ingest [-- --seconds 10 --concurrency 8]
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { Command } from "commander";
import { KinesisLocal } from "../local/services/kinesis";
import { ServiceProcess, startUrlService } from "../local/services/process";
import { userRecord } from "../local/sampleRecords";

async function measure(seconds: number, concurrency: number, once: () => Promise<number>): Promise<number> {
  const warmEnd = Date.now() + 2000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < warmEnd) await once();
    }),
  );
  let records = 0;
  const started = performance.now();
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) records += await once();
    }),
  );
  return records / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const opts = new Command("bench-kinesis-ingest")
    .option("--seconds <n>", "measured seconds per case", (v) => Number(v), 10)
    .option(
      "--concurrency <n>",
      "requests in flight (kinesis-local slows down sharply with more)",
      (v) => Number(v),
      1,
    )
    .parse(process.argv)
    .opts<{ seconds: number; concurrency: number }>();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-kinesis-"));
  // A fresh stream per case: kinesis-local slows down as a stream fills, which would favour the first case.
  const kinesis = await KinesisLocal.launch({
    stateDir: dir,
    streams: ["b-one", "b-batch", "b-sdk"].map((name) => ({ name, shards: 4 })),
  });
  let api: ServiceProcess | undefined;
  const client = kinesis.client();
  try {
    const started = await startUrlService(
      "kinesis-api",
      "local/kinesisApiServer.ts",
      ["--kinesis", kinesis.endpoint, "--streams", "b-one,b-batch"],
      dir,
    );
    api = started.process;
    const url = started.url;
    const one = JSON.stringify({ Data: userRecord(1), PartitionKey: "1" });
    const batch = JSON.stringify({
      records: Array.from({ length: 500 }, (_, i) => ({ data: userRecord(i), "partition-key": String(i) })),
    });
    const put = async (route: string, body: string, n: number) => {
      const stream = route === "record" ? "b-one" : "b-batch";
      const r = await fetch(`${url}/streams/${stream}/${route}`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body,
      });
      const answer = (await r.json()) as { FailedRecordCount?: number };
      if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${JSON.stringify(answer)}`);
      return n - (answer.FailedRecordCount ?? 0);
    };
    const sdkRecords = Array.from({ length: 500 }, (_, i) => ({
      Data: Buffer.from(JSON.stringify(userRecord(i))),
      PartitionKey: String(i),
    }));
    const results = [
      [
        "Kinesis API twin, PUT /record (1 record/request)",
        await measure(opts.seconds, opts.concurrency, () => put("record", one, 1)),
      ],
      [
        "Kinesis API twin, PUT /records (500 records/request)",
        await measure(opts.seconds, opts.concurrency, () => put("records", batch, 500)),
      ],
      [
        "AWS SDK PutRecords direct to kinesis-local (500 records/request)",
        await measure(opts.seconds, opts.concurrency, async () => {
          const r = await client.send(new PutRecordsCommand({ StreamName: "b-sdk", Records: sdkRecords }));
          return 500 - (r.FailedRecordCount ?? 0);
        }),
      ],
    ] as const;
    const baseline = results[2][1];
    const lines = [
      `Kinesis API benchmark, ${new Date().toISOString()}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), Node ${process.version}`,
      `kinesis-local 0.6.2, a fresh 4-shard stream per case, user records of ${Buffer.byteLength(JSON.stringify(userRecord(1)))} bytes, ${opts.concurrency} requests in flight, ${opts.seconds} s per case`,
      "",
      "| case | records/s | vs SDK direct |",
      "| --- | ---: | ---: |",
      ...results.map(
        ([label, r]) =>
          `| ${label} | ${Math.round(r).toLocaleString("en-US")} | ${(r / baseline).toFixed(2)} |`,
      ),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    client.destroy();
    await api?.stop();
    await kinesis.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
