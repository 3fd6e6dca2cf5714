/**
 * Every lock and manifest we ship installs from the package registries only, on any machine: none names a
 * local path, a file: URL, a git or tarball source, or a host other than the registries' own. (A lock once
 * pinned pyarrow as a file:///tmp wheel that existed on one machine; a new machine could not install us.)
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");

/** Locks and manifests of npm, pip, Maven and Go, by file name. */
const MANIFEST =
  /(^|\/)(package(-lock)?\.json|[^/]*requirements[^/]*\.txt|[^/]*\.lock|pyproject\.toml|pom\.xml|go\.(mod|sum))$/;

/** The registries: npm, PyPI, Maven Central, the Go module proxy. */
const REGISTRY_HOSTS = new Set([
  "registry.npmjs.org",
  "pypi.org",
  "files.pythonhosted.org",
  "repo.maven.apache.org",
  "repo1.maven.org",
  "proxy.golang.org",
  "sum.golang.org",
]);

/** Hosts a file may name for a reason other than installing here: file, host, why. */
const ALLOWED_ELSEWHERE: Array<{ file: string; host: string; why: string }> = [
  {
    file: "dags/mwaa-requirements.txt",
    host: "raw.githubusercontent.com",
    why: "installed by MWAA in the cloud, not here: Airflow's constraints file for MWAA's Airflow 2.10.3",
  },
];

/** What a line names that a new machine may not have, or may not be allowed to reach. */
export function foreignReferences(file: string, text: string): string[] {
  if (file.endsWith("package-lock.json")) return lockReferences(file, text);
  const found: string[] = [];
  text.split("\n").forEach((raw, i) => {
    const where = `${file}:${i + 1}`;
    // XML namespaces and schema locations are names, not downloads.
    const line = raw.replace(/\s(xmlns(:\w+)?|xsi:schemaLocation)="[^"]*"/g, "");
    if (/file:|link:/.test(line)) found.push(`${where}: a file: or link: reference: ${raw.trim()}`);
    if (/git\+|git:\/\/|github:/.test(line)) found.push(`${where}: a git source: ${raw.trim()}`);
    if (/(^|[\s"'=@(,])(\/(tmp|home|root|Users|var|opt|mnt|private)\/|~\/|[A-Za-z]:\\)/.test(line))
      found.push(`${where}: a path on one machine: ${raw.trim()}`);
    for (const [, host] of line.matchAll(/https?:\/\/([^/\s"'<>:]+)/g)) {
      const allowed =
        REGISTRY_HOSTS.has(host) || ALLOWED_ELSEWHERE.some((a) => a.file === file && a.host === host);
      if (!allowed) found.push(`${where}: a host other than the registries': ${host}`);
    }
  });
  if (file.endsWith("package.json")) {
    const manifest = JSON.parse(text) as Record<string, Record<string, string> | undefined>;
    for (const field of ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"]) {
      for (const [name, spec] of Object.entries(manifest[field] ?? {})) {
        if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec))
          found.push(`${file}: ${field}.${name} is '${spec}', not an exact version from the registry`);
      }
    }
  }
  return found;
}

/**
 * npm's lock: where each package comes from (`resolved`, a non-registry `version`, `link`). Its other URLs
 * (funding, homepages) are metadata that npm never downloads.
 */
function lockReferences(file: string, text: string): string[] {
  const lines = text.split("\n");
  const lock = JSON.parse(text) as {
    packages?: Record<string, { resolved?: string; version?: string; link?: boolean }>;
  };
  const found: string[] = [];
  for (const [name, entry] of Object.entries(lock.packages ?? {})) {
    if (name === "") continue;
    const where = `${file}:${lines.findIndex((l) => l.includes(`"${name}": {`)) + 1}`;
    if (entry.link) found.push(`${where}: ${name} is a link to a local folder`);
    if (entry.version && !/^\d/.test(entry.version))
      found.push(`${where}: ${name} comes from '${entry.version}'`);
    if (entry.resolved) {
      const host = /^https:\/\/([^/]+)\//.exec(entry.resolved)?.[1];
      if (!host || !REGISTRY_HOSTS.has(host)) found.push(`${where}: ${name} resolves to ${entry.resolved}`);
    }
  }
  return found;
}

describe("locks and manifests install from the registries only", () => {
  const tracked = execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" })
    .split("\n")
    .filter((f) => MANIFEST.test(f));

  it("checks every lock and manifest of npm, pip and Maven the repository tracks", () => {
    for (const expected of [
      "package.json",
      "package-lock.json",
      "jobs/requirements-dev.lock",
      "jobs/pyproject.toml",
      "dags/mwaa-requirements.txt",
      "local/jvm/kafka/pom.xml",
      "local/jvm/delta/pom.xml",
    ]) {
      assert.ok(tracked.includes(expected), `${expected} is checked`);
    }
  });

  it("names no local path, file: URL, git source or other host", () => {
    const found = tracked.flatMap((file) =>
      foreignReferences(file, fs.readFileSync(path.join(ROOT, file), "utf8")),
    );
    assert.deepEqual(found, []);
  });

  it("would have caught the lock that pinned a wheel in one machine's /tmp", () => {
    const lock = [
      "py4j==0.10.9.9",
      "pyarrow @ file:///tmp/pa/pyarrow-17.0.0-cp311-cp311-manylinux_2_28_x86_64.whl#sha256=e3343cb1",
      "pytest==8.3.5",
    ].join("\n");
    const found = foreignReferences("jobs/requirements-dev.lock", lock);
    assert.ok(found.length > 0);
    assert.ok(
      found.every((f) => f.startsWith("jobs/requirements-dev.lock:2: ")),
      found.join("\n"),
    );
    assert.deepEqual(
      foreignReferences("x/requirements.txt", "--index-url https://mirror.example.com/simple\nfoo==1"),
      ["x/requirements.txt:1: a host other than the registries': mirror.example.com"],
    );
    assert.deepEqual(foreignReferences("package.json", JSON.stringify({ dependencies: { a: "^1.2.3" } })), [
      "package.json: dependencies.a is '^1.2.3', not an exact version from the registry",
    ]);
    const lockText = JSON.stringify(
      { packages: { "": {}, "node_modules/a": { version: "1.0.0", resolved: "file:/tmp/a-1.0.0.tgz" } } },
      null,
      2,
    );
    assert.deepEqual(foreignReferences("package-lock.json", lockText), [
      "package-lock.json:4: node_modules/a resolves to file:/tmp/a-1.0.0.tgz",
    ]);
  });
});
