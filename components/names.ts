/**
 * Naming rules the config layer and the components share, in one place (the config imports them; components
 * never import the config).
 */
import { EVENT_KINDS, EventKind } from "./events";

/** The stack's name prefix: it starts every physical name, so it is short, lower case and DNS-safe. */
export const NAME_PREFIX = /^[a-z][a-z0-9-]{0,18}[a-z0-9]$/;
export const NAME_PREFIX_RULE = "2-20 characters of a-z, 0-9 and '-', starting with a letter";

/** An ingest client's name (its API key and usage plan are named after it). */
export const CLIENT_NAME = /^[a-z][a-z0-9-]{0,30}$/;
export const CLIENT_NAME_RULE = "1-31 characters of a-z, 0-9 and '-', starting with a letter";

/**
 * The stack's Kafka topics, one per record kind: `<prefix>.<kind>`. The one place this rule lives: the
 * program computes the map once (index.ts, the local runner) and hands the names themselves to the ingest
 * function, the sink, the batch job, the emulator and the stack outputs.
 */
export function topicNames(prefix: string): Record<EventKind, string> {
  return nameMap((kind) => `${prefix}.${kind}`);
}

/** The stack's Kinesis streams, one per record kind: `<prefix>-<kind>` (handed on like the topics). */
export function streamNames(prefix: string): Record<EventKind, string> {
  return nameMap((kind) => `${prefix}-${kind}`);
}

function nameMap(name: (kind: EventKind) => string): Record<EventKind, string> {
  return Object.fromEntries(EVENT_KINDS.map((kind) => [kind, name(kind)])) as Record<EventKind, string>;
}

/** Kafka topic names: at most 249 of a-z, A-Z, 0-9, '.', '_', '-' (Kafka's Topic.validate). */
export const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
/** Kinesis stream names: 1-128 of a-z, A-Z, 0-9, '_', '.', '-' (CreateStream's StreamName). */
export const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;

/** Checks a kind -> name map a component is given: every kind once, each name valid, no name twice. */
export function checkNameMap(what: string, names: Record<string, string>, pattern: RegExp): void {
  const kinds = Object.keys(names).sort();
  if (kinds.join(",") !== [...EVENT_KINDS].sort().join(","))
    throw new Error(`${what} must name exactly the kinds ${EVENT_KINDS.join(", ")}, got ${kinds.join(", ")}`);
  for (const [kind, name] of Object.entries(names))
    if (!pattern.test(name)) throw new Error(`${what}.${kind} is not a valid name: '${name}'`);
  if (new Set(Object.values(names)).size !== kinds.length) throw new Error(`${what} names one twice`);
}
