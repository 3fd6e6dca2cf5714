/**
 * ProduceGateway on kafkajs: an idempotent producer (acks=all), one batch per partition, and failures sorted
 * into retriable (the client should retry: broker down, leader moving, timeouts) and not.
 */
import { Kafka, KafkaConfig, logLevel, Producer, Admin } from "kafkajs";
import { ProduceGateway, ProducedBatch, RetriableProduceError } from "./restProxy";

/** Kafka protocol errors that retrying the same records cannot fix. */
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

export interface KafkaGatewayOptions {
  brokers: string[];
  clientId?: string;
  ssl?: KafkaConfig["ssl"];
  sasl?: KafkaConfig["sasl"];
  /** Per request. Default 5000 ms: an API Gateway request must finish within 29 s, retries included. */
  requestTimeoutMs?: number;
  /** Retries of one send before it fails. Default 3. */
  retries?: number;
  /** How long a topic's partition count is cached. Default 60 s. */
  metadataTtlMs?: number;
}

export interface KafkaGateway extends ProduceGateway {
  disconnect(): Promise<void>;
}

export function kafkaGateway(options: KafkaGatewayOptions): KafkaGateway {
  const retry = { initialRetryTime: 100, maxRetryTime: 1000, retries: options.retries ?? 3 };
  const kafka = new Kafka({
    clientId: options.clientId ?? "rest-ingest",
    brokers: options.brokers,
    ssl: options.ssl,
    sasl: options.sasl,
    connectionTimeout: 2000,
    requestTimeout: options.requestTimeoutMs ?? 5000,
    retry,
    logLevel: logLevel.NOTHING,
  });
  const ttl = options.metadataTtlMs ?? 60000;
  let producer: Promise<Producer> | undefined;
  let admin: Promise<Admin> | undefined;
  const counts = new Map<string, { count: number; at: number }>();

  // Connections are made on first use and made again after a failed connect.
  const connected = <T extends Producer | Admin>(
    make: () => T,
    current: Promise<T> | undefined,
    set: (p: Promise<T> | undefined) => void,
  ) => {
    if (current) return current;
    const client = make();
    const ready = client.connect().then(() => client);
    set(ready);
    ready.catch(() => set(undefined));
    return ready;
  };
  const getProducer = () =>
    connected(
      () =>
        kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry }),
      producer,
      (p) => {
        producer = p;
      },
    );
  const getAdmin = () =>
    connected(
      () => kafka.admin({ retry }),
      admin,
      (a) => {
        admin = a;
      },
    );

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

    async sendBatch(topic, partition, messages): Promise<ProducedBatch> {
      try {
        const [metadata] = await (
          await getProducer()
        ).send({
          topic,
          acks: -1,
          messages: messages.map(({ key, value }) => ({ key, value, partition })),
        });
        return { baseOffset: String(metadata.baseOffset) };
      } catch (err) {
        const message = `${(err as Error).name}: ${(err as Error).message}`;
        if (isRetriable(err)) throw new RetriableProduceError(message);
        throw new Error(message);
      }
    },

    async disconnect(): Promise<void> {
      const clients = [producer, admin];
      producer = undefined;
      admin = undefined;
      await Promise.all(
        clients.map(async (c) => (c ? (await c.catch(() => undefined))?.disconnect() : undefined)),
      );
    },
  };
}
