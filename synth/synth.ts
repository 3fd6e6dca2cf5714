/**
 * Offline synth: runs index.ts under the recording mocks with one stack's config file and returns the
 * resource graph (per resource: type, name, parent, inputs with secrets masked, and the options that order and
 * protect it) and the stack outputs. This is
 * the project's `cdk synth`: pull requests show it, and policy checks run on it. No credentials, no CLI.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { installMocks, maskSecrets, RecordedResource, SECRET_PLACEHOLDER, settle } from "./mocks";

export interface SynthGraph {
  project: string;
  stack: string;
  resources: Array<
    Pick<RecordedResource, "urn" | "type" | "name" | "parent" | "id" | "inputs" | "options" | "outputs">
  >;
  outputs: Record<string, unknown>;
}

export interface StackFile {
  config: Record<string, string>;
  secretKeys: string[];
}

/** Reads Pulumi.<stack>.yaml the way the Pulumi CLI hands config to a program: every value as a string. */
export function readStackFile(projectDir: string, stack: string): StackFile {
  const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (!/^[A-Za-z0-9_.-]+$/.test(stack))
    throw new Error(`stack name must be letters, digits, '.', '_' or '-', got '${stack}'`);
  if (!fs.existsSync(file)) {
    const stacks = fs
      .readdirSync(projectDir)
      .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
      .filter((s): s is string => s !== undefined);
    throw new Error(`no stack file ${path.basename(file)} (stacks here: ${stacks.join(", ") || "none"})`);
  }
  const doc = (parseYaml(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(doc.config ?? {})) {
    if (value !== null && typeof value === "object" && "secure" in value) {
      // Encrypted with the stack's secrets provider, which is not reachable offline.
      config[key] = SECRET_PLACEHOLDER;
      secretKeys.push(key);
    } else if (typeof value === "string") {
      config[key] = value;
    } else {
      // Numbers, booleans, lists and maps reach a program as JSON text, as the Pulumi CLI passes them.
      config[key] = JSON.stringify(value);
    }
  }
  return { config, secretKeys };
}

/** Runs the program in `projectDir` for `stack` under mocks. */
export async function synthStack(projectDir: string, stack: string): Promise<SynthGraph> {
  const project = (
    parseYaml(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as { name: string }
  ).name;
  const { config, secretKeys } = readStackFile(projectDir, stack);
  const mocks = await installMocks({ project, stack, config, secretKeys });
  // The program registers its resources while it is being loaded, as under `pulumi up`.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program must load after setMocks
  const program = require(path.join(projectDir, "index.ts")) as Record<string, unknown>;
  const outputs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(program)) {
    outputs[name] = await unwrapOutput(value);
  }
  await settle(mocks);
  return {
    project,
    stack,
    // Sorted by URN: registration order varies between runs, and a pull request should diff only real changes.
    resources: mocks.resources
      .map(({ urn, type, name, parent, id, inputs, options, outputs }) => ({
        urn,
        type,
        name,
        parent,
        id,
        inputs,
        options,
        // A remote component's outputs (awsx's VPC id and subnets): what the resources beside it refer to.
        ...(outputs ? { outputs } : {}),
      }))
      .sort((a, b) => a.urn.localeCompare(b.urn)),
    outputs,
  };
}

async function unwrapOutput(value: unknown): Promise<unknown> {
  if (!pulumi.Output.isInstance(value)) return maskSecrets(value);
  // Output.isSecret is a Promise<boolean> on every Output; it is not in the public typings.
  const secret = await (value as unknown as { isSecret: Promise<boolean> }).isSecret;
  const plain = await new Promise((resolve) => value.apply(resolve));
  return secret ? SECRET_PLACEHOLDER : plain;
}

/**
 * The graph as written to disk: sorted by URN (synthStack), secrets masked, 2-space JSON, and the checkout's
 * own path (in file assets and workspace-file sources) written as `<project>`, so every clone writes the same.
 */
export function graphText(graph: SynthGraph, projectDir: string): string {
  const text = JSON.stringify(graph, null, 2);
  return `${text.split(`${path.resolve(projectDir)}/`).join("<project>/")}\n`;
}

/**
 * Where a stack's graph is committed (synth/graphs/<stack>.json), so a pull request shows the infrastructure's
 * diff without credentials; npm test fails when the program's graph and this file differ.
 */
export function committedGraphPath(projectDir: string, stack: string): string {
  return path.join(projectDir, "synth", "graphs", `${stack}.json`);
}

/** One line per resource, indented under its parent, as `pulumi preview` shows the tree. */
export function renderTree(graph: SynthGraph): string[] {
  const children = new Map<string | null, SynthGraph["resources"]>();
  for (const r of graph.resources) {
    const list = children.get(r.parent) ?? [];
    list.push(r);
    children.set(r.parent, list);
  }
  const known = new Set(graph.resources.map((r) => r.urn));
  const roots = graph.resources.filter((r) => r.parent === null || !known.has(r.parent));
  const lines: string[] = [];
  const walk = (r: SynthGraph["resources"][number], depth: number) => {
    lines.push(`${"  ".repeat(depth)}+ ${r.type}  ${r.name}`);
    for (const child of children.get(r.urn) ?? []) walk(child, depth + 1);
  };
  for (const root of roots) walk(root, 0);
  return lines;
}

/** One line per resource type with its count, sorted by type. */
export function summarize(graph: SynthGraph): string[] {
  const counts = new Map<string, number>();
  for (const r of graph.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, n]) => `${String(n).padStart(4)}  ${type}`);
}
