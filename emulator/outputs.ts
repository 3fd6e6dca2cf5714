/**
 * Where to send events: a stack's outputs, from `--outputs FILE` (the shape `pulumi stack output --json`
 * prints, which the local pipeline also writes) or from `--stack NAME` through the Pulumi CLI.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { promisify } from "node:util";
import { z } from "zod";
import type { EventKind } from "../components/events";

const run = promisify(execFile);

/** A name per record kind, as the program outputs them (it names topics and streams once: components/names.ts). */
export const namesPerKind = z.object(
  { pin: z.string().min(1), geo: z.string().min(1), user: z.string().min(1) },
  {
    error:
      "must map pin, geo and user to their names (a stack deployed before the outputs became maps: run pulumi up)",
  },
);

export const stackOutputsSchema = z.object({
  kafkaRestUrl: z.url().optional(),
  kafkaTopics: namesPerKind.optional(),
  kinesisApiUrl: z.url().optional(),
  kinesisStreams: namesPerKind.optional(),
  apiKey: z.string().min(1).optional(),
});
export type StackOutputs = z.infer<typeof stackOutputsSchema>;

export type Target = "kafka" | "kinesis";

export interface Endpoints {
  kafka?: { url: string; topics: Record<EventKind, string> };
  kinesis?: { url: string; streams: Record<EventKind, string> };
  apiKey?: string;
}

/** Thrown for bad input the user must fix: the CLI prints the message alone and exits 2. */
export class UsageError extends Error {}

export function endpointsFor(outputs: StackOutputs, targets: Target[]): Endpoints {
  const endpoints: Endpoints = { apiKey: outputs.apiKey };
  if (targets.includes("kafka")) {
    if (!outputs.kafkaRestUrl || !outputs.kafkaTopics) {
      throw new UsageError(
        "the outputs have no kafkaRestUrl and kafkaTopics: this stack cannot take --target kafka",
      );
    }
    endpoints.kafka = {
      url: outputs.kafkaRestUrl.replace(/\/$/, ""),
      topics: { ...outputs.kafkaTopics },
    };
  }
  if (targets.includes("kinesis")) {
    if (!outputs.kinesisApiUrl || !outputs.kinesisStreams) {
      throw new UsageError(
        "the outputs have no kinesisApiUrl and kinesisStreams: this stack cannot take --target kinesis",
      );
    }
    endpoints.kinesis = {
      url: outputs.kinesisApiUrl.replace(/\/$/, ""),
      streams: { ...outputs.kinesisStreams },
    };
  }
  return endpoints;
}

function parseOutputs(text: string, source: string): StackOutputs {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`${source} is not JSON`);
  }
  const parsed = stackOutputsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`${source}: ${issue.path.join(".") || "value"}: ${issue.message}`);
  }
  return parsed.data;
}

export function readOutputsFile(file: string): StackOutputs {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(
      `cannot read --outputs ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return parseOutputs(text, `--outputs ${file}`);
}

/** Reads a deployed stack's outputs with `pulumi stack output --json --show-secrets`. */
export async function readStackOutputs(stack: string, pulumiBinary = "pulumi"): Promise<StackOutputs> {
  if (!/^[A-Za-z0-9_./-]+$/.test(stack))
    throw new UsageError(`--stack must be a stack name like dev or org/project/dev, got '${stack}'`);
  try {
    const { stdout } = await run(
      pulumiBinary,
      ["stack", "output", "--json", "--show-secrets", "--stack", stack],
      {
        maxBuffer: 8 * 1024 * 1024,
      },
    );
    return parseOutputs(stdout, `the outputs of stack ${stack}`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT")
      throw new UsageError("--stack needs the Pulumi CLI, which is not installed here; use --outputs FILE");
    throw new UsageError(
      `cannot read the outputs of stack ${stack}: ${(e.stderr ?? e.message).trim().split("\n")[0]}`,
    );
  }
}
