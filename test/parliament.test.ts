/**
 * An independent IAM linter over every policy document of both stacks: parliament (duo-labs, PyPI, pinned in
 * jobs/requirements-dev.lock), with its community auditors. Each finding it may make is listed below by
 * issue, where and why; any other finding fails the suite. A planted bad document shows the run is real.
 */
import { strict as assert } from "node:assert";
import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { IDENTITY_POLICY_DOCUMENTS, RESOURCE_POLICY_DOCUMENTS } from "../policy/rules";
import type { SynthGraph } from "../synth/synth";
import { ROOT, synthCli } from "./fixtures/synthCli";

const PYTHON = path.join(ROOT, ".venv", "bin", "python");
const LINT = path.join(ROOT, "test", "fixtures", "parliament_lint.py");

interface Doc {
  label: string;
  kind: "identity" | "resource" | "trust";
  type: string;
  policy: string;
}

interface Finding {
  label: string;
  kind: Doc["kind"];
  issue: string;
  severity: string;
  title: string;
  location: Record<string, unknown>;
}

/** The findings parliament may make here, each for a reason; matched by issue, kind and resource type. */
export const ALLOWED_FINDINGS: Array<{
  issue: string;
  kind: Doc["kind"];
  type?: string;
  label?: RegExp;
  reason: string;
}> = [
  {
    issue: "MALFORMED",
    kind: "trust",
    reason:
      "A trust policy names no Resource (the role is the resource); parliament reads every document as an identity policy.",
  },
  {
    issue: "UNKNOWN_CONDITION_FOR_ACTION",
    kind: "resource",
    type: "aws:s3/bucketPolicy:BucketPolicy",
    reason:
      "The TLS-only bucket statements deny s3:* unless s3:TlsVersion / aws:SecureTransport hold; parliament expands s3:* to actions that lack the key, but a Deny with a key an action lacks still denies (AWS's own TLS policy example).",
  },
  {
    issue: "MISMATCHED_TYPE",
    kind: "resource",
    type: "aws:s3/bucketPolicy:BucketPolicy",
    reason:
      'The TLS-only statement\'s NumericLessThan s3:TlsVersion "1.2": IAM reads a numeric string as a number; parliament 1.6.4 wants a number but crashes on one (TypeError in is_value_in_correct_format_for_type), so the string stays.',
  },
  {
    issue: "RESOURCE_STAR",
    kind: "resource",
    type: "aws:kms/key:Key",
    reason: 'In a key policy, Resource "*" is the key itself (AWS KMS key policies).',
  },
  {
    issue: "PERMISSIONS_MANAGEMENT_ACTIONS",
    kind: "resource",
    type: "aws:kms/key:Key",
    reason:
      "Each key's AccountAdministersKey statement: the account must keep PutKeyPolicy and grant management, or the key could become unmanageable (components/keyPolicies.ts).",
  },
  {
    issue: "MISMATCHED_TYPE",
    kind: "resource",
    type: "aws:kms/key:Key",
    label: /-logs policy$/,
    reason:
      "The logs key's ArnLike on kms:EncryptionContext:aws:logs:arn is AWS's documented form (encrypt-log-data-kms); parliament types the key as String.",
  },
  {
    issue: "PERMISSIONS_MANAGEMENT_ACTIONS",
    kind: "identity",
    type: "aws:iam/rolePolicy:RolePolicy",
    label: /-pass-role policy$/,
    reason:
      "The workspace's cross-account role may pass exactly one job's instance-profile role (Databricks registers the profile with it).",
  },
  {
    issue: "NOTRESOURCE_WITH_ALLOW",
    kind: "identity",
    type: "aws:iam/rolePolicy:RolePolicy",
    label: /-airflow policy$/,
    reason:
      "MWAA's documented execution-role statement for its Celery queue's key, in an account AWS owns: every key outside ours, through SQS only.",
  },
];

/** Every policy document of a graph: identity, resource and trust policies, as JSON text. */
function documentsOf(graph: SynthGraph): Doc[] {
  const docs: Doc[] = [];
  const add = (r: SynthGraph["resources"][number], kind: Doc["kind"], prop: string, value: unknown) => {
    const text = typeof value === "string" ? value : value === undefined ? undefined : JSON.stringify(value);
    if (text === undefined || !text.trim().startsWith("{")) return;
    docs.push({ label: `${graph.stack} ${r.type} ${r.name} ${prop}`, kind, type: r.type, policy: text });
  };
  for (const r of graph.resources) {
    if (r.type === "aws:iam/role:Role") add(r, "trust", "assumeRolePolicy", r.inputs.assumeRolePolicy);
    for (const [sources, kind] of [
      [IDENTITY_POLICY_DOCUMENTS, "identity"],
      [RESOURCE_POLICY_DOCUMENTS, "resource"],
    ] as const) {
      const read = sources[r.type];
      if (read) read(r.inputs).forEach((d, i) => add(r, kind, i === 0 ? "policy" : `policy[${i}]`, d));
    }
  }
  return docs;
}

/** parliament over `docs`, one Python process for all. */
async function lint(docs: Doc[]): Promise<Finding[]> {
  const child = spawn(PYTHON, [LINT], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  child.stdin.end(
    docs.map((d) => JSON.stringify({ label: d.label, kind: d.kind, policy: d.policy })).join("\n"),
  );
  const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? 1)));
  assert.equal(code, 0, err);
  const lines = out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Finding & { done?: boolean; version?: string });
  const last = lines.pop()!;
  assert.deepEqual(last, { done: true, version: "1.6.4" }, "parliament ran to the end");
  return lines;
}

const allowed = (f: Finding, docs: Doc[]) => {
  const type = docs.find((d) => d.label === f.label)?.type;
  return ALLOWED_FINDINGS.find(
    (a) =>
      a.issue === f.issue &&
      a.kind === f.kind &&
      (a.type === undefined || a.type === type) &&
      (a.label === undefined || a.label.test(f.label)),
  );
};

describe("parliament over every policy document of both stacks", function () {
  this.timeout(300_000);
  let tmp: string;
  const docs: Doc[] = [];
  before(async () => {
    await promisify(execFile)(PYTHON, ["-c", "import parliament"]).catch(() => {
      throw new Error("parliament is not installed: bash scripts/bootstrap.sh python");
    });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "parliament-"));
    for (const stack of ["dev", "prod"]) {
      const out = path.join(tmp, `${stack}.json`);
      const { code, stderr } = await synthCli(["--stack", stack, "--out", out]);
      assert.equal(code, 0, stderr);
      docs.push(...documentsOf(JSON.parse(fs.readFileSync(out, "utf8")) as SynthGraph));
    }
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("finds nothing but the listed findings, each with its reason", async () => {
    assert.ok(docs.filter((d) => d.kind === "identity").length >= 20, "identity policies were collected");
    assert.ok(docs.filter((d) => d.kind === "trust").length >= 15, "trust policies were collected");
    assert.ok(docs.filter((d) => d.kind === "resource").length >= 15, "resource policies were collected");
    const findings = await lint(docs);
    const unexpected = findings.filter((f) => !allowed(f, docs));
    assert.deepEqual(
      unexpected.map((f) => `${f.issue} (${f.severity}) ${f.label}: ${f.title}`),
      [],
      "parliament found something no entry of ALLOWED_FINDINGS explains",
    );
    for (const a of ALLOWED_FINDINGS) assert.ok(a.reason.length >= 40, `${a.issue} needs a reason`);
  });

  it("finds a planted mistake, so a clean run means something", async () => {
    const planted: Doc = {
      label: "planted aws:iam/rolePolicy:RolePolicy bad policy",
      kind: "identity",
      type: "aws:iam/rolePolicy:RolePolicy",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket" },
          { Effect: "Allow", Action: "iam:PassRole", Resource: "*" },
        ],
      }),
    };
    const issues = (await lint([planted])).map((f) => f.issue).sort();
    assert.ok(issues.includes("RESOURCE_MISMATCH"), issues.join(", "));
    assert.ok(issues.includes("RESOURCE_STAR"), issues.join(", "));
    assert.ok(!allowed({ ...(await lint([planted]))[0] }, [planted]), "none of these is excused");
  });
});
