/**
 * The local stand-in for MSK Connect's S3 sink: copies Kafka topics into a lake folder in the connector's
 * layout, `topics/<topic>/partition=<p>/<topic>+<p>+<startOffset>.json` (one JSON record per line).
 *
 * Like the connector, a file is named by the offset of its first record and the group's offset is committed
 * only after the file is in place (written to a temporary name, then renamed), so nothing is lost: the sink
 * resumes at the committed offset. Like the connector with scheduled (wall-clock) rotation, as deployed, it is
 * at-least-once: when a commit fails (the broker paused or restarting) the range is read again and cut into
 * files at other offsets, so a record can land twice, always as the same record at the same partition and
 * offset. The batch keeps one row per post (docs/cloud-contracts.md, "Kafka to the lake").
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Consumer, Kafka, logLevel } from "kafkajs";

export interface LakeSinkOptions {
  brokers: string[];
  topics: string[];
  /** Root of the lake; files go under <lakeDir>/topics/. */
  lakeDir: string;
  /** Records per file. Default 1000. */
  flushSize?: number;
  /** A partition's open file is written at least this often. Default 1000 ms. */
  flushIntervalMs?: number;
  groupId?: string;
}

interface Pending {
  startOffset: string;
  lines: string[];
  lastOffset: string;
}

export function lakeFileName(topic: string, partition: number, startOffset: string | number): string {
  return `${topic}+${partition}+${String(startOffset).padStart(10, "0")}.json`;
}

export class LakeSink {
  private readonly kafka: Kafka;
  private consumer?: Consumer;
  private readonly pending = new Map<string, Pending>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  /** Records written to the lake, per topic. */
  public readonly written: Record<string, number> = {};

  constructor(private readonly options: LakeSinkOptions) {
    this.kafka = new Kafka({
      clientId: "lake-sink",
      brokers: options.brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 1000, initialRetryTime: 200, maxRetryTime: 2000 },
    });
    for (const t of options.topics) this.written[t] = 0;
  }

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId ?? "lake-sink",
      retry: { retries: 1000, initialRetryTime: 200, maxRetryTime: 2000 },
    });
    this.consumer = consumer;
    await consumer.connect();
    for (const topic of this.options.topics) await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        for (const message of batch.messages) {
          const key = `${batch.topic}\u0000${batch.partition}`;
          const open = this.pending.get(key) ?? {
            startOffset: message.offset,
            lines: [],
            lastOffset: message.offset,
          };
          open.lines.push(message.value ? message.value.toString("utf8") : "");
          open.lastOffset = message.offset;
          this.pending.set(key, open);
          payload.resolveOffset(message.offset);
          if (open.lines.length >= (this.options.flushSize ?? 1000)) await this.flush(key);
        }
        await payload.heartbeat();
      },
    });
    this.timer = setInterval(
      () => void this.flushAll().catch(() => undefined),
      this.options.flushIntervalMs ?? 1000,
    );
  }

  /** Writes every open file now and commits their offsets. */
  flushAll(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      for (const key of [...this.pending.keys()]) await this.flushOne(key);
    });
    return this.flushing;
  }

  private flush(key: string): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushOne(key));
    return this.flushing;
  }

  private async flushOne(key: string): Promise<void> {
    const open = this.pending.get(key);
    if (!open || open.lines.length === 0) return;
    const [topic, partitionText] = key.split("\u0000");
    const partition = Number(partitionText);
    const dir = path.join(this.options.lakeDir, "topics", topic, `partition=${partition}`);
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, lakeFileName(topic, partition, open.startOffset));
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, `${open.lines.join("\n")}\n`);
    fs.renameSync(tmp, file);
    this.pending.delete(key);
    this.written[topic] += open.lines.length;
    await this.consumer!.commitOffsets([{ topic, partition, offset: String(BigInt(open.lastOffset) + 1n) }]);
  }

  /** Flushes what is open and leaves the group. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    try {
      await this.flushAll();
    } finally {
      await this.consumer?.disconnect();
    }
  }
}
