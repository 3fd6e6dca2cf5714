/**
 * The REST ingest: Confluent REST Proxy v2's produce API (`POST /topics/{topic}`), so the original's clients
 * work unchanged. Transport-free: the Lambda handler and the local HTTP server both adapt their requests to
 * `IngestRequest` and send back the `IngestResponse`.
 *
 * Contract (docs/ingest-api.md): one `offsets` entry per record, in order. A request is validated whole
 * before anything is produced (one bad record: 422, nothing written). Records are produced per partition,
 * one atomic batch each, so a failure is reported exactly for the records of the batches that failed.
 */
import { PartitionerArgs, Partitioners } from "kafkajs";
import { describeSchemaProblem, EventKind } from "../events";

export const REQUEST_CONTENT_TYPE = "application/vnd.kafka.json.v2+json";
export const RESPONSE_CONTENT_TYPE = "application/vnd.kafka.v2+json";
export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;

/** Confluent-style error codes: HTTP status followed by a detail digit pair. */
export const ERROR_CODES = {
  notFound: 404,
  topicNotFound: 40401,
  partitionNotFound: 40402,
  methodNotAllowed: 405,
  badRequest: 400,
  unsupportedMediaType: 415,
  tooLarge: 413,
  invalidRecord: 42201,
  kafkaError: 50002,
  kafkaRetriable: 50003,
  unavailable: 50301,
} as const;

export interface IngestRequest {
  method: string;
  /** Path without stage, e.g. "/topics/pinpipe-dev.pin". */
  path: string;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export interface IngestResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface ProducedBatch {
  /** Offset of the batch's first record; the others follow in order. */
  baseOffset: string;
}

/** Where records go: Kafka through kafkajs in production and tests (kafkaGateway.ts). */
export interface ProduceGateway {
  partitionCount(topic: string): Promise<number>;
  /** Appends the messages to one partition as one batch: all of them land, or the promise rejects. */
  sendBatch(
    topic: string,
    partition: number,
    messages: Array<{ key: Buffer | null; value: Buffer }>,
  ): Promise<ProducedBatch>;
}

export class RetriableProduceError extends Error {}

export interface IngestStats {
  requests: number;
  recordsAccepted: number;
  recordsFailed: number;
  /** Rejected requests by HTTP status. */
  rejected: Record<string, number>;
}

export interface RestIngestOptions {
  /** Accepted topics and the record kind each carries; any other topic is 404. */
  topics: Record<string, EventKind>;
  gateway: ProduceGateway;
  /** Largest body accepted. Default 5 MiB. */
  maxBodyBytes?: number;
  /** Called once per rejected request, for logs (the Lambda logs it as JSON). */
  onReject?: (event: { status: number; errorCode: number; message: string; topic?: string }) => void;
}

interface OffsetEntry {
  partition: number | null;
  offset: number | null;
  error_code: number | null;
  error: string | null;
}

type Handler = ((request: IngestRequest) => Promise<IngestResponse>) & { stats: IngestStats };

export function createRestIngest(options: RestIngestOptions): Handler {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const stats: IngestStats = { requests: 0, recordsAccepted: 0, recordsFailed: 0, rejected: {} };
  const partitioners = new Map<string, (args: PartitionerArgs) => number>();

  const reject = (
    status: number,
    errorCode: number,
    message: string,
    topic?: string,
    headers: Record<string, string> = {},
  ) => {
    stats.rejected[status] = (stats.rejected[status] ?? 0) + 1;
    options.onReject?.({ status, errorCode, message, topic });
    return json(status, { error_code: errorCode, message }, headers);
  };

  const handle = async (request: IngestRequest): Promise<IngestResponse> => {
    stats.requests++;
    const match = /^\/topics\/([^/]+)\/?$/.exec(request.path);
    if (!match)
      return reject(404, ERROR_CODES.notFound, `HTTP 404 Not Found: no resource at ${request.path}`);
    const topic = decodeURIComponent(match[1]);
    if (request.method !== "POST") {
      return reject(
        405,
        ERROR_CODES.methodNotAllowed,
        `HTTP 405 Method Not Allowed: use POST /topics/${topic}`,
        topic,
        {
          allow: "POST",
        },
      );
    }
    const kind = Object.prototype.hasOwnProperty.call(options.topics, topic)
      ? options.topics[topic]
      : undefined;
    if (kind === undefined) return reject(404, ERROR_CODES.topicNotFound, `Topic ${topic} not found.`, topic);

    const contentType = (request.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    if (contentType !== REQUEST_CONTENT_TYPE) {
      return reject(
        415,
        ERROR_CODES.unsupportedMediaType,
        `HTTP 415 Unsupported Media Type: Content-Type must be ${REQUEST_CONTENT_TYPE}, got '${contentType || "none"}'`,
        topic,
      );
    }
    if (request.body.length > maxBodyBytes) {
      return reject(
        413,
        ERROR_CODES.tooLarge,
        `Request body of ${request.body.length} bytes exceeds the limit of ${maxBodyBytes}`,
        topic,
      );
    }
    let payload: unknown;
    try {
      payload = JSON.parse(request.body.toString("utf8"));
    } catch (err) {
      return reject(400, ERROR_CODES.badRequest, `Malformed JSON: ${(err as Error).message}`, topic);
    }
    const records = (payload as { records?: unknown } | null)?.records;
    if (
      payload === null ||
      typeof payload !== "object" ||
      Array.isArray(payload) ||
      !Array.isArray(records)
    ) {
      return reject(400, ERROR_CODES.badRequest, "Body must be a JSON object with a 'records' array", topic);
    }
    if (records.length === 0) return reject(400, ERROR_CODES.badRequest, "'records' is empty", topic);

    // Validate every record before producing any, so a bad one leaves nothing written.
    for (const [i, record] of records.entries()) {
      if (record === null || typeof record !== "object" || Array.isArray(record) || !("value" in record)) {
        return reject(
          422,
          ERROR_CODES.invalidRecord,
          `records[${i}] must be an object with a 'value'`,
          topic,
        );
      }
      const problem = describeSchemaProblem(kind, (record as { value: unknown }).value);
      if (problem !== null) {
        return reject(
          422,
          ERROR_CODES.invalidRecord,
          `records[${i}].value is not a ${kind} event: ${problem}`,
          topic,
        );
      }
      const partition = (record as { partition?: unknown }).partition;
      if (
        partition !== undefined &&
        partition !== null &&
        !(Number.isInteger(partition) && (partition as number) >= 0)
      ) {
        return reject(
          422,
          ERROR_CODES.invalidRecord,
          `records[${i}].partition must be a non-negative integer`,
          topic,
        );
      }
    }
    const typed = records as Array<{ value: unknown; key?: unknown; partition?: number | null }>;

    let partitionCount: number;
    try {
      partitionCount = await options.gateway.partitionCount(topic);
    } catch (err) {
      return reject(
        503,
        ERROR_CODES.unavailable,
        `Kafka unavailable, retry the request: ${(err as Error).message}`,
        topic,
        {
          "retry-after": "1",
        },
      );
    }
    const outOfRange = typed.findIndex(
      (r) => typeof r.partition === "number" && r.partition >= partitionCount,
    );
    if (outOfRange >= 0) {
      return reject(
        404,
        ERROR_CODES.partitionNotFound,
        `Partition ${typed[outOfRange].partition} of topic ${topic} not found.`,
        topic,
      );
    }

    // Assign partitions as Kafka's Java client would: murmur2 of the key, round robin without one.
    let partitioner = partitioners.get(topic);
    if (!partitioner) {
      partitioner = Partitioners.DefaultPartitioner();
      partitioners.set(topic, partitioner);
    }
    const partitionMetadata = Array.from({ length: partitionCount }, (_, id) => ({
      partitionId: id,
      leader: 0,
      replicas: [0],
      isr: [0],
      partitionErrorCode: 0,
    }));
    const groups = new Map<number, number[]>();
    const messages = typed.map((r, i) => {
      const key = r.key === undefined || r.key === null ? null : Buffer.from(JSON.stringify(r.key));
      const value = Buffer.from(JSON.stringify(r.value));
      const partition =
        typeof r.partition === "number"
          ? r.partition
          : partitioner({ topic, partitionMetadata, message: { key, value } });
      groups.set(partition, [...(groups.get(partition) ?? []), i]);
      return { key, value };
    });

    const offsets: OffsetEntry[] = typed.map(() => ({
      partition: null,
      offset: null,
      error_code: null,
      error: null,
    }));
    let retriableFailures = 0;
    let failures = 0;
    let lastError = "";
    await Promise.all(
      [...groups.entries()].map(async ([partition, indexes]) => {
        try {
          const { baseOffset } = await options.gateway.sendBatch(
            topic,
            partition,
            indexes.map((i) => messages[i]),
          );
          indexes.forEach((recordIndex, n) => {
            offsets[recordIndex] = {
              partition,
              offset: Number(BigInt(baseOffset) + BigInt(n)),
              error_code: null,
              error: null,
            };
          });
        } catch (err) {
          const retriable = err instanceof RetriableProduceError;
          lastError = (err as Error).message;
          failures += indexes.length;
          if (retriable) retriableFailures += indexes.length;
          for (const recordIndex of indexes) {
            offsets[recordIndex] = {
              partition,
              offset: null,
              error_code: retriable ? ERROR_CODES.kafkaRetriable : ERROR_CODES.kafkaError,
              error: lastError,
            };
          }
        }
      }),
    );
    stats.recordsAccepted += typed.length - failures;
    stats.recordsFailed += failures;
    if (failures === typed.length && retriableFailures === failures) {
      return reject(
        503,
        ERROR_CODES.unavailable,
        `Kafka unavailable, nothing was written; retry the request: ${lastError}`,
        topic,
        {
          "retry-after": "1",
        },
      );
    }
    return json(200, { key_schema_id: null, value_schema_id: null, offsets });
  };

  return Object.assign(handle, { stats });
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): IngestResponse {
  return {
    status,
    headers: { "content-type": RESPONSE_CONTENT_TYPE, ...headers },
    body: JSON.stringify(body),
  };
}
