/**
 * The emulator's command line: parses and checks arguments, wires the core (seed.ts, run.ts, console.ts)
 * and is the only place that exits. Bad input of any kind (flags, outputs file, stack, database URL) prints
 * one line and exits 2. `run` exits 1 when any record failed for good, 130 when interrupted, else 0.
 *
 *   emulator seed    --db URL [--posts 1000] [--seed 42] [--malformed-share 0.02] [--replace]
 *   emulator run     --db URL (--outputs FILE | --stack NAME) [--target both] [--rate N]
 *                    (--count N | --duration 30s) [--batch-size 1] [--concurrency 8] [--json]
 *   emulator console --db URL [--count 10] [--interval-ms 0]
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { SingleBar } from "cli-progress";
import { seedSource } from "./seed";
import { createSourcePool, PostSource, validateDatabaseUrl } from "./source";
import { endpointsFor, readOutputsFile, readStackOutputs, Target, UsageError } from "./outputs";
import { runEmulator, RunSummary } from "./run";
import { DEFAULT_DELIVERY } from "./deliver";
import { printPosts } from "./console";

export const integer = (min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < min || n > max) {
    throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
  }
  return n;
};

const positiveNumber = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a number above 0");
  return n;
};

const share = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError("must be a number from 0 to 1");
  return n;
};

/** "90", "90s", "5m", "1h" to milliseconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value);
  if (!match || Number(match[1]) <= 0)
    throw new InvalidArgumentError("must be a duration like 30s, 5m or 1h");
  const unit = { ms: 1, s: 1000, m: 60000, h: 3600000 }[match[2] ?? "s"] ?? 1000;
  return Math.round(Number(match[1]) * unit);
}

const dbOption = () =>
  new Option("--db <url>", "source database, mysql://user:password@host:port/database")
    .env("PINPIPE_DB_URL")
    .makeOptionMandatory();

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  isTty: boolean;
  signal?: AbortSignal;
}

/** A fresh program per call (commander's advice), so each test gets its own. */
export function makeProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command("emulator")
    .description("Seed the source database and post events through a pinterest-pipeline stack's outputs")
    .exitOverride()
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      outputError: (text, write) => write(`emulator: ${text.replace(/^error: /, "")}`),
    });

  program
    .command("seed")
    .description("create the source tables and fill them with N linked posts")
    .addOption(dbOption())
    .option("--posts <n>", "posts to create", integer(1, 10_000_000), 1000)
    .option("--seed <n>", "random seed: the same seed gives the same rows", integer(0, 2 ** 31 - 1), 42)
    .option("--malformed-share <x>", "share of posts breaking a cleaning rule (0-1)", share, 0.02)
    .option("--replace", "drop and recreate the tables first", false)
    .action(
      async (opts: { db: string; posts: number; seed: number; malformedShare: number; replace: boolean }) => {
        const pool = openPool(opts.db);
        try {
          const result = await seedSource(pool, {
            posts: opts.posts,
            seed: opts.seed,
            malformedShare: opts.malformedShare,
            replace: opts.replace,
          });
          io.out(`seeded ${result.posts} posts (${result.malformed} malformed) with seed ${opts.seed}\n`);
        } finally {
          await pool.end();
        }
      },
    );

  program
    .command("run")
    .description("post random posts to the stack's Kafka REST API and/or Kinesis API")
    .addOption(dbOption())
    .addOption(
      new Option(
        "--outputs <file>",
        "stack outputs as JSON (pulumi stack output --json, or the local pipeline's)",
      ).conflicts("stack"),
    )
    .addOption(new Option("--stack <name>", "read a deployed stack's outputs with the Pulumi CLI"))
    .addOption(
      new Option("--target <target>", "where to post").choices(["kafka", "kinesis", "both"]).default("both"),
    )
    .option("--rate <n>", "posts per second (default: as fast as delivery allows)", positiveNumber)
    .option("--count <n>", "posts to send", integer(1, 1_000_000_000))
    .option("--duration <time>", "how long to run, e.g. 30s, 5m", parseDuration)
    .option("--batch-size <n>", "records per request (up to 500)", integer(1, 500), 1)
    .option("--concurrency <n>", "requests in flight", integer(1, 256), 8)
    .option(
      "--max-retries <n>",
      "retries of a request or of its failed records",
      integer(0, 20),
      DEFAULT_DELIVERY.maxRetries,
    )
    .option("--json", "print the summary as JSON", false)
    .action(
      async (opts: {
        db: string;
        outputs?: string;
        stack?: string;
        target: "kafka" | "kinesis" | "both";
        rate?: number;
        count?: number;
        duration?: number;
        batchSize: number;
        concurrency: number;
        maxRetries: number;
        json: boolean;
      }) => {
        if (opts.outputs === undefined && opts.stack === undefined)
          throw new UsageError("run needs --outputs FILE or --stack NAME");
        if (opts.count === undefined && opts.duration === undefined)
          throw new UsageError("run needs --count N or --duration TIME");
        const targets: Target[] = opts.target === "both" ? ["kafka", "kinesis"] : [opts.target];
        const outputs =
          opts.outputs !== undefined ? readOutputsFile(opts.outputs) : await readStackOutputs(opts.stack!);
        const endpoints = endpointsFor(outputs, targets);
        const pool = openPool(opts.db, Math.min(opts.concurrency, 16));
        const bar =
          io.isTty && !opts.json && opts.count !== undefined
            ? new SingleBar({
                format: "posts {bar} {value}/{total} | acked {acked} | failed {failed}",
                hideCursor: true,
              })
            : undefined;
        try {
          bar?.start(opts.count!, 0, { acked: 0, failed: 0 });
          const summary = await runEmulator({
            targets,
            endpoints,
            source: new PostSource(pool),
            rate: opts.rate,
            count: opts.count,
            durationMs: opts.duration,
            batchSize: opts.batchSize,
            concurrency: opts.concurrency,
            delivery: { ...DEFAULT_DELIVERY, maxRetries: opts.maxRetries, apiKey: endpoints.apiKey },
            signal: io.signal,
            onProgress: bar
              ? (s) => bar.update(s.posts, { acked: sum(s, "acked"), failed: sum(s, "failed") })
              : undefined,
          });
          bar?.update(summary.posts, { acked: sum(summary, "acked"), failed: sum(summary, "failed") });
          bar?.stop();
          io.out(opts.json ? `${JSON.stringify(summary)}\n` : renderSummary(summary));
          const failed = sum(summary, "failed");
          setExitCode(failed > 0 ? 1 : summary.interrupted ? 130 : 0);
        } finally {
          bar?.stop();
          await pool.end();
        }
      },
    );

  program
    .command("console")
    .description("print random posts, as the original emulator did")
    .addOption(dbOption())
    .option("--count <n>", "posts to print", integer(1, 1_000_000), 10)
    .option("--interval-ms <n>", "pause between posts", integer(0, 60000), 0)
    .action(async (opts: { db: string; count: number; intervalMs: number }) => {
      const pool = openPool(opts.db);
      try {
        await printPosts(
          new PostSource(pool),
          opts.count,
          opts.intervalMs,
          (line) => io.out(`${line}\n`),
          io.signal,
        );
      } finally {
        await pool.end();
      }
    });

  return program;
}

function openPool(url: string, limit = 4) {
  const problem = validateDatabaseUrl(url);
  if (problem) throw new UsageError(problem);
  return createSourcePool(url, limit);
}

function sum(summary: RunSummary, field: "acked" | "failed" | "posted"): number {
  return Object.values(summary.targets).reduce((n, t) => n + (t?.[field] ?? 0), 0);
}

export function renderSummary(summary: RunSummary): string {
  const lines = [
    `${summary.posts} posts in ${(summary.elapsedMs / 1000).toFixed(1)} s${summary.interrupted ? " (interrupted)" : ""}`,
    ...Object.entries(summary.targets).map(
      ([target, c]) =>
        `  ${target.padEnd(8)} posted ${c.posted}  acked ${c.acked}  failed ${c.failed}  requests ${c.requests}${c.lastError && c.failed > 0 ? `  last error: ${c.lastError}` : ""}`,
    ),
  ];
  return `${lines.join("\n")}\n`;
}

/** Database errors a user causes (wrong host, password, database) are usage errors too. */
function isConnectionProblem(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? "";
  return [
    "ECONNREFUSED",
    "ENOTFOUND",
    "ER_ACCESS_DENIED_ERROR",
    "ER_BAD_DB_ERROR",
    "ETIMEDOUT",
    "EHOSTUNREACH",
  ].includes(code);
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const program = makeProgram(io, (code) => (exitCode = code));
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError) {
      io.err(`emulator: ${err.message}\n`);
      return 2;
    }
    if (isConnectionProblem(err)) {
      io.err(`emulator: cannot use the source database: ${(err as Error).message}\n`);
      return 2;
    }
    io.err(`emulator: ${(err as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) {
  const controller = new AbortController();
  let interrupts = 0;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      interrupts++;
      if (interrupts > 1) process.exit(130); // a second Ctrl-C does not wait
      process.stderr.write(
        `\nemulator: ${signal}: stopping, finishing what is in flight (again to quit now)\n`,
      );
      controller.abort();
    });
  }
  void main(process.argv, {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    isTty: Boolean(process.stderr.isTTY),
    signal: controller.signal,
  }).then((code) => process.exit(code));
}
