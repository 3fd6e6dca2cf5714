import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** The repository root (this file is local/services/paths.ts). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/**
 * Folder holding the jars of local/jvm/<name>/pom.xml, as scripts/bootstrap.sh names it (the pom's hash, so
 * a changed pom means a fresh fetch). Throws with the command to run when the jars are not there.
 */
export function jvmLibsDir(name: "kafka" | "delta"): string {
  const pom = fs.readFileSync(path.join(REPO_ROOT, "local", "jvm", name, "pom.xml"));
  const dir = path.join(
    REPO_ROOT,
    ".cache",
    "jvm",
    `${name}-${createHash("sha256").update(pom).digest("hex").slice(0, 12)}`,
  );
  if (!fs.existsSync(path.join(dir, ".complete"))) {
    throw new Error(`${name} jars not found in ${dir}: run scripts/bootstrap.sh jvm`);
  }
  return dir;
}
