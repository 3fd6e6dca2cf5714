/**
 * A throwaway stack's name and config: dev's stack file with the few values that make a stack disposable
 * and quick to show data. Checked with the program's own config parser before anything is created.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { CONFIG_NAMESPACE, parseStackConfig, RawConfig } from "../config";
import { UsageError } from "../emulator/outputs";

/** Bad input the user must fix: the same class the emulator throws (the CLIs print it alone, exit 2). */
export { UsageError };

/** `e2e-` then 1-16 of a-z, 0-9, '-': the stack's name is its namePrefix too (3-20 characters). */
export const E2E_STACK_NAME = /^e2e-[a-z0-9](?:[a-z0-9-]{0,14}[a-z0-9])?$/;

/** What every throwaway stack sets over dev's values, and why. */
export const E2E_OVERRIDES: Record<string, string> = {
  // Nothing of it may outlive the run.
  protectStatefulResources: "false",
  lakeForceDestroy: "true",
  // The S3 sink writes an object per minute (or per 100 records), so the batch sees the posts minutes later.
  sinkRotateIntervalMs: "60000",
  sinkFlushSize: "100",
  // The account's API Gateway logging role belongs to a long-lived stack (docs/deploy-checklist.md).
  manageApiGatewayAccount: "false",
};

export interface E2eStackConfig {
  /** Fully qualified keys (`aws:region`, `pinterest-pipeline:namePrefix`) to values. */
  config: Record<string, { value: string; secret: boolean }>;
  region: string;
  databricksHost: string;
}

export function checkStackName(stack: string, root: string): void {
  if (!E2E_STACK_NAME.test(stack))
    throw new UsageError(
      `--stack must be a throwaway name matching ${E2E_STACK_NAME.source} (it is also the name prefix), got '${stack}'`,
    );
  if (fs.existsSync(path.join(root, `Pulumi.${stack}.yaml`)))
    throw new UsageError(
      `--stack ${stack} has a stack file in this repository: the end-to-end test only creates and destroys its own stacks`,
    );
}

/** Dev's config with E2E_OVERRIDES, namePrefix = the stack's name, validated by parseStackConfig. */
export function e2eStackConfig(
  root: string,
  stack: string,
  extra: Record<string, string> = {},
  baseStack = "dev",
): E2eStackConfig {
  checkStackName(stack, root);
  const file = path.join(root, `Pulumi.${baseStack}.yaml`);
  const doc = parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
  const config: E2eStackConfig["config"] = {};
  for (const [key, value] of Object.entries(doc.config ?? {})) {
    if (typeof value !== "string")
      throw new UsageError(
        `${path.basename(file)}: ${key} is not a plain text value (a secret is encrypted for that stack alone); ` +
          "give the throwaway stack its own value through the environment or the provider's variables",
      );
    config[key] = { value, secret: false };
  }
  for (const [key, value] of Object.entries({ ...E2E_OVERRIDES, namePrefix: stack, ...extra }))
    config[`${CONFIG_NAMESPACE}:${key}`] = { value, secret: false };

  const raw: RawConfig = {};
  for (const [key, { value }] of Object.entries(config))
    if (key.startsWith(`${CONFIG_NAMESPACE}:`)) raw[key.slice(CONFIG_NAMESPACE.length + 1)] = value;
  try {
    parseStackConfig(raw, stack, {
      databricksHost: config["databricks:host"]?.value,
      envDatabricksHost: process.env.DATABRICKS_HOST,
    });
  } catch (err) {
    throw new UsageError(`the throwaway stack's config is invalid: ${(err as Error).message}`);
  }
  const region = config["aws:region"]?.value;
  const databricksHost = config["databricks:host"]?.value;
  if (!region) throw new UsageError(`${path.basename(file)} sets no aws:region`);
  if (!databricksHost) throw new UsageError(`${path.basename(file)} sets no databricks:host`);
  return { config, region, databricksHost };
}
