/**
 * The GitHub Actions workflows (.github/workflows): actionlint (built by the bootstrap from the Go module
 * proxy) finds nothing in them and does find a planted mistake; and they deliver what docs/operations.md
 * promises: tests on every pull request, a preview of every stack with the policy pack commented on the pull
 * request, `pulumi up` for dev on main and for prod after dev behind the prod environment's approval, and
 * cloud access through OIDC only. Running them needs GitHub, which this suite cannot reach.
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import { E2E_STACK_NAME } from "../e2e/stackConfig";

const ROOT = path.resolve(__dirname, "..");
const WORKFLOWS = path.join(ROOT, ".github", "workflows");
const ACTIONLINT = path.join(ROOT, ".cache", "bin", "actionlint");
const run = promisify(execFile);

interface Step {
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  uses?: string;
  env?: Record<string, string>;
  needs?: string | string[];
  with?: Record<string, unknown>;
  environment?: string;
  strategy?: { matrix?: Record<string, unknown> };
  steps?: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const load = (file: string): Workflow =>
  parseYaml(fs.readFileSync(path.join(WORKFLOWS, file), "utf8")) as Workflow;

async function actionlint(dir: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(ACTIONLINT, ["-no-color"], { cwd: dir });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe("GitHub Actions workflows", () => {
  it("pass actionlint", async () => {
    assert.ok(fs.existsSync(ACTIONLINT), "scripts/bootstrap.sh actionlint builds it");
    const { code, out } = await actionlint(ROOT);
    assert.equal(code, 0, out);
    assert.equal(out, "");
  });

  it("a mistake in a workflow fails actionlint, naming file and line", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "actionlint-"));
    try {
      // actionlint finds workflows from the root of a git repository.
      await run("git", ["init", "-q", tmp]);
      fs.mkdirSync(path.join(tmp, ".github", "workflows"), { recursive: true });
      const broken = fs
        .readFileSync(path.join(WORKFLOWS, "preview.yml"), "utf8")
        .replace("stack: ${{ matrix.stack }}", "stack: ${{ matrix.stak }}");
      fs.writeFileSync(path.join(tmp, ".github", "workflows", "preview.yml"), broken);
      fs.copyFileSync(
        path.join(WORKFLOWS, "pulumi.yml"),
        path.join(tmp, ".github", "workflows", "pulumi.yml"),
      );
      const { code, out } = await actionlint(tmp);
      assert.equal(code, 1, out);
      assert.match(out, /preview\.yml:\d+:\d+: property "stak" is not defined/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("run every test on every pull request", () => {
    const ci = load("ci.yml");
    assert.ok("pull_request" in ci.on && "workflow_call" in ci.on);
    const steps = ci.jobs.test.steps!;
    assert.ok(steps.some((s) => s.run === "bash .ci/run"));
    assert.deepEqual(ci.permissions, { contents: "read" });
  });

  it("preview every stack with the policy pack and comment on the pull request", () => {
    const preview = load("preview.yml");
    assert.ok("pull_request" in preview.on);
    const job = preview.jobs.preview;
    assert.equal(job.uses, "./.github/workflows/pulumi.yml");
    assert.equal(job.with!.command, "preview");
    const stacks = fs
      .readdirSync(ROOT)
      .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
      .filter((s): s is string => s !== undefined)
      .sort();
    assert.deepEqual(
      [...(job.strategy!.matrix!.stack as string[])].sort(),
      stacks,
      "every stack file is previewed",
    );
    const pulumi = load("pulumi.yml").jobs.pulumi;
    const action = pulumi.steps!.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
    assert.equal(action.with!.policyPacks, "policy");
    assert.equal(action.with!["comment-on-pr"], "${{ inputs.command == 'preview' }}");
    assert.equal(action.with!.command, "${{ inputs.command }}");
    assert.ok(
      pulumi.steps!.some((s) => s.run?.startsWith("npm run synth")),
      "the offline guardrails run first",
    );
  });

  it("deploy dev on main, then prod after dev, behind the prod environment", () => {
    const deploy = load("deploy.yml");
    assert.deepEqual(deploy.on.push, { branches: ["main"] });
    const { test, dev, prod } = deploy.jobs;
    assert.equal(test.uses, "./.github/workflows/ci.yml");
    assert.equal(dev.needs, "test");
    assert.deepEqual(dev.with, { stack: "dev", command: "up", environment: "dev" });
    assert.equal(prod.needs, "dev");
    assert.deepEqual(prod.with, { stack: "prod", command: "up", environment: "prod" });
    assert.equal(load("pulumi.yml").jobs.pulumi.environment, "${{ inputs.environment }}");
  });

  it("run the cloud end-to-end test nightly on a throwaway stack, and destroy what a cancelled run left", () => {
    const e2e = load("e2e-cloud.yml");
    assert.ok("schedule" in e2e.on && "workflow_dispatch" in e2e.on);
    assert.equal(e2e.permissions!["id-token"], "write");
    const job = e2e.jobs.e2e;
    assert.equal(job.environment, "e2e");
    // The stack name obeys the test's own rule (it is also the name prefix).
    const stack = job.env!.STACK.replace("${{ github.run_number }}", "12345678");
    assert.match(stack, E2E_STACK_NAME);
    const steps = job.steps!;
    const test = steps.find(
      (s) => s.run?.startsWith("npm run e2e:cloud") && !s.run.includes("--destroy-only"),
    )!;
    assert.equal(test.env!.DATABRICKS_AUTH_TYPE, "github-oidc");
    assert.ok(test.env!.DATABRICKS_WAREHOUSE_ID);
    const cleanup = steps.find((s) => s.run?.includes("--destroy-only"))!;
    assert.equal(cleanup.if, "cancelled() || failure()");
    assert.ok(steps.indexOf(cleanup) > steps.indexOf(test));
    assert.ok(steps.some((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@")));
    assert.ok(steps.some((s) => s.uses?.startsWith("pulumi/auth-actions@")));
  });

  it("reach AWS, Pulumi Cloud and Databricks through OIDC, with no stored keys", () => {
    const pulumi = load("pulumi.yml");
    assert.equal(pulumi.permissions!["id-token"], "write");
    const steps = pulumi.jobs.pulumi.steps!;
    const aws = steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"))!;
    assert.deepEqual(Object.keys(aws.with!).sort(), ["aws-region", "role-session-name", "role-to-assume"]);
    assert.ok(steps.some((s) => s.uses?.startsWith("pulumi/auth-actions@")));
    const action = steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
    assert.equal(action.env!.DATABRICKS_AUTH_TYPE, "github-oidc");
    for (const file of fs.readdirSync(WORKFLOWS)) {
      const text = fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
      assert.doesNotMatch(text, /secrets\./, `${file} reads no stored secret`);
      assert.doesNotMatch(text, /aws-access-key-id|AWS_SECRET_ACCESS_KEY|PULUMI_ACCESS_TOKEN/, file);
    }
  });
});
