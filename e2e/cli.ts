/**
 * `npm run e2e:cloud -- --stack e2e-<name> --warehouse-id <id>`: the cloud end-to-end test (e2e/cloud.ts)
 * with the real edges: the Pulumi CLI through the Automation API (it must be on PATH, logged in to a
 * backend), AWS credentials from the default chain (MWAA's InvokeRestApi), Databricks credentials from the
 * environment (e2e/databricks.ts). `--destroy-only` tears down a stack an interrupted run left.
 *
 * Exit codes: 0 every check passed and the stack is gone; 1 a check failed (the stack is gone); 2 bad
 * arguments (nothing created); 3 the stack could not be destroyed (the message says how to finish).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command, CommanderError, Option } from "commander";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import { integer, parseDuration } from "../emulator/cli";
import { MwaaAirflow } from "./airflow";
import { CloudE2eReport, destroyOnly, runCloudE2e, StackDriver } from "./cloud";
import { DatabricksClient, resolveDatabricksAuth } from "./databricks";
import { checkStackName, e2eStackConfig, UsageError } from "./stackConfig";

const ROOT = path.resolve(__dirname, "..");

/** The stack through the Automation API, in this repository's project; Pulumi's output goes to `log`. */
export class AutomationStack implements StackDriver {
  private stack?: Stack;

  constructor(
    private readonly name: string,
    private readonly log: (line: string) => void,
    private readonly signal?: AbortSignal,
  ) {}

  private async selected(): Promise<Stack> {
    this.stack ??= await LocalWorkspace.selectStack({ stackName: this.name, workDir: ROOT });
    return this.stack;
  }

  async prepare(config: Record<string, { value: string; secret: boolean }>): Promise<void> {
    this.stack = await LocalWorkspace.createOrSelectStack({ stackName: this.name, workDir: ROOT });
    await this.stack.setAllConfig(config);
  }

  async up(): Promise<Record<string, unknown>> {
    const result = await (await this.selected()).up({ onOutput: this.log, signal: this.signal });
    return Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [k, v.value]));
  }

  async destroy(): Promise<void> {
    // Not interruptible: a half-done destroy is what this step exists to prevent.
    await (await this.selected()).destroy({ onOutput: this.log });
  }

  async remove(): Promise<void> {
    await (await this.selected()).workspace.removeStack(this.name);
  }
}

async function requirePulumiCli(): Promise<void> {
  try {
    await PulumiCommand.get();
  } catch (err) {
    throw new UsageError(`the Pulumi CLI is needed on PATH (${(err as Error).message.split("\n")[0]})`);
  }
}

export function makeProgram(io: { out: (s: string) => void; err: (s: string) => void }): Command {
  return new Command("e2e:cloud")
    .description("Deploy a throwaway stack from dev's config, send posts, check the Delta tables, destroy it")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .requiredOption("--stack <name>", "throwaway stack name, e2e-<suffix> (also its name prefix)")
    .addOption(
      new Option("--warehouse-id <id>", "SQL warehouse that reads the lake (docs/operations.md)").env(
        "DATABRICKS_WAREHOUSE_ID",
      ),
    )
    .option("--posts <n>", "posts to send (3 records each, to both paths)", integer(1, 5000), 300)
    .option("--rate <n>", "posts per second", integer(1, 100), 20)
    .option("--seed <n>", "faker seed of the posts", integer(0, 2 ** 31 - 1), 42)
    .option("--first-key <n>", "key of the first post", integer(1, 2_000_000_000), 1_900_000_000)
    .option(
      "--stream-start-timeout <duration>",
      "for the stream job to be running",
      parseDuration,
      20 * 60_000,
    )
    .option(
      "--data-timeout <duration>",
      "for each table group to hold every post",
      parseDuration,
      30 * 60_000,
    )
    .option("--dag-timeout <duration>", "for the DAG to appear, and for its run", parseDuration, 45 * 60_000)
    .option("--sink-settle <duration>", "after the last post, before the DAG run", parseDuration, 3 * 60_000)
    .option("--poll <duration>", "between looks", parseDuration, 30_000)
    .option("--report <file>", "write the JSON report here too")
    .option("--destroy-only", "only destroy and remove the stack (after an interrupted run)", false);
}

export async function main(argv: string[]): Promise<number> {
  const log = (line: string) => process.stderr.write(line.endsWith("\n") ? line : `${line}\n`);
  const program = makeProgram({ out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) });
  try {
    program.parse(argv, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  const opts = program.opts<{
    stack: string;
    warehouseId?: string;
    posts: number;
    rate: number;
    seed: number;
    firstKey: number;
    streamStartTimeout: number;
    dataTimeout: number;
    dagTimeout: number;
    sinkSettle: number;
    poll: number;
    report?: string;
    destroyOnly: boolean;
  }>();

  const controller = new AbortController();
  const stop = () => {
    log("[e2e] interrupted: ending the waits, then destroying the stack");
    controller.abort();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);

  let report: CloudE2eReport;
  try {
    const stack = new AutomationStack(opts.stack, log, controller.signal);
    if (opts.destroyOnly) {
      checkStackName(opts.stack, ROOT);
      await requirePulumiCli();
      report = await destroyOnly({ stack, log }, opts.stack);
    } else {
      if (!opts.warehouseId) throw new UsageError("--warehouse-id (or DATABRICKS_WAREHOUSE_ID) is required");
      const { config, region, databricksHost } = e2eStackConfig(ROOT, opts.stack);
      let auth;
      try {
        auth = resolveDatabricksAuth(process.env);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      await requirePulumiCli();
      const credentials = fromNodeProviderChain();
      const databricks = new DatabricksClient({ host: databricksHost, auth });
      report = await runCloudE2e(
        {
          stack,
          airflow: (outputs) =>
            new MwaaAirflow({ region, environment: outputs.airflowEnvironmentName, credentials }),
          databricks,
          log,
        },
        {
          stackName: opts.stack,
          config,
          warehouseId: opts.warehouseId,
          posts: opts.posts,
          rate: opts.rate,
          firstKey: opts.firstKey,
          seed: opts.seed,
          streamStartTimeoutMs: opts.streamStartTimeout,
          dataTimeoutMs: opts.dataTimeout,
          dagTimeoutMs: opts.dagTimeout,
          sinkSettleMs: opts.sinkSettle,
          pollMs: opts.poll,
          signal: controller.signal,
        },
      );
    }
  } catch (err) {
    if (err instanceof UsageError) {
      log(`e2e:cloud: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const json = JSON.stringify(report, null, 2);
  process.stdout.write(`${json}\n`);
  if (opts.report) fs.writeFileSync(opts.report, `${json}\n`);
  return report.ok ? 0 : report.destroyed ? 1 : 3;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`e2e:cloud: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
