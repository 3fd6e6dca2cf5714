/**
 * ProduceGateway on kafkajs: an idempotent producer (acks=all) that keeps the REST ingest's promise under
 * faults: a batch it reports written is in Kafka exactly once at the offsets it reports, and a batch it
 * reports failed is either not written or reported as "may have been written".
 *
 * Why it is built this way (docs/cloud-contracts.md, "Kafka idempotent producer"):
 * - The broker deduplicates a retried batch only if it carries the same producer id and the same sequence
 *   numbers as the first try, and answers the duplicate with the first try's offsets.
 * - kafkajs 2.2.4 hands a batch's sequence numbers back when its request fails in any way, a timeout
 *   included (src/producer/sendMessages.js), although a timed-out request may still be appended once the
 *   broker gets to it. If another batch for the same partition then takes those numbers, the broker takes
 *   it for a duplicate of the first: it is acknowledged at the first batch's offsets and never written.
 *   That is how a paused broker lost acknowledged records and stored others twice.
 * So: one batch at a time per partition, so only the batch's own retries (kafkajs's, same producer, same
 * numbers: deduplicated by the broker) can take its sequence numbers while its outcome is open. A batch that
 * fails after its request reached a socket may still land: it is reported as "may have been written", and
 * the producer is retired, so the next batch gets a new producer id and never the numbers it may have used.
 * Whether a request reached a socket is seen, not guessed: the sockets count the produce requests written,
 * and which batch each carried.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import { Kafka, KafkaConfig, logLevel, Producer, Admin, ISocketFactory } from "kafkajs";
import { ProduceGateway, ProducedBatch, RetriableProduceError, UncertainProduceError } from "./restProxy";

/** Kafka protocol errors that retrying the same records cannot fix: the broker refused this very batch. */
const PERMANENT_ERRORS = new Set([
  "MESSAGE_TOO_LARGE",
  "RECORD_LIST_TOO_LARGE",
  "INVALID_RECORD",
  "CORRUPT_MESSAGE",
  "TOPIC_AUTHORIZATION_FAILED",
  "CLUSTER_AUTHORIZATION_FAILED",
  "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
  "INVALID_TOPIC_EXCEPTION",
  "SASL_AUTHENTICATION_FAILED",
]);

interface KafkaJsError extends Error {
  type?: string;
  cause?: unknown;
  originalError?: unknown;
}

/** The first Kafka protocol error type in an error's chain of causes, if any. */
function protocolErrorType(err: unknown): string | undefined {
  let current = err as KafkaJsError | undefined;
  for (let depth = 0; current && depth < 8; depth++) {
    if (typeof current.type === "string") return current.type;
    current = (current.originalError ?? current.cause) as KafkaJsError | undefined;
  }
  return undefined;
}

export function isRetriable(err: unknown): boolean {
  const type = protocolErrorType(err);
  return type === undefined || !PERMANENT_ERRORS.has(type);
}

/** Kafka's API key of Produce, the int16 after a request's int32 size. */
const PRODUCE_API_KEY = 0;

/**
 * kafkajs's own socket factory (src/network/socketFactory.js), with each produce request written watched:
 * a batch whose bytes went out may land, whatever its promise says later.
 */
function watchingSocketFactory(watchers: Set<Watcher>): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    const socket = ssl
      ? tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
      : net.connect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60000);
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = (chunk: unknown, ...rest: unknown[]) => {
      if (
        watchers.size > 0 &&
        Buffer.isBuffer(chunk) &&
        chunk.length > 6 &&
        chunk.readInt16BE(4) === PRODUCE_API_KEY
      ) {
        // A produce request holds one batch (one send is one partition); its first record's key or value
        // starts within the request's header, topic name and batch header (NEEDLE_WINDOW bytes).
        const head = chunk.subarray(0, NEEDLE_WINDOW + NEEDLE_BYTES);
        for (const watcher of watchers)
          if (!watcher.sent && head.includes(watcher.needle)) watcher.sent = true;
      }
      return write(chunk, ...rest);
    };
    return socket;
  };
}

interface Watcher {
  /**
   * Bytes this batch's produce request carries early: the start of its first record's key, or of its value
   * when it has no key (records are sent uncompressed). Another batch carrying the same bytes can only make
   * the answer "may have been written" where "not written" was true, never the reverse.
   */
  needle: Buffer;
  sent: boolean;
}

const NEEDLE_BYTES = 256;
/** Request header with client id, acks, timeout, topic name (at most 249), partition, batch header, ... */
const NEEDLE_WINDOW = 1024;

export interface KafkaGatewayOptions {
  brokers: string[];
  clientId?: string;
  ssl?: KafkaConfig["ssl"];
  sasl?: KafkaConfig["sasl"];
  /** One produce request's timeout. Default 4000 ms. */
  requestTimeoutMs?: number;
  /** kafkajs's retries of one batch after its first try (at least 1 for an idempotent producer). Default 2. */
  retries?: number;
  /** How long a topic's partition count is cached. Default 60 s. */
  metadataTtlMs?: number;
}

export interface KafkaGateway extends ProduceGateway {
  disconnect(): Promise<void>;
}

export function kafkaGateway(options: KafkaGatewayOptions): KafkaGateway {
  const requestTimeout = options.requestTimeoutMs ?? 4000;
  const retry = { initialRetryTime: 100, maxRetryTime: 1000, retries: Math.max(1, options.retries ?? 2) };
  const watchers = new Set<Watcher>();
  const kafka = new Kafka({
    clientId: options.clientId ?? "rest-ingest",
    brokers: options.brokers,
    ssl: options.ssl,
    sasl: options.sasl,
    connectionTimeout: 2000,
    requestTimeout,
    retry,
    logLevel: logLevel.NOTHING,
    socketFactory: watchingSocketFactory(watchers),
  });
  const ttl = options.metadataTtlMs ?? 60000;
  const counts = new Map<string, { count: number; at: number }>();

  let producer: Promise<Producer> | undefined;
  const inFlight = new Map<Producer, number>();
  const retired = new Set<Producer>();
  const getProducer = (): Promise<Producer> => {
    if (producer) return producer;
    const client = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry,
    });
    const ready = client.connect().then(() => client);
    producer = ready;
    ready.catch(() => {
      if (producer === ready) producer = undefined;
    });
    return ready;
  };
  const release = (client: Producer) => {
    const n = (inFlight.get(client) ?? 1) - 1;
    if (n > 0) {
      inFlight.set(client, n);
      return;
    }
    inFlight.delete(client);
    if (retired.delete(client)) void client.disconnect().catch(() => undefined);
  };
  /** The next batch gets a new producer (a new producer id); this one closes once its batches are done. */
  const retire = (client: Producer, current: Promise<Producer> | undefined) => {
    if (producer === current) producer = undefined;
    retired.add(client);
    if (!inFlight.has(client)) release(client);
  };

  let admin: Promise<Admin> | undefined;
  const getAdmin = (): Promise<Admin> => {
    if (admin) return admin;
    const client = kafka.admin({ retry });
    const ready = client.connect().then(() => client);
    admin = ready;
    ready.catch(() => {
      if (admin === ready) admin = undefined;
    });
    return ready;
  };

  // One batch at a time per partition: the tail of each partition's queue.
  const queues = new Map<string, Promise<void>>();

  async function produce(
    topic: string,
    partition: number,
    messages: Array<{ key: Buffer | null; value: Buffer }>,
  ): Promise<ProducedBatch> {
    const current = getProducer();
    let client: Producer;
    try {
      client = await current;
    } catch (err) {
      throw new RetriableProduceError(`not written: ${(err as Error).name}: ${(err as Error).message}`);
    }
    const first = messages[0];
    const watcher: Watcher = { needle: (first.key ?? first.value).subarray(0, NEEDLE_BYTES), sent: false };
    watchers.add(watcher);
    inFlight.set(client, (inFlight.get(client) ?? 0) + 1);
    try {
      const [metadata] = await client.send({
        topic,
        acks: -1,
        // The broker's own wait for the in-sync replicas ends before the request times out.
        timeout: Math.max(1000, requestTimeout - 500),
        messages: messages.map(({ key, value }) => ({ key, value, partition })),
      });
      return { baseOffset: String(metadata.baseOffset) };
    } catch (err) {
      const cause = `${(err as Error).name}: ${(err as Error).message}`;
      if (!isRetriable(err)) throw new Error(cause);
      if (!watcher.sent) throw new RetriableProduceError(`not written: ${cause}`);
      retire(client, current);
      throw new UncertainProduceError(`may have been written: Kafka did not confirm the batch (${cause})`);
    } finally {
      watchers.delete(watcher);
      release(client);
    }
  }

  return {
    async partitionCount(topic: string): Promise<number> {
      const cached = counts.get(topic);
      if (cached && Date.now() - cached.at < ttl) return cached.count;
      const { topics } = await (await getAdmin()).fetchTopicMetadata({ topics: [topic] });
      const count = topics[0]?.partitions.length ?? 0;
      if (count === 0) throw new Error(`topic ${topic} has no partitions`);
      counts.set(topic, { count, at: Date.now() });
      return count;
    },

    async sendBatch(topic, partition, messages, deadline = Date.now() + 20000): Promise<ProducedBatch> {
      const key = `${topic}\u0000${partition}`;
      const previous = queues.get(key) ?? Promise.resolve();
      let done!: () => void;
      const tail = previous.then(() => new Promise<void>((resolve) => (done = resolve)));
      queues.set(key, tail);
      let timer: NodeJS.Timeout | undefined;
      const turn = await Promise.race([
        previous.then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), deadline - Date.now()))),
      ]);
      clearTimeout(timer);
      try {
        if (!turn) {
          throw new RetriableProduceError(
            `not written: partition ${partition} was busy with earlier batches until the request's deadline`,
          );
        }
        return await produce(topic, partition, messages);
      } finally {
        // Released once this batch is settled, or (when it gave up waiting) once the one before it is.
        void previous.then(() => {
          done();
          if (queues.get(key) === tail) queues.delete(key);
        });
      }
    },

    async disconnect(): Promise<void> {
      const current = [producer, admin];
      producer = undefined;
      admin = undefined;
      const others = [...inFlight.keys(), ...retired];
      await Promise.all([
        ...current.map(async (c) => (c ? (await c.catch(() => undefined))?.disconnect() : undefined)),
        ...others.map((c) => c.disconnect().catch(() => undefined)),
      ]);
    },
  };
}
