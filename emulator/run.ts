/**
 * `run`: posts random posts from the source to the stack's endpoints. Each post is three records (pin,
 * geo, user) to each target; records are batched per topic or stream up to --batch-size per request and
 * sent with at most --concurrency requests in flight. Stopping (the signal) ends production, sends what is
 * buffered, waits for what is in flight, and returns the summary.
 */
import { EVENT_KINDS, EventKind } from "../components/events";
import { DeliveryOptions, deliverToKafka, deliverToKinesis } from "./deliver";
import { Endpoints, Target } from "./outputs";
import { Post, PostSource } from "./source";

export interface RunOptions {
  targets: Target[];
  endpoints: Endpoints;
  source: Pick<PostSource, "randomMany">;
  /** Posts per second; undefined: as fast as delivery allows. */
  rate?: number;
  /** Stop after this many posts... */
  count?: number;
  /** ...or after this long (whichever comes first; at least one of the two). */
  durationMs?: number;
  batchSize: number;
  concurrency: number;
  delivery: DeliveryOptions;
  signal?: AbortSignal;
  /** Buffers are sent at least this often, so a low rate with a big batch still flows. Default 250. */
  flushIntervalMs?: number;
  onProgress?: (summary: RunSummary) => void;
}

export interface TargetCounts {
  /** Records handed to the endpoint. */
  posted: number;
  /** Records the endpoint confirmed. */
  acked: number;
  /** Records given up on (not retriable, or out of retries). */
  failed: number;
  requests: number;
  /** Records sent again after an answer that did not rule out a write (DeliveryOutcome). */
  resentUncertain: number;
  lastError?: string;
}

export interface RunSummary {
  posts: number;
  interrupted: boolean;
  elapsedMs: number;
  targets: Partial<Record<Target, TargetCounts>>;
}

function keyOf(kind: EventKind, post: Post): number {
  return kind === "pin" ? post.pin.index : post[kind].ind;
}

export async function runEmulator(options: RunOptions): Promise<RunSummary> {
  if (options.count === undefined && options.durationMs === undefined)
    throw new Error("run needs a count or a duration");
  const started = Date.now();
  const summary: RunSummary = { posts: 0, interrupted: false, elapsedMs: 0, targets: {} };
  for (const t of options.targets)
    summary.targets[t] = { posted: 0, acked: 0, failed: 0, requests: 0, resentUncertain: 0 };

  const buffers = new Map<string, { target: Target; kind: EventKind; posts: Post[] }>();
  // Posts are read from the source in chunks (three queries per chunk) and handed out one by one.
  const readAhead: Post[] = [];
  const nextPost = async (): Promise<Post> => {
    if (readAhead.length === 0) {
      const left = options.count === undefined ? Infinity : options.count - summary.posts;
      const wanted = Math.max(
        1,
        Math.min(
          left,
          options.batchSize,
          options.rate !== undefined ? Math.ceil(options.rate / 4) : 500,
          500,
        ),
      );
      readAhead.push(...(await options.source.randomMany(wanted)));
    }
    return readAhead.shift()!;
  };
  const inFlight = new Set<Promise<void>>();
  const waiters: Array<() => void> = [];

  const dispatch = async (target: Target, kind: EventKind, posts: Post[]): Promise<void> => {
    while (inFlight.size >= options.concurrency) await new Promise<void>((resolve) => waiters.push(resolve));
    const counts = summary.targets[target]!;
    counts.posted += posts.length;
    const delivery =
      target === "kafka"
        ? deliverToKafka(
            options.endpoints.kafka!.url,
            options.endpoints.kafka!.topics[kind],
            posts.map((p) => p[kind]),
            options.delivery,
          )
        : deliverToKinesis(
            options.endpoints.kinesis!.url,
            options.endpoints.kinesis!.streams[kind],
            posts.map((p) => ({ data: p[kind], partitionKey: String(keyOf(kind, p)) })),
            options.delivery,
          );
    const tracked: Promise<void> = delivery
      .then((outcome) => {
        counts.acked += outcome.acked;
        counts.failed += outcome.failed;
        counts.requests += outcome.requests;
        counts.resentUncertain += outcome.resentUncertain;
        if (outcome.lastError) counts.lastError = outcome.lastError;
      })
      .catch((err: unknown) => {
        counts.failed += posts.length;
        counts.lastError = (err as Error).message;
      })
      .finally(() => {
        inFlight.delete(tracked);
        waiters.shift()?.();
      });
    inFlight.add(tracked);
  };

  const flush = async (onlyFull: boolean) => {
    for (const [key, buffer] of buffers) {
      if (buffer.posts.length === 0 || (onlyFull && buffer.posts.length < options.batchSize)) continue;
      buffers.set(key, { ...buffer, posts: [] });
      await dispatch(buffer.target, buffer.kind, buffer.posts);
    }
  };

  let flushing = false;
  const timer = setInterval(() => {
    if (flushing) return;
    flushing = true;
    void flush(false).finally(() => (flushing = false));
  }, options.flushIntervalMs ?? 250);
  const progress = options.onProgress ? setInterval(() => options.onProgress!(summarize()), 200) : undefined;
  const summarize = (): RunSummary => ({ ...summary, elapsedMs: Date.now() - started });

  try {
    const deadline = options.durationMs === undefined ? Infinity : started + options.durationMs;
    while (
      !options.signal?.aborted &&
      (options.count === undefined || summary.posts < options.count) &&
      Date.now() < deadline
    ) {
      if (options.rate !== undefined) {
        const due = started + (summary.posts / options.rate) * 1000;
        const wait = due - Date.now();
        if (wait > 0) {
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, wait);
            options.signal?.addEventListener(
              "abort",
              () => {
                clearTimeout(t);
                resolve();
              },
              { once: true },
            );
          });
          if (options.signal?.aborted) break;
        }
      }
      const post = await nextPost();
      summary.posts++;
      for (const target of options.targets) {
        for (const kind of EVENT_KINDS) {
          const key = `${target}:${kind}`;
          const buffer = buffers.get(key) ?? { target, kind, posts: [] };
          buffer.posts.push(post);
          buffers.set(key, buffer);
        }
      }
      await flush(true);
    }
    summary.interrupted = options.signal?.aborted ?? false;
  } finally {
    clearInterval(timer);
    while (flushing) await new Promise((r) => setTimeout(r, 5));
    await flush(false);
    while (inFlight.size > 0) await Promise.all([...inFlight]);
    if (progress) clearInterval(progress);
  }
  return summarize();
}
