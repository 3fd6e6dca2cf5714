/**
 * Child processes of the local services: output to a log file, a readiness wait that fails fast when the
 * child dies, and a stop that escalates from SIGTERM to SIGKILL. Every live child is killed when this
 * process exits, whatever the reason, so a failed test or a Ctrl-C leaves no orphan holding a port.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "./paths";

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of live) child.kill("SIGKILL");
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      for (const child of live) child.kill("SIGKILL");
      process.kill(process.pid, signal);
    });
  }
}

export interface ServiceProcessOptions {
  /** Shown in errors. */
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);

  constructor(private readonly options: ServiceProcessOptions) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.running) throw new Error(`${this.options.name} is already running`);
    installExitHook();
    const log = fs.openSync(this.options.logFile, "a");
    const child = spawn(this.options.command, this.options.args, {
      cwd: this.options.cwd,
      env: this.options.env ?? process.env,
      stdio: ["ignore", log, log],
    });
    fs.closeSync(log);
    live.add(child);
    this.exited = new Promise((resolve) => {
      child.once("exit", (code) => {
        live.delete(child);
        resolve(code);
      });
      child.once("error", () => {
        live.delete(child);
        resolve(null);
      });
    });
    this.child = child;
  }

  /** Last lines of the log, for error messages. */
  tail(lines = 20): string {
    try {
      return fs.readFileSync(this.options.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  /** Resolves when `ready()` is true; rejects with the log's tail when the child dies or time runs out. */
  async waitUntil(ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) {
        throw new Error(
          `${this.options.name} exited during start-up; log ${this.options.logFile}:\n${this.tail()}`,
        );
      }
      if (await ready().catch(() => false)) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(
      `${this.options.name} not ready after ${timeoutMs} ms; log ${this.options.logFile}:\n${this.tail()}`,
    );
  }

  /** SIGTERM, then SIGKILL after graceMs. Resolves when the process is gone. */
  async stop(graceMs = 15000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill("SIGTERM");
    child.kill("SIGCONT"); // a paused (SIGSTOP) process would not act on SIGTERM until continued
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGSTOP: the process stays alive but answers nothing (a stall), for fault tests. */
  pause(): void {
    if (this.child && this.running) this.child.kill("SIGSTOP");
  }

  /** SIGCONT after `pause()`. */
  resume(): void {
    if (this.child && this.running) this.child.kill("SIGCONT");
  }

  /** Immediate SIGKILL: a crash, for fault tests. */
  async kill(): Promise<void> {
    if (!this.child || !this.running) return;
    this.child.kill("SIGKILL");
    await this.exited;
  }
}

/**
 * Starts one of the project's TypeScript servers (local/restIngestServer.ts, local/kinesisApiServer.ts,
 * bench/noopTarget.ts) as its own Node process and resolves with the URL it prints as {"url": ...}.
 */
export async function startUrlService(
  name: string,
  script: string,
  args: string[],
  logDir: string,
): Promise<{ url: string; process: ServiceProcess }> {
  const root = REPO_ROOT;
  const logFile = path.join(logDir, `${name}.log`);
  const proc = new ServiceProcess({
    name,
    command: process.execPath,
    args: ["-r", "ts-node/register", path.join(root, script), ...args],
    logFile,
    cwd: root,
  });
  proc.start();
  const urlLine = () =>
    fs.existsSync(logFile)
      ? fs
          .readFileSync(logFile, "utf8")
          .split("\n")
          .find((l) => l.includes('"url"'))
      : undefined;
  await proc.waitUntil(() => Promise.resolve(urlLine() !== undefined), 60000);
  return { url: (JSON.parse(urlLine()!) as { url: string }).url, process: proc };
}
