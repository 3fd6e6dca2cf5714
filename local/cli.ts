/**
 * `npm run local -- [command]`: the pipeline on one machine.
 *   run (default)  up, seed, emulate to both paths, batch + stream jobs, insights and an HTML report, down
 *   up             the services only; prints the endpoints and the outputs file for manual emulator runs
 *   down           stops a running `up` (or `run --keep-up`)
 *   status         what is up, and where
 *   reset          deletes the state folder (when nothing is up)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import {
  assertNotUp,
  DEFAULT_STATE_DIR,
  insightsAsText,
  descendants,
  isAlive,
  readState,
  runLocalPipeline,
  seedLocalSource,
  statePaths,
  untilSignal,
  upLocalStack,
} from "./pipeline";
import { REPO_ROOT } from "./services/paths";
import { createSourcePool } from "../emulator/source";

function positiveInt(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < 1 || n > max)
      throw new InvalidArgumentError(`must be an integer from 1 to ${max}`);
    return n;
  };
}

const started = Date.now();
const log = (line: string) =>
  process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
const rel = (p: string) => path.relative(process.cwd(), p) || ".";

interface RunFlags {
  stateDir: string;
  events: number;
  sourcePosts: number;
  seed: number;
  rate: number;
  keepUp?: boolean;
}

export function makeProgram(): Command {
  const program = new Command("local")
    .description(
      "The pinterest-pipeline on one machine: real Kafka, Kinesis API, Spark and Delta on loopback",
    )
    .showHelpAfterError();
  const stateOption = ["--state-dir <dir>", "folder holding all state", DEFAULT_STATE_DIR] as const;

  program
    .command("run", { isDefault: true })
    .description(
      "up, seed, emulate, run the batch and stream jobs, print the insights, write the report, down",
    )
    .option(...stateOption)
    .option("--events <n>", "posts the emulator sends to each path", positiveInt(1_000_000), 1000)
    .option("--source-posts <n>", "posts seeded into the source database", positiveInt(1_000_000), 2000)
    .option(
      "--seed <n>",
      "seed of the generated source data and of the posts sampled from it",
      positiveInt(2 ** 31),
      1,
    )
    .option(
      "--rate <n>",
      "posts per second the emulator sends: paced, so the live page and the real-time windows fill while it runs",
      positiveInt(100_000),
      20,
    )
    .option("--keep-up", "leave the services up after the run, until Ctrl-C or `down`")
    .action(async (flags: RunFlags) => {
      const result = await runLocalPipeline({ ...flags, stateDir: path.resolve(flags.stateDir), log });
      process.stdout.write(`${insightsAsText(result.report.insights)}\n\n`);
      log(`report: ${rel(result.paths.reportHtml)}  (open it in a browser)`);
    });

  program
    .command("up")
    .description("start the services, seed the source database and stay up; prints the endpoints")
    .option(...stateOption)
    .option("--source-posts <n>", "posts seeded into the source database", positiveInt(1_000_000), 2000)
    .option("--seed <n>", "seed of the generated source data", positiveInt(2 ** 31), 1)
    .action(async (flags: { stateDir: string; sourcePosts: number; seed: number }) => {
      const paths = statePaths(path.resolve(flags.stateDir));
      assertNotUp(paths);
      const stack = await upLocalStack(paths.root, log);
      try {
        const pool = createSourcePool(stack.db.url);
        try {
          await seedLocalSource(pool, flags.sourcePosts, flags.seed, log);
        } finally {
          await pool.end();
        }
        const state = readState(paths)!;
        for (const [name, endpoint] of Object.entries(state.endpoints)) log(`${name.padEnd(11)} ${endpoint}`);
        log(`outputs file: ${rel(paths.outputs)}`);
        log(`database URL (with its password): ${rel(paths.dbUrl)}`);
        log(
          `try: npm run emulator -- run --outputs ${rel(paths.outputs)} --db "$(cat ${rel(paths.dbUrl)})" --count 100`,
        );
        log("up; Ctrl-C or `npm run local -- down` stops everything");
        await untilSignal();
      } finally {
        await stack.stop();
        log("down");
      }
    });

  program
    .command("down")
    .description("stop the services a running `up` started")
    .option(...stateOption)
    .action(async (flags: { stateDir: string }) => {
      const paths = statePaths(path.resolve(flags.stateDir));
      const state = readState(paths);
      if (!state || !isAlive(state.pid)) {
        fs.rmSync(paths.state, { force: true });
        log("nothing is up");
        return;
      }
      process.kill(state.pid, "SIGTERM");
      const gone = async (pids: number[], ms: number) => {
        const deadline = Date.now() + ms;
        while (pids.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
        return !pids.some(isAlive);
      };
      if (await gone([state.pid], 60000)) {
        log(`stopped (pid ${state.pid})`);
        return;
      }
      // It did not stop in time: kill it and every process under it (its services), whatever they are doing.
      const tree = [state.pid, ...descendants(state.pid)];
      for (const pid of tree) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      if (!(await gone(tree, 10000)))
        throw new Error(`pids ${tree.filter(isAlive).join(", ")} survived SIGKILL`);
      fs.rmSync(paths.state, { force: true });
      log(`pid ${state.pid} did not stop within 60s: killed it and its ${tree.length - 1} child processes`);
    });

  program
    .command("status")
    .description("what is up, and where")
    .option(...stateOption)
    .action((flags: { stateDir: string }) => {
      const paths = statePaths(path.resolve(flags.stateDir));
      const state = readState(paths);
      if (!state || !isAlive(state.pid)) {
        process.stdout.write(`down (state: ${rel(paths.root)})\n`);
        process.exitCode = 3;
        return;
      }
      process.stdout.write(`up since ${state.startedAt} (pid ${state.pid})\n`);
      for (const [name, endpoint] of Object.entries(state.endpoints))
        process.stdout.write(`  ${name.padEnd(11)} ${endpoint}\n`);
      process.stdout.write(`  outputs     ${rel(paths.outputs)}\n`);
    });

  program
    .command("reset")
    .description("delete the state folder (refused while the services are up)")
    .option(...stateOption)
    .action((flags: { stateDir: string }) => {
      const paths = statePaths(path.resolve(flags.stateDir));
      assertNotUp(paths);
      if (
        !path.resolve(paths.root).startsWith(REPO_ROOT) &&
        !fs.existsSync(path.join(paths.root, "outputs.json"))
      ) {
        throw new Error(`refusing to delete ${paths.root}: not a local pipeline state folder`);
      }
      fs.rmSync(paths.root, { recursive: true, force: true });
      log(`deleted ${rel(paths.root)}`);
    });
  return program;
}

/**
 * Exits once stdout and stderr are written out. A command that is done ends the process, even while a client
 * of a service it stopped (a Kafka client whose broker died, say) still holds a reconnect timer.
 */
function exitWhenFlushed(): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit();
  };
  process.stdout.write("", done);
  process.stderr.write("", done);
}

makeProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`local: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(exitWhenFlushed);
