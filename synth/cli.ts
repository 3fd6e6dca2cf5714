/**
 * `npm run synth -- --stack dev`: the offline synth's command line. Parses arguments, prints, exits;
 * the work is in synth.ts and, for the guardrails, policy/offline.ts. Exits 1 when a guardrail is violated.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { checkGraph } from "../policy/offline";
import { committedGraphPath, graphText, renderTree, summarize, synthStack } from "./synth";

export function makeCommand(): Command {
  return new Command("synth")
    .description("Render the stack's resource graph under Pulumi mocks, without credentials")
    .requiredOption("--stack <name>", "stack whose Pulumi.<name>.yaml supplies the config (dev, prod)")
    .option("--out <file>", "where to write the JSON graph (default: out/synth/<stack>.json)")
    .option("--json", "print the JSON graph instead of the tree")
    .option(
      "--write-graph",
      "also write it to synth/graphs/<stack>.json, the committed graph npm test compares against",
    )
    .option("--project-dir <dir>", "the Pulumi project", path.resolve(__dirname, ".."));
}

async function main(argv: string[]): Promise<number> {
  const command = makeCommand().parse(argv);
  const opts = command.opts<{
    stack: string;
    out?: string;
    json?: boolean;
    writeGraph?: boolean;
    projectDir: string;
  }>();
  const graph = await synthStack(path.resolve(opts.projectDir), opts.stack);
  const out = opts.out ?? path.join(opts.projectDir, "out", "synth", `${opts.stack}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, graphText(graph, opts.projectDir));
  if (opts.writeGraph)
    fs.writeFileSync(committedGraphPath(opts.projectDir, opts.stack), graphText(graph, opts.projectDir));
  // The policy pack's rules, as `pulumi preview --policy-pack policy` would run them.
  const violations = await checkGraph(graph);
  const policyLines = [
    `Guardrails (policy/): ${violations.length} violation${violations.length === 1 ? "" : "s"}`,
    ...violations.map((v) => `  [${v.rule}] ${v.urn.slice(v.urn.lastIndexOf("::") + 2)}: ${v.message}`),
  ];
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(graph, null, 2)}\n`);
    process.stderr.write(`${policyLines.join("\n")}\n`);
    return violations.length > 0 ? 1 : 0;
  }
  const lines = [
    `Stack ${graph.project}/${graph.stack}: ${graph.resources.length} resources (offline synth, mocked control planes)`,
    "",
    ...renderTree(graph),
    "",
    "Resources by type:",
    ...summarize(graph),
    "",
    "Outputs:",
    ...Object.entries(graph.outputs).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`),
    "",
    ...policyLines,
    "",
    `Graph written to ${path.relative(process.cwd(), out) || out}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  return violations.length > 0 ? 1 : 0;
}

main(process.argv).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`synth: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
