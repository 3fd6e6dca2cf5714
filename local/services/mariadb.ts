/**
 * A private MariaDB server (Debian's mariadb-server, installed by scripts/bootstrap.sh): its own data
 * directory, a free loopback port, a socket inside the state folder, and one application user with a random
 * password. Nothing touches a system database server.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import * as mysql from "mysql2/promise";
import { freePort } from "./ports";
import { ServiceProcess } from "./process";

const run = promisify(execFile);

export interface MariaDbOptions {
  /** Folder for data, socket and log; created if missing. */
  stateDir: string;
  /** Port; default: a free one. */
  port?: number;
  /** Database created for the application. Default "pinterest". */
  database?: string;
}

function findBinary(name: string): string {
  for (const dir of (process.env.PATH ?? "")
    .split(":")
    .concat(["/usr/sbin", "/usr/bin", "/usr/local/sbin"])) {
    const candidate = path.join(dir, name);
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`${name} not found: run scripts/bootstrap.sh mariadb (installs Debian's mariadb-server)`);
}

export class MariaDb {
  private constructor(
    private readonly process: ServiceProcess,
    public readonly stateDir: string,
    public readonly port: number,
    public readonly database: string,
    public readonly user: string,
    private readonly password: string,
  ) {}

  /** mysql://user:password@127.0.0.1:port/database, what the emulator takes as --db. */
  get url(): string {
    return `mysql://${this.user}:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}/${this.database}`;
  }

  get connectionOptions(): mysql.ConnectionOptions {
    return {
      host: "127.0.0.1",
      port: this.port,
      user: this.user,
      password: this.password,
      database: this.database,
    };
  }

  get running(): boolean {
    return this.process.running;
  }

  /** Initialises the data directory on first use, starts the server, and creates the database and user. */
  static async launch(options: MariaDbOptions): Promise<MariaDb> {
    const stateDir = path.resolve(options.stateDir);
    const dataDir = path.join(stateDir, "data");
    const socket = path.join(stateDir, "mysqld.sock");
    fs.mkdirSync(stateDir, { recursive: true });
    // mariadbd refuses to run as root unless told to; elsewhere it runs as whoever we are.
    const user = os.userInfo().username;
    if (!fs.existsSync(path.join(dataDir, "mysql"))) {
      await run(findBinary("mariadb-install-db"), [
        "--no-defaults",
        `--datadir=${dataDir}`,
        `--user=${user}`,
        "--auth-root-authentication-method=socket",
        "--skip-test-db",
      ]).catch((err: Error & { stderr?: string }) => {
        throw new Error(`mariadb-install-db failed: ${err.stderr ?? err.message}`);
      });
    }
    const port = options.port ?? (await freePort());
    const server = new ServiceProcess({
      name: "mariadb",
      command: findBinary("mariadbd"),
      args: [
        "--no-defaults",
        `--datadir=${dataDir}`,
        `--socket=${socket}`,
        `--pid-file=${path.join(stateDir, "mariadbd.pid")}`,
        `--port=${port}`,
        "--bind-address=127.0.0.1",
        "--skip-name-resolve",
        `--user=${user}`,
        "--innodb-buffer-pool-size=64M",
        "--character-set-server=utf8mb4",
        "--collation-server=utf8mb4_unicode_ci",
      ],
      logFile: path.join(stateDir, "mariadb.log"),
    });
    server.start();
    await server.waitUntil(async () => {
      if (!fs.existsSync(socket)) return false;
      const c = await mysql.createConnection({ socketPath: socket, user: "root" });
      await c.end();
      return true;
    }, 60000);

    const database = options.database ?? "pinterest";
    const appUser = "pinpipe";
    const passwordFile = path.join(stateDir, "app-password");
    // Kept beside the data so a restarted server keeps its credentials; the folder is the state folder.
    if (!fs.existsSync(passwordFile))
      fs.writeFileSync(passwordFile, randomBytes(18).toString("base64url"), { mode: 0o600 });
    const password = fs.readFileSync(passwordFile, "utf8");
    const admin = await mysql.createConnection({ socketPath: socket, user: "root" });
    try {
      await admin.query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4`);
      await admin.query("CREATE USER IF NOT EXISTS ?@'127.0.0.1' IDENTIFIED BY ?", [appUser, password]);
      await admin.query(`GRANT ALL PRIVILEGES ON \`${database}\`.* TO ?@'127.0.0.1'`, [appUser]);
    } finally {
      await admin.end();
    }
    return new MariaDb(server, stateDir, port, database, appUser, password);
  }

  stop(): Promise<void> {
    return this.process.stop(30000);
  }
}
