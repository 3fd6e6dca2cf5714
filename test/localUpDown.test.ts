/**
 * `npm run local -- up` / `down` as a user runs them, in their own processes: down stops everything up
 * started, whatever happened to its services meanwhile (here the broker crashed), and exits 0.
 */
import { strict as assert } from "node:assert";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { descendants, isAlive } from "../local/pipeline";
import { REPO_ROOT } from "../local/services/paths";

const CLI = ["-r", "ts-node/register", path.join(REPO_ROOT, "local/cli.ts")];

describe("npm run local -- up, then down", function () {
  this.timeout(240000);
  let stateDir: string;
  let up: ChildProcess | undefined;
  let started: number[] = [];

  before(() => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "local-updown-"));
  });

  after(() => {
    for (const pid of [up?.pid ?? 0, ...started].filter((p) => p > 0 && isAlive(p)))
      process.kill(pid, "SIGKILL");
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it("stops every process up started and exits 0, after the broker crashed", async () => {
    up = spawn(process.execPath, [...CLI, "up", "--state-dir", stateDir, "--source-posts", "50"], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    up.stdout!.on("data", (c: Buffer) => (output += c.toString()));
    up.stderr!.on("data", (c: Buffer) => (output += c.toString()));
    const deadline = Date.now() + 180000;
    while (!output.includes("up; Ctrl-C")) {
      assert.ok(Date.now() < deadline && up.exitCode === null, `up did not come up:\n${output}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    started = descendants(up.pid!);
    const broker = started.find((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("kafka.Kafka");
      } catch {
        return false;
      }
    });
    assert.ok(broker, "the broker is one of up's processes");
    assert.ok(started.length >= 3, `up runs MariaDB, Kafka and kinesis-local: ${started.length} processes`);
    process.kill(broker, "SIGKILL");
    await new Promise((r) => setTimeout(r, 2000));

    const t0 = Date.now();
    const down = spawnSync(process.execPath, [...CLI, "down", "--state-dir", stateDir], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      timeout: 120000,
    });
    const seconds = (Date.now() - t0) / 1000;
    assert.equal(down.status, 0, `down exited ${down.status}:\n${down.stdout}${down.stderr}`);
    assert.match(down.stdout + down.stderr, /stopped \(pid \d+\)/);
    assert.ok(seconds < 45, `down took ${seconds}s: up stopped by itself, not by the last-resort kill`);
    // up is this process's child: wait until it is reaped, or it would still look alive as a zombie.
    const exited = up.exitCode !== null || up.signalCode !== null;
    if (!exited) await new Promise((r) => up!.once("exit", r));
    const survivors = [...started].filter(isAlive);
    assert.deepEqual(survivors, [], "no process of up's is left");
    assert.ok(!fs.existsSync(path.join(stateDir, "state.json")), "the state file is gone");
  });
});
