/** The checks both ingest paths make before anything is written (components/jsonGuard.ts). */
import { strict as assert } from "node:assert";
import Ajv from "ajv-draft-04";
import {
  boundedValueSchema,
  decodeUtf8,
  isExactNumber,
  MAX_EXACT_INTEGER,
  scanJson,
} from "../components/jsonGuard";

describe("JSON guard", () => {
  it("keeps a number only when a double writes back the value the literal spells", () => {
    for (const ok of ["0", "-0", "1.0", "0.1", "-12.50", "123e2", "1.5E-7", "9007199254740991", "1e300"])
      assert.ok(isExactNumber(ok), ok);
    for (const bad of [
      "12345678901234567891",
      "9007199254740993",
      "0.12345678901234567891",
      "1e400",
      "-1e400",
    ])
      assert.ok(!isExactNumber(bad), bad);
  });

  it("measures depth outside strings only, escaped quotes and backslashes included", () => {
    assert.equal(scanJson('{"a":"[[[[[[","b":"\\\\"}', 2), null);
    assert.equal(scanJson('{"a":"x\\"[[[[[[\\""}', 1), null);
    assert.equal(scanJson('{"a":"\\\\",' + '"b":[[1]]}', 3), null);
    assert.deepEqual(scanJson('{"a":"\\\\",' + '"b":[[[1]]]}', 3), {
      kind: "depth",
      message: "JSON nested deeper than 3 levels at character 16",
    });
    assert.equal(scanJson('{"n":"12345678901234567891"}', 2), null, "digits in a string are text");
    assert.equal(scanJson(`[${"[".repeat(100000)}${"]".repeat(100000)}]`, 2)?.kind, "depth");
  });

  it("finds the first bad UTF-8 byte", () => {
    assert.deepEqual(decodeUtf8(Buffer.from('{"a":"é"}')), { text: '{"a":"é"}' });
    const bytes = Buffer.from('{"a":"ab"}');
    bytes[7] = 0xc3; // a lead byte followed by an ASCII byte
    assert.deepEqual(decodeUtf8(bytes), { error: "Body is not valid UTF-8 (first bad byte at offset 7)" });
    assert.ok(
      "error" in decodeUtf8(Buffer.from([0x7b, 0xed, 0xa0, 0x80, 0x7d])),
      "a UTF-16 surrogate is not UTF-8",
    );
  });

  it("writes the depth and integer rules as a draft-4 schema (API Gateway's dialect)", () => {
    const validate = new Ajv({ strictTypes: false, allowUnionTypes: true }).compile({
      ...boundedValueSchema(3),
      type: "object",
    });
    const nest = (levels: number): unknown => (levels === 0 ? "x" : { n: [nest(levels - 1)] });
    assert.ok(validate({ a: 1, b: { c: [1, 2] } }), "3 levels");
    assert.ok(!validate({ a: { b: { c: { d: 1 } } } }), "4 levels");
    assert.ok(validate({ n: nest(1) }));
    assert.ok(!validate({ n: nest(2) }));
    assert.ok(validate({ a: MAX_EXACT_INTEGER, b: -MAX_EXACT_INTEGER, c: 0.5 }));
    assert.ok(!validate({ a: MAX_EXACT_INTEGER + 2 }));
    assert.ok(!validate({ a: [-1e20] }), "an integer below -(2^53 - 1) inside an array");
    assert.ok(JSON.stringify(boundedValueSchema(6)).length < 20000, "small enough for an API Gateway model");
  });
});
