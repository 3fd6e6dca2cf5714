import { isUtf8 } from "node:buffer";

/**
 * What both ingest paths refuse before anything is written (docs/ingest-api.md, "Limits"): bodies that are
 * not UTF-8, values nested deeper than MAX_VALUE_DEPTH, and numbers the stored JSON would not keep exactly.
 *
 * The REST ingest checks the raw text (scanJson); the Kinesis API, which API Gateway validates against
 * JSON Schema draft 4 without code of ours, gets the same depth and integer rules as a schema
 * (boundedValueSchema), which the local twin evaluates with ajv.
 */

/** Levels a record's value may nest; the value object itself is level 1. */
export const MAX_VALUE_DEPTH = 6;

/** Largest integer a JSON number keeps exactly when it is read as an IEEE 754 double (2^53 - 1). */
export const MAX_EXACT_INTEGER = Number.MAX_SAFE_INTEGER;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The body as text, or where its bytes stop being UTF-8. */
export function decodeUtf8(bytes: Buffer): { text: string } | { error: string } {
  if (isUtf8(bytes)) return { text: bytes.toString("utf8") };
  return { error: `Body is not valid UTF-8 (first bad byte at offset ${firstInvalidUtf8(bytes)})` };
}

/** Offset of the first byte that does not begin or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i];
    const len =
      b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len === 0 || i + len > bytes.length) return i;
    try {
      strictUtf8.decode(bytes.subarray(i, i + len));
    } catch {
      return i;
    }
    i += len;
  }
  return bytes.length;
}

/** A number literal's value as sign, significant digits and exponent, so two spellings compare exactly. */
function canonicalDecimal(literal: string): string {
  const match = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (!match) return literal;
  const [, sign, whole, fraction = "", exponent = "0"] = match;
  let digits = whole + fraction;
  let exp = Number(exponent) - fraction.length;
  const lead = digits.search(/[1-9]/);
  if (lead < 0) return "0";
  digits = digits.slice(lead);
  const trimmed = digits.replace(/0+$/, "");
  exp += digits.length - trimmed.length;
  return `${sign}${trimmed}e${exp}`;
}

/** Whether writing the number back from a double gives the same value the literal spells. */
export function isExactNumber(literal: string): boolean {
  const value = Number(literal);
  if (!Number.isFinite(value)) return false;
  return canonicalDecimal(literal) === canonicalDecimal(String(value));
}

/** Whether the character at `at` follows an odd number of backslashes. */
function isEscaped(text: string, at: number): boolean {
  let n = 0;
  while (text.charCodeAt(at - 1 - n) === 0x5c) n++;
  return n % 2 === 1;
}

/** 0-9 e E + - . */
function isNumberChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d || c === 0x2e;
}

export interface JsonProblem {
  kind: "depth" | "number";
  message: string;
}

/**
 * One pass over JSON text (parsed or not yet): the first place nested deeper than `maxDepth` (the top
 * value is level 1), or the first number a double cannot keep exactly. Null when neither.
 */
export function scanJson(text: string, maxDepth: number): JsonProblem | null {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // To the closing quote: the next quote not escaped by an odd run of backslashes.
      let end = text.indexOf('"', i + 1);
      while (end > 0 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
      if (end < 0) return null; // unterminated: JSON.parse says so
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth)
        return { kind: "depth", message: `JSON nested deeper than ${maxDepth} levels at character ${i}` };
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1;
      while (end < text.length && isNumberChar(text.charCodeAt(end))) end++;
      const literal = text.slice(i, end);
      if (!isExactNumber(literal)) {
        return {
          kind: "number",
          message:
            `number ${literal.length > 40 ? `${literal.slice(0, 40)}...` : literal} at character ${i} cannot be ` +
            "stored exactly (JSON numbers are kept as IEEE 754 doubles: integers up to 2^53 - 1, about 15 " +
            "significant digits); send it as a string",
        };
      }
      i = end - 1;
    }
  }
  return null;
}

/**
 * JSON Schema draft 4 of a value nested at most `levels` deep (this value is level 1), whose numbers are
 * integers a double keeps exactly or fractions. Written out level by level (API Gateway's models take no
 * recursion); `items` and `additionalProperties` apply only to arrays and objects.
 */
export function boundedValueSchema(levels: number): Record<string, unknown> {
  let schema: Record<string, unknown> = {
    type: ["string", "number", "boolean", "null"],
    minimum: -MAX_EXACT_INTEGER,
    maximum: MAX_EXACT_INTEGER,
  };
  for (let level = 1; level <= levels; level++) {
    schema = {
      minimum: -MAX_EXACT_INTEGER,
      maximum: MAX_EXACT_INTEGER,
      items: schema,
      additionalProperties: schema,
    };
  }
  return schema;
}
