/**
 * The three records of a post, as clients send them (the original emulator's payloads: datetimes as
 * 'YYYY-MM-DD HH:MM:SS' text, follower counts as text like '10k'). One definition serves every boundary
 * that checks shape: the REST ingest (zod) and, as JSON Schema, API Gateway request models.
 *
 * These check shape only (fields present, JSON types right, text may be null): the original's clients send
 * placeholders and oddities, and rule violations (a latitude of 200, an age of -3) are for the Spark jobs to
 * quarantine with a reason, not for the front door to drop. Extra fields are forwarded untouched.
 */
import { z } from "zod";

const text = z.string().nullable();
const int = z.number().int();

export const pinEvent = z.object({
  index: int,
  unique_id: text,
  title: text,
  description: text,
  poster_name: text,
  follower_count: z.union([z.string(), z.number()]).nullable(),
  tag_list: text,
  is_image_or_video: text,
  image_src: text,
  downloaded: int.nullable(),
  save_location: text,
  category: text,
});

export const geoEvent = z.object({
  ind: int,
  timestamp: text,
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
  country: text,
});

export const userEvent = z.object({
  ind: int,
  first_name: text,
  last_name: text,
  age: int.nullable(),
  date_joined: text,
});

export const EVENT_SCHEMAS = { pin: pinEvent, geo: geoEvent, user: userEvent } as const;
export type EventKind = keyof typeof EVENT_SCHEMAS;
export const EVENT_KINDS = Object.keys(EVENT_SCHEMAS) as EventKind[];

export type PinEvent = z.infer<typeof pinEvent>;
export type GeoEvent = z.infer<typeof geoEvent>;
export type UserEvent = z.infer<typeof userEvent>;

/** The key field of each record kind (the original named it differently in pin). */
export const KEY_FIELD: Record<EventKind, "index" | "ind"> = { pin: "index", geo: "ind", user: "ind" };

/**
 * Checks `value` against the kind's schema; returns null when it fits, else one line naming the first
 * offending field, e.g. "latitude: expected number, received string".
 */
export function describeSchemaProblem(kind: EventKind, value: unknown): string | null {
  const result = EVENT_SCHEMAS[kind].safeParse(value);
  if (result.success) return null;
  const issue = result.error.issues[0];
  const where = issue.path.length > 0 ? issue.path.join(".") : "value";
  return `${where}: ${issue.message}`;
}
