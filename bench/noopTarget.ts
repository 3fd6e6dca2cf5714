/**
 * A target that accepts everything and does nothing: both REST contracts (Kafka REST Proxy v2 produce and
 * the Kinesis PutRecords API), answered with success for every record. Its own process, for benchmarks.
 * Prints {"url": ...} once listening.
 */
import * as http from "node:http";
import { AddressInfo } from "node:net";

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const n = (JSON.parse(Buffer.concat(chunks).toString()) as { records: unknown[] }).records.length;
    const body = req.url?.startsWith("/topics/")
      ? {
          offsets: Array.from({ length: n }, (_, i) => ({
            partition: 0,
            offset: i,
            error_code: null,
            error: null,
          })),
        }
      : {
          FailedRecordCount: 0,
          Records: Array.from({ length: n }, (_, i) => ({
            SequenceNumber: String(i),
            ShardId: "shardId-000000000000",
          })),
        };
    const text = JSON.stringify(body);
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  });
});
server.keepAliveTimeout = 30000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`,
  );
});
process.once("SIGTERM", () => server.close(() => process.exit(0)));
