/**
 * The REST ingest: Confluent REST Proxy v2's produce API (`POST /topics/{topic}`), so the original's clients
 * work unchanged. Transport-free: the Lambda handler and the local HTTP server both adapt their requests to
 * `IngestRequest` and send back the `IngestResponse`.
 *
 * Contract (docs/ingest-api.md): one `offsets` entry per record, in order. A request is validated whole
 * before anything is produced (bad bytes, a bad record, a limit: 4xx, nothing written). Records are
 * produced per partition in batches under the broker's batch limit, each batch atomic, so a failure is
 * reported exactly for the records of the batches that failed, and says whether they may have been written.
 */
import { PartitionerArgs, Partitioners } from "kafkajs";
import { describeSchemaProblem, EventKind } from "../../events";
import { decodeUtf8, MAX_VALUE_DEPTH, scanJson } from "../../jsonGuard";

export const REQUEST_CONTENT_TYPE = "application/vnd.kafka.json.v2+json";
export const RESPONSE_CONTENT_TYPE = "application/vnd.kafka.v2+json";

/**
 * The limits (docs/cloud-contracts.md): the body reaches Lambda base64-encoded (the API lists the content
 * type as binary), and a synchronous invocation's payload is at most 6 MB, so 4 MiB of body plus the event's
 * envelope fits; Kafka's message.max.bytes (1048588 by default, on MSK too) caps one record batch, so one
 * record's key and value may take 1,000,000 bytes and the rest is left for the batch's framing.
 */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_BATCH_BYTES = 1048588;
export const DEFAULT_MAX_RECORD_BYTES = 1_000_000;
/** Kafka's record batch header, and an upper bound of one record's framing without headers. */
const BATCH_OVERHEAD_BYTES = 61;
const RECORD_OVERHEAD_BYTES = 32;
/**
 * How long a batch may wait behind the earlier batches of its partition before it is answered "not
 * written". Sending then takes at most 3 tries of 4 s (kafkaGateway's defaults), so a request is answered
 * within the function's 25 s, before API Gateway's 29 s.
 */
export const DEFAULT_DEADLINE_MS = 10000;

/** Confluent-style error codes: HTTP status followed by a detail digit pair. */
export const ERROR_CODES = {
  notFound: 404,
  topicNotFound: 40401,
  partitionNotFound: 40402,
  methodNotAllowed: 405,
  badRequest: 400,
  unsupportedMediaType: 415,
  tooLarge: 413,
  recordTooLarge: 41302,
  invalidUtf8: 40001,
  tooDeep: 40002,
  invalidRecord: 42201,
  inexactNumber: 42203,
  kafkaError: 50002,
  kafkaRetriable: 50003,
  unavailable: 50301,
  mayHaveBeenWritten: 50401,
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
  /**
   * Appends the messages to one partition as one batch: all of them land at the offsets answered, or the
   * promise rejects with RetriableProduceError (not written), UncertainProduceError (may have been written)
   * or another error (not written, retrying cannot help). Gives up by `deadline` (epoch ms).
   */
  sendBatch(
    topic: string,
    partition: number,
    messages: Array<{ key: Buffer | null; value: Buffer }>,
    deadline?: number,
  ): Promise<ProducedBatch>;
}

/** Not written; the same records may be sent again. */
export class RetriableProduceError extends Error {}
/** Kafka did not confirm the batch in time: it may have been written (once), or not. */
export class UncertainProduceError extends Error {}

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
  /** Largest body accepted. Default 4 MiB. */
  maxBodyBytes?: number;
  /** Largest record (key and value as written). Default 1,000,000 bytes. */
  maxRecordBytes?: number;
  /** Largest batch sent to one partition: the broker's message.max.bytes. Default 1048588. */
  maxBatchBytes?: number;
  /** How long a batch may wait behind its partition's earlier batches. Default 10 s. */
  deadlineMs?: number;
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
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  if (maxRecordBytes + BATCH_OVERHEAD_BYTES + RECORD_OVERHEAD_BYTES > maxBatchBytes) {
    throw new Error(`maxRecordBytes ${maxRecordBytes} leaves no room for a batch of one in ${maxBatchBytes}`);
  }
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
    const decoded = decodeUtf8(request.body);
    if ("error" in decoded) return reject(400, ERROR_CODES.invalidUtf8, decoded.error, topic);
    // The body is level 1, `records` 2, a record 3, its value 4.
    const shape = scanJson(decoded.text, 3 + MAX_VALUE_DEPTH);
    if (shape?.kind === "depth") {
      return reject(
        400,
        ERROR_CODES.tooDeep,
        `${shape.message}: a record's key or value may nest ${MAX_VALUE_DEPTH} levels`,
        topic,
      );
    }
    let payload: unknown;
    try {
      payload = JSON.parse(decoded.text);
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
    // Reported after the body's shape, so a body that is not the produce request at all says so first.
    if (shape?.kind === "number") return reject(422, ERROR_CODES.inexactNumber, shape.message, topic);

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
    const messages = typed.map((r) => ({
      key: r.key === undefined || r.key === null ? null : Buffer.from(JSON.stringify(r.key)),
      value: Buffer.from(JSON.stringify(r.value)),
    }));
    const oversized = messages.findIndex((m) => m.value.length + (m.key?.length ?? 0) > maxRecordBytes);
    if (oversized >= 0) {
      const size = messages[oversized].value.length + (messages[oversized].key?.length ?? 0);
      return reject(
        413,
        ERROR_CODES.recordTooLarge,
        `records[${oversized}] is ${size} bytes as written (key and value); the limit is ${maxRecordBytes}`,
        topic,
      );
    }
    const groups = new Map<number, number[]>();
    messages.forEach((message, i) => {
      const pinned = typed[i].partition;
      const partition =
        typeof pinned === "number" ? pinned : partitioner({ topic, partitionMetadata, message });
      groups.set(partition, [...(groups.get(partition) ?? []), i]);
    });

    const offsets: OffsetEntry[] = typed.map(() => ({
      partition: null,
      offset: null,
      error_code: null,
      error: null,
    }));
    const deadline = Date.now() + deadlineMs;
    let notWritten = 0;
    let uncertain = 0;
    let permanent = 0;
    let lastError = "";
    const fail = (indexes: number[], partition: number, errorCode: number, error: string) => {
      lastError = error;
      for (const recordIndex of indexes) {
        offsets[recordIndex] = { partition, offset: null, error_code: errorCode, error };
      }
      if (errorCode === ERROR_CODES.mayHaveBeenWritten) uncertain += indexes.length;
      else if (errorCode === ERROR_CODES.kafkaRetriable) notWritten += indexes.length;
      else permanent += indexes.length;
    };
    await Promise.all(
      [...groups.entries()].map(async ([partition, indexes]) => {
        // A partition's batches go one after another, in request order; after one fails the rest are
        // not sent, so what landed is always a prefix of the partition's records.
        const batches = splitBatches(
          indexes,
          (i) => messages[i].value.length + (messages[i].key?.length ?? 0),
          maxBatchBytes,
        );
        for (const [b, batch] of batches.entries()) {
          try {
            const { baseOffset } = await options.gateway.sendBatch(
              topic,
              partition,
              batch.map((i) => messages[i]),
              deadline,
            );
            batch.forEach((recordIndex, n) => {
              offsets[recordIndex] = {
                partition,
                offset: Number(BigInt(baseOffset) + BigInt(n)),
                error_code: null,
                error: null,
              };
            });
          } catch (err) {
            const message = (err as Error).message;
            const code =
              err instanceof UncertainProduceError
                ? ERROR_CODES.mayHaveBeenWritten
                : err instanceof RetriableProduceError
                  ? ERROR_CODES.kafkaRetriable
                  : ERROR_CODES.kafkaError;
            fail(batch, partition, code, message);
            const rest = batches.slice(b + 1).flat();
            if (rest.length > 0) {
              fail(
                rest,
                partition,
                ERROR_CODES.kafkaRetriable,
                "not written: an earlier batch of its partition failed",
              );
            }
            return;
          }
        }
      }),
    );
    const failures = notWritten + uncertain + permanent;
    stats.recordsAccepted += typed.length - failures;
    stats.recordsFailed += failures;
    if (failures === typed.length && permanent === 0) {
      // Nothing landed for sure: the whole request is answered with one status a client acts on.
      if (uncertain > 0) {
        return reject(
          504,
          ERROR_CODES.mayHaveBeenWritten,
          `Kafka did not confirm ${uncertain} of ${typed.length} records in time; they may have been written ` +
            `(at most once each) and the others were not. A retry may store those twice: ${lastError}`,
          topic,
        );
      }
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

/** Consecutive runs of a partition's records, each within the broker's batch limit. */
export function splitBatches(
  indexes: number[],
  sizeOf: (i: number) => number,
  maxBatchBytes: number,
): number[][] {
  const batches: number[][] = [];
  let current: number[] = [];
  let bytes = BATCH_OVERHEAD_BYTES;
  for (const i of indexes) {
    const size = sizeOf(i) + RECORD_OVERHEAD_BYTES;
    if (current.length > 0 && bytes + size > maxBatchBytes) {
      batches.push(current);
      current = [];
      bytes = BATCH_OVERHEAD_BYTES;
    }
    current.push(i);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): IngestResponse {
  return {
    status,
    headers: { "content-type": RESPONSE_CONTENT_TYPE, ...headers },
    body: JSON.stringify(body),
  };
}
