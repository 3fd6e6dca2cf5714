/**
 * The layers of the code base, from its imports: what deploys (components/) never depends on what runs only
 * here (local/, emulator/, e2e/, bench/, synth/) or on the config layer; the policy pack is self-contained;
 * nothing outside test/ imports from test/; and no two folders import each other, directly or around a loop.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const FILES = execFileSync("git", ["ls-files", "*.ts"], { cwd: ROOT, encoding: "utf8" })
  .split("\n")
  .filter((f) => f && !f.startsWith("node_modules/"));

/** The repository files a file imports (relative specifiers, resolved). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from|import|require)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
    const base = path.normalize(path.join(path.dirname(file), m[1]));
    const hit = [`${base}.ts`, path.join(base, "index.ts"), base].find(
      (c) => FILES.includes(c) || fs.existsSync(path.join(ROOT, c)),
    );
    if (hit) out.push(hit);
  }
  return out;
}

/** The layer of a file: its top folder, or the file itself at the root (config.ts, index.ts). */
const layer = (file: string) => (file.includes("/") ? file.split("/")[0] : file);

const EDGES = FILES.flatMap((f) => importsOf(f).map((to) => ({ from: f, to })));

describe("layers", () => {
  it("components/ imports only components/, the policy pack's resource classes and npm packages", () => {
    const bad = EDGES.filter(
      (e) =>
        layer(e.from) === "components" &&
        layer(e.to) !== "components" &&
        e.to !== "policy/resourceClasses.ts",
    );
    assert.deepEqual(
      bad.map((e) => `${e.from} -> ${e.to}`),
      [],
    );
  });

  it("the policy pack (what `pulumi preview --policy-pack policy` loads) imports only itself", () => {
    const pack = [
      "policy/index.ts",
      "policy/pack.ts",
      "policy/rules.ts",
      "policy/suppressions.ts",
      "policy/resourceClasses.ts",
    ];
    const bad = EDGES.filter((e) => pack.includes(e.from) && !e.to.startsWith("policy/"));
    assert.deepEqual(
      bad.map((e) => `${e.from} -> ${e.to}`),
      [],
    );
  });

  it("nothing outside test/ imports from test/", () => {
    const bad = EDGES.filter((e) => layer(e.from) !== "test" && layer(e.to) === "test");
    assert.deepEqual(
      bad.map((e) => `${e.from} -> ${e.to}`),
      [],
    );
  });

  it("no folder-level import loops", () => {
    const graph = new Map<string, Set<string>>();
    for (const e of EDGES) {
      const [a, b] = [path.dirname(e.from), path.dirname(e.to)];
      if (a === b) continue;
      if (!graph.has(a)) graph.set(a, new Set());
      graph.get(a)!.add(b);
    }
    // A loop is a folder that reaches itself.
    const loops: string[] = [];
    for (const start of graph.keys()) {
      const seen = new Set<string>();
      const stack = [...(graph.get(start) ?? [])];
      while (stack.length > 0) {
        const next = stack.pop()!;
        if (next === start) {
          loops.push(start);
          break;
        }
        if (seen.has(next)) continue;
        seen.add(next);
        stack.push(...(graph.get(next) ?? []));
      }
    }
    assert.deepEqual(loops, [], "folders that import themselves through others");
  });

  it("finds the imports it judges (a check that reads nothing proves nothing)", () => {
    assert.ok(EDGES.some((e) => e.from === "index.ts" && e.to === "components/kafkaIngest/index.ts"));
    assert.ok(
      EDGES.some((e) => e.from === "local/kinesisApi.ts" && e.to.startsWith("components/kinesisIngest/")),
    );
  });

  it("components/ write no setting's default: no `args.x ?? <literal>` (config.ts's DEFAULTS is its one home)", () => {
    const literalDefault = /\b[a-z]\w*(\.\w+)+\s*(\?\?|\|\|)\s*(-?\d|["'`]|true\b|false\b)/;
    // (The Lambda's runtime code, components/*/runtime/, reads its environment, not stack settings.)
    const deployCode = FILES.filter((f) => f.startsWith("components/") && !f.includes("/runtime/"));
    const found = deployCode.flatMap((f) =>
      fs
        .readFileSync(path.join(ROOT, f), "utf8")
        .split("\n")
        .map((line, i) => ({ f, line, i }))
        .filter(({ line }) => literalDefault.test(line))
        .map(({ f, line, i }) => `${f}:${i + 1}: ${line.trim()}`),
    );
    assert.deepEqual(found, []);
    // The pattern finds what it is for.
    assert.ok(literalDefault.test("const days = args.retentionDays ?? 30;"));
    assert.ok(literalDefault.test('environmentClass: airflow.environmentClass ?? "mw1.small",'));
    assert.ok(literalDefault.test("const workers = args.workers || 2;"));
    assert.ok(!literalDefault.test("const tags = args.tags ?? {};"));
    assert.ok(!literalDefault.test("const days = args.retentionDays ?? RETENTION_DAYS;"));
  });
});
