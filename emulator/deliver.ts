/**
 * Delivery of one batch to one topic or stream, with retries: exponential backoff with full jitter on
 * 429, 5xx and network errors (honouring Retry-After), and on partial failures a retry of exactly the
 * records that failed (Confluent per-record error codes, PutRecords' FailedRecordCount). A record is
 * reported failed only when its error cannot be retried or the retries run out.
 */

export interface DeliveryOptions {
  apiKey?: string;
  /** Retries after the first attempt. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per request. */
  timeoutMs: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface DeliveryOutcome {
  acked: number;
  failed: number;
  /** HTTP requests made, retries included. */
  requests: number;
  /**
   * Records sent again after an answer that did not rule out a write (a network error, a 5xx other than
   * 503, a "may have been written" record): each may be stored once more than it was posted.
   */
  resentUncertain: number;
  lastError?: string;
}

/** What one attempt did with each pending record. */
interface AttemptResult<T> {
  acked: number;
  retry: T[];
  fail: T[];
  /** How many of `retry` may have been written by this attempt. */
  uncertain?: number;
  error?: string;
  retryAfterMs?: number;
}

const RETRIABLE_KINESIS_ERRORS = new Set([
  "ProvisionedThroughputExceededException",
  "InternalFailure",
  "KMSThrottlingException",
]);
/**
 * Confluent REST codes a client should retry: 5xx-class producer errors that may succeed next time. 50401
 * ("may have been written") is retried too: delivery is at least once, and the jobs drop re-deliveries.
 */
const MAY_HAVE_BEEN_WRITTEN = 50401;
const RETRIABLE_KAFKA_CODES = new Set([50003, 50301, MAY_HAVE_BEEN_WRITTEN]);

/** What the emulator calls itself in User-Agent. */
export const USER_AGENT = "pinterest-pipeline-emulator/0.1";

export const DEFAULT_DELIVERY: DeliveryOptions = {
  maxRetries: 6,
  baseDelayMs: 100,
  maxDelayMs: 5000,
  timeoutMs: 30000,
};

function backoffMs(attempt: number, options: DeliveryOptions, retryAfterMs?: number): number {
  const random = options.random ?? Math.random;
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  return Math.max(retryAfterMs ?? 0, Math.floor(random() * ceiling));
}

function retryAfter(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) ? Math.min(seconds * 1000, 30000) : undefined;
}

async function withRetries<T>(
  records: T[],
  options: DeliveryOptions,
  attempt: (pending: T[]) => Promise<AttemptResult<T>>,
): Promise<DeliveryOutcome> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let pending = records;
  const outcome: DeliveryOutcome = { acked: 0, failed: 0, requests: 0, resentUncertain: 0 };
  for (let n = 0; pending.length > 0; n++) {
    outcome.requests++;
    const result = await attempt(pending);
    outcome.acked += result.acked;
    outcome.failed += result.fail.length;
    if (result.error) outcome.lastError = result.error;
    pending = result.retry;
    if (pending.length === 0) break;
    if (n >= options.maxRetries) {
      outcome.failed += pending.length;
      break;
    }
    outcome.resentUncertain += result.uncertain ?? 0;
    await sleep(backoffMs(n, options, result.retryAfterMs));
  }
  return outcome;
}

async function send(
  method: string,
  url: string,
  contentType: string,
  body: unknown,
  options: DeliveryOptions,
): Promise<{ status: number; json: unknown; retryAfterMs?: number } | { networkError: string }> {
  try {
    const response = await fetch(url, {
      method,
      headers: {
        "content-type": contentType,
        // Named, not fetch's default: the edge's WAF (AWS's common rule set) blocks requests without one.
        "user-agent": USER_AGENT,
        ...(options.apiKey ? { "x-api-key": options.apiKey } : {}),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const text = await response.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = { message: text.slice(0, 200) };
    }
    return { status: response.status, json, retryAfterMs: retryAfter(response.headers.get("retry-after")) };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { networkError: `${(err as Error).name}${cause ? ` (${cause})` : ""}: ${(err as Error).message}` };
  }
}

function describe(status: number, json: unknown): string {
  const message = (json as { message?: unknown } | undefined)?.message;
  return `HTTP ${status}${typeof message === "string" ? `: ${message}` : ""}`;
}

const isRetriableStatus = (status: number) => status === 429 || status >= 500;

type Answer = Awaited<ReturnType<typeof send>>;

/** The attempt's result when the request as a whole did not succeed, or undefined on HTTP 200. */
function unsuccessful<T>(pending: T[], answer: Answer): AttemptResult<T> | undefined {
  // The request may have reached the service: only a refusal (429, 503) says nothing was written.
  if ("networkError" in answer)
    return { acked: 0, retry: pending, fail: [], uncertain: pending.length, error: answer.networkError };
  if (answer.status === 200) return undefined;
  const error = describe(answer.status, answer.json);
  const uncertain = answer.status === 429 || answer.status === 503 ? 0 : pending.length;
  return isRetriableStatus(answer.status)
    ? { acked: 0, retry: pending, fail: [], uncertain, error, retryAfterMs: answer.retryAfterMs }
    : { acked: 0, retry: [], fail: pending, error };
}

/** Sorts the records of a 200 answer by their per-record errors (null: acknowledged). */
function byRecordErrors<T>(
  pending: T[],
  errors: Array<{ code: string | number; message: string } | null> | undefined,
  retriable: (code: string | number) => boolean,
): AttemptResult<T> {
  if (!Array.isArray(errors) || errors.length !== pending.length) {
    return { acked: 0, retry: [], fail: pending, error: "HTTP 200 without one result per record" };
  }
  const result: AttemptResult<T> = { acked: 0, retry: [], fail: [] };
  errors.forEach((e, i) => {
    if (e === null) {
      result.acked++;
      return;
    }
    result.error = `${e.code}: ${e.message}`;
    (retriable(e.code) ? result.retry : result.fail).push(pending[i]);
  });
  return result;
}

/** POST the values to `<url>/topics/<topic>` (Confluent REST Proxy v2). */
export function deliverToKafka(
  url: string,
  topic: string,
  values: object[],
  options: DeliveryOptions,
): Promise<DeliveryOutcome> {
  return withRetries(values, options, async (pending) => {
    const answer = await send(
      "POST",
      `${url}/topics/${encodeURIComponent(topic)}`,
      "application/vnd.kafka.json.v2+json",
      { records: pending.map((value) => ({ value })) },
      options,
    );
    const offsets = (
      answer as { json?: { offsets?: Array<{ error_code: number | null; error: string | null }> } }
    ).json?.offsets;
    const recordResult = () => ({
      ...byRecordErrors(
        pending,
        offsets?.map((o) =>
          o.error_code === null ? null : { code: `error_code ${o.error_code}`, message: o.error ?? "" },
        ),
        (code) => RETRIABLE_KAFKA_CODES.has(Number(String(code).replace("error_code ", ""))),
      ),
      uncertain: (offsets ?? []).filter((o) => o.error_code === MAY_HAVE_BEEN_WRITTEN).length,
    });
    return unsuccessful(pending, answer) ?? recordResult();
  });
}

export interface KinesisRecord {
  data: object;
  partitionKey: string;
}

/** PUT the records to `<url>/streams/<stream>/records` (the original's Kinesis API, PutRecords). */
export function deliverToKinesis(
  url: string,
  stream: string,
  records: KinesisRecord[],
  options: DeliveryOptions,
): Promise<DeliveryOutcome> {
  return withRetries(records, options, async (pending) => {
    const answer = await send(
      "PUT",
      `${url}/streams/${encodeURIComponent(stream)}/records`,
      "application/json",
      { records: pending.map((r) => ({ data: r.data, "partition-key": r.partitionKey })) },
      options,
    );
    const results = (answer as { json?: { Records?: Array<{ ErrorCode?: string; ErrorMessage?: string }> } })
      .json?.Records;
    return (
      unsuccessful(pending, answer) ??
      byRecordErrors(
        pending,
        results?.map((r) => (r.ErrorCode ? { code: r.ErrorCode, message: r.ErrorMessage ?? "" } : null)),
        (code) => RETRIABLE_KINESIS_ERRORS.has(String(code)),
      )
    );
  });
}
