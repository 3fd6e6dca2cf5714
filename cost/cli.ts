/**
 * `npm run cost -- --stack prod`: the monthly cost estimate of a stack from its Pulumi.<stack>.yaml
 * (cost/estimate.ts), as a table. `--write-docs` refreshes the dev and prod tables in docs/cost.md.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { parseStackConfig } from "../config";
import { readStackFile } from "../synth/synth";
import { costMarkdown, CostEstimate, estimateCost, Usage, USAGE } from "./estimate";

const ROOT = path.resolve(__dirname, "..");
export const COST_DOC = path.join(ROOT, "docs", "cost.md");
export const DOC_STACKS = ["dev", "prod"];

const positive = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a positive number");
  return n;
};

/** The estimate for a stack file of this project, with the stack's usage profile (dev's for others). */
export function estimateStack(
  stack: string,
  overrides: Partial<Usage> = {},
  projectDir = ROOT,
): CostEstimate {
  const { config } = readStackFile(projectDir, stack);
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(config))
    if (key.startsWith("pinterest-pipeline:")) raw[key.slice("pinterest-pipeline:".length)] = value;
  const region = config["aws:region"];
  if (region === undefined) throw new Error(`Pulumi.${stack}.yaml sets no aws:region`);
  return estimateCost(stack, parseStackConfig(raw, stack), region, {
    ...(USAGE[stack] ?? USAGE.dev),
    ...overrides,
  });
}

/** docs/cost.md with each stack's table replaced between its markers. */
export function renderCostDoc(doc: string, estimates: CostEstimate[]): string {
  let out = doc;
  for (const e of estimates) {
    const start = `<!-- cost:${e.stack} -->`;
    const end = `<!-- /cost:${e.stack} -->`;
    const i = out.indexOf(start);
    const j = out.indexOf(end);
    if (i < 0 || j < i)
      throw new Error(`${path.relative(ROOT, COST_DOC)} has no ${start} ... ${end} section`);
    out = `${out.slice(0, i + start.length)}\n${costMarkdown(e)}\n${out.slice(j)}`;
  }
  return out;
}

export function makeCommand(): Command {
  return new Command("cost")
    .description("Monthly cost estimate of a stack from its config (prices: cost/prices.ts)")
    .option("--stack <name>", "stack whose Pulumi.<name>.yaml to price", "dev")
    .option("--posts-per-day <n>", "override the usage profile's posts per day", positive)
    .option("--batch-hours-per-day <n>", "override the hours the batch job runs per day", positive)
    .option("--json", "print the estimate as JSON")
    .option("--write-docs", "rewrite the dev and prod tables in docs/cost.md");
}

function main(argv: string[]): number {
  const opts = makeCommand().parse(argv).opts<{
    stack: string;
    postsPerDay?: number;
    batchHoursPerDay?: number;
    json?: boolean;
    writeDocs?: boolean;
  }>();
  if (opts.writeDocs) {
    fs.writeFileSync(
      COST_DOC,
      renderCostDoc(
        fs.readFileSync(COST_DOC, "utf8"),
        DOC_STACKS.map((s) => estimateStack(s)),
      ),
    );
    process.stdout.write(`updated ${path.relative(process.cwd(), COST_DOC)}\n`);
    return 0;
  }
  const overrides: Partial<Usage> = {
    ...(opts.postsPerDay !== undefined ? { postsPerDay: opts.postsPerDay } : {}),
    ...(opts.batchHoursPerDay !== undefined ? { batchHoursPerDay: opts.batchHoursPerDay } : {}),
  };
  const estimate = estimateStack(opts.stack, overrides);
  process.stdout.write(
    opts.json
      ? `${JSON.stringify(estimate, null, 2)}\n`
      : `Stack ${estimate.stack} (${estimate.region}), estimated monthly cost\n\n${costMarkdown(estimate)}\n`,
  );
  return 0;
}

if (require.main === module) {
  try {
    process.exit(main(process.argv));
  } catch (err) {
    process.stderr.write(`cost: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
}
