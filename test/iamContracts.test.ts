/**
 * Every IAM policy document of both stacks, checked against how IAM evaluates them (AWS's Service
 * Authorization Reference, pinned in docs/cloud-contracts.md, "IAM"): a condition key on an action that
 * does not carry it never matches, so the action is never allowed; an action without resource-level
 * permissions is allowed only on "*". Both are silent failures that only the first real call would show.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { synthCli } from "./fixtures/synthCli";

/** Condition keys and the only actions that carry them. */
const CONDITION_KEY_ACTIONS: Record<string, string[]> = {
  "s3:prefix": ["s3:ListBucket", "s3:ListBucketVersions"],
  "s3:delimiter": ["s3:ListBucket", "s3:ListBucketVersions"],
  "s3:max-keys": ["s3:ListBucket", "s3:ListBucketVersions"],
};

/** Actions with no resource type: a statement must grant them on "*". */
const NO_RESOURCE_TYPES = new Set([
  "logs:DescribeLogGroups",
  "cloudwatch:PutMetricData",
  "s3:ListAllMyBuckets",
  "s3:GetAccountPublicAccessBlock",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DescribeSubnets",
  "ec2:DescribeVpcs",
  "ec2:DescribeSecurityGroups",
  "sts:GetCallerIdentity",
]);

interface Statement {
  Sid?: string;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** What IAM would never allow in one statement, in words. */
export function deadGrants(where: string, statement: Statement): string[] {
  const problems: string[] = [];
  const actions = list(statement.Action);
  for (const keys of Object.values(statement.Condition ?? {})) {
    for (const key of Object.keys(keys)) {
      const carriers = CONDITION_KEY_ACTIONS[key];
      if (!carriers) continue;
      for (const action of actions.filter((a) => !carriers.includes(a)))
        problems.push(`${where}: ${action} does not carry ${key}, so the condition never holds for it`);
    }
  }
  const resources = list(statement.Resource);
  for (const action of actions.filter((a) => NO_RESOURCE_TYPES.has(a))) {
    if (!resources.includes("*"))
      problems.push(
        `${where}: ${action} has no resource type and needs Resource "*", got ${resources.join(", ")}`,
      );
  }
  return problems;
}

describe("IAM policy documents of both stacks, against IAM's own rules", function () {
  this.timeout(180000);
  const graphs: Record<
    string,
    { resources: Array<{ type: string; name: string; inputs: Record<string, unknown> }> }
  > = {};

  before(async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "iam-contracts-"));
    for (const stack of ["dev", "prod"]) {
      const file = path.join(out, `${stack}.json`);
      const { code, stderr } = await synthCli(["--stack", stack, "--out", file]);
      assert.equal(code, 0, stderr);
      graphs[stack] = JSON.parse(
        fs.readFileSync(path.join(out, `${stack}.json`), "utf8"),
      ) as (typeof graphs)[string];
    }
    fs.rmSync(out, { recursive: true, force: true });
  });

  it("grants no action under a condition key it lacks, nor scopes an action that has no resource type", () => {
    const problems: string[] = [];
    let documents = 0;
    for (const [stack, graph] of Object.entries(graphs)) {
      for (const resource of graph.resources) {
        for (const field of ["policy", "assumeRolePolicy"]) {
          const text = resource.inputs[field];
          if (typeof text !== "string" || !text.startsWith("{")) continue;
          documents++;
          const doc = JSON.parse(text) as { Statement: Statement[] };
          doc.Statement.forEach((s, i) =>
            problems.push(...deadGrants(`${stack} ${resource.name} ${s.Sid ?? `#${i}`}`, s)),
          );
        }
      }
    }
    assert.ok(documents > 30, `${documents} policy documents read`);
    assert.deepEqual(problems, []);
  });

  it("finds both kinds of dead grant", () => {
    assert.deepEqual(
      deadGrants("x", {
        Action: ["s3:ListBucket", "s3:GetBucketLocation"],
        Resource: "arn:aws:s3:::b",
        Condition: { StringLike: { "s3:prefix": ["topics/*"] } },
      }),
      ["x: s3:GetBucketLocation does not carry s3:prefix, so the condition never holds for it"],
    );
    assert.deepEqual(
      deadGrants("y", {
        Action: "logs:DescribeLogGroups",
        Resource: "arn:aws:logs:eu-west-1:1:log-group:a*",
      }),
      [
        'y: logs:DescribeLogGroups has no resource type and needs Resource "*", got arn:aws:logs:eu-west-1:1:log-group:a*',
      ],
    );
  });
});
