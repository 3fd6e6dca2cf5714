/**
 * The policy pack as the Pulumi CLI runs it: `policy/index.ts` started in its own process from the pack's
 * folder serves Pulumi's analyzer gRPC protocol (@pulumi/policy's server, printing its port), and this test
 * is the engine's side of it: it asks for the pack's policies and sends resources to analyze, over the
 * real protocol. Only the CLI that would start the process is missing here.
 */
import { strict as assert } from "node:assert";
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { RULES } from "../policy/rules";

const POLICY_DIR = path.resolve(__dirname, "..", "policy");

/* The generated protobuf modules ship without TypeScript types for google-protobuf: the parts used here. */
interface Message {
  serializeBinary(): Uint8Array;
}
interface PolicyInfo {
  getName(): string;
  getEnforcementlevel(): number;
}
interface Diagnostic {
  getPolicyname(): string;
  getMessage(): string;
  getUrn(): string;
  getEnforcementlevel(): number;
}
interface AnalyzerResource extends Message {
  setType(v: string): AnalyzerResource;
  setName(v: string): AnalyzerResource;
  setUrn(v: string): AnalyzerResource;
  setProperties(v: Message): AnalyzerResource;
  setOptions(v: Message): AnalyzerResource;
  getPropertydependenciesMap(): { set(key: string, value: Message): void };
}
interface AnalyzerClient {
  getAnalyzerInfo(
    req: Message,
    cb: (err: Error | null, res: { getPoliciesList(): PolicyInfo[] }) => void,
  ): void;
  analyze(req: Message, cb: (err: Error | null, res: { getDiagnosticsList(): Diagnostic[] }) => void): void;
  analyzeStack(
    req: Message,
    cb: (err: Error | null, res: { getDiagnosticsList(): Diagnostic[] }) => void,
  ): void;
  close(): void;
}
interface AnalyzeRequest extends Message {
  setType(v: string): AnalyzeRequest;
  setName(v: string): AnalyzeRequest;
  setUrn(v: string): AnalyzeRequest;
  setProperties(v: Message): AnalyzeRequest;
  setOptions(v: Message): AnalyzeRequest;
}
/* eslint-disable @typescript-eslint/no-require-imports */
const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb") as {
  AnalyzeRequest: new () => AnalyzeRequest;
  AnalyzerResourceOptions: new () => Message & { setProtect(v: boolean): Message };
  AnalyzerResource: new () => AnalyzerResource;
  AnalyzeStackRequest: new () => Message & { setResourcesList(v: AnalyzerResource[]): void };
  AnalyzerPropertyDependencies: new () => Message & { setUrnsList(v: string[]): void };
  EnforcementLevel: Record<string, number>;
};
const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb") as {
  AnalyzerClient: new (address: string, credentials: grpc.ChannelCredentials) => AnalyzerClient;
};
const { Empty } = require("google-protobuf/google/protobuf/empty_pb") as { Empty: new () => Message };
const { Struct } = require("google-protobuf/google/protobuf/struct_pb") as {
  Struct: { fromJavaScript(value: Record<string, unknown>): Message };
};
/* eslint-enable @typescript-eslint/no-require-imports */

function call<T>(fn: (cb: (err: Error | null, res: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res))));
}

describe("policy pack served over Pulumi's analyzer protocol", function () {
  this.timeout(120_000);
  let pack: ChildProcess;
  let client: AnalyzerClient;
  let stderr = "";

  before(async () => {
    // As the CLI starts a Node.js policy pack: its folder as the working directory, TypeScript via ts-node.
    pack = spawn(process.execPath, ["-r", "ts-node/register", "index.ts"], {
      cwd: POLICY_DIR,
      env: { ...process.env, TS_NODE_PROJECT: path.join(POLICY_DIR, "tsconfig.json") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    pack.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const port = await new Promise<string>((resolve, reject) => {
      let out = "";
      pack.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /^(\d+)\s*$/m.exec(out);
        if (m) resolve(m[1]);
      });
      pack.on("exit", (code) => reject(new Error(`the pack exited (${code}) before serving: ${stderr}`)));
    });
    client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close();
    pack?.kill("SIGTERM");
  });

  it("serves every rule, mandatory", async () => {
    const info = await call<{ getPoliciesList(): PolicyInfo[] }>((cb) =>
      client.getAnalyzerInfo(new Empty(), cb),
    );
    const policies = info.getPoliciesList();
    assert.deepEqual(policies.map((p) => p.getName()).sort(), RULES.map((r) => r.name).sort());
    for (const p of policies)
      assert.equal(
        p.getEnforcementlevel(),
        analyzerPb.EnforcementLevel.MANDATORY,
        `${p.getName()} is mandatory`,
      );
  });

  const analyze = (
    type: string,
    name: string,
    stack: string,
    props: Record<string, unknown>,
    options = new analyzerPb.AnalyzerResourceOptions().setProtect(true),
  ) =>
    call<{ getDiagnosticsList(): Diagnostic[] }>((cb) =>
      client.analyze(
        new analyzerPb.AnalyzeRequest()
          .setType(type)
          .setName(name)
          .setUrn(
            `urn:pulumi:${stack}::pinterest-pipeline::pinterest-pipeline:lakehouse:BatchLakehouse$${type}::${name}`,
          )
          .setProperties(Struct.fromJavaScript(props))
          // The engine always sends the resource's options (protected, unless a test says otherwise).
          .setOptions(options),
        cb,
      ),
    ).then((res) => res.getDiagnosticsList());

  it("reports a violation as a mandatory diagnostic naming rule and resource", async () => {
    const diagnostics = await analyze("aws:kinesis/stream:Stream", "pinpipe-prod-pin", "prod", {
      encryptionType: "NONE",
    });
    assert.deepEqual(
      diagnostics.map((d) => [d.getPolicyname(), d.getEnforcementlevel()]),
      [["kinesis-encrypted", analyzerPb.EnforcementLevel.MANDATORY]],
    );
    // The CLI shows the policy's description, then what this resource did wrong.
    assert.match(diagnostics[0].getMessage(), /\nrecords are not encrypted at rest \(encryptionType KMS\)$/);
    assert.deepEqual(
      await analyze("aws:kinesis/stream:Stream", "pinpipe-prod-pin", "prod", {
        encryptionType: "KMS",
        kmsKeyId: "k",
      }),
      [],
    );
  });

  it("judges the resource's options too: an unprotected stream is reported", async () => {
    const diagnostics = await analyze(
      "aws:kinesis/stream:Stream",
      "pinpipe-prod-pin",
      "prod",
      { encryptionType: "KMS", kmsKeyId: "k" },
      new analyzerPb.AnalyzerResourceOptions(),
    );
    assert.deepEqual(
      diagnostics.map((d) => d.getPolicyname()),
      ["stateful-resources-protected"],
    );
  });

  it("applies the suppressions: the named resource passes, another of its type does not", async () => {
    const eni = {
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: ["ec2:CreateNetworkInterface"],
            Resource: ["arn:aws:ec2:eu-west-1:123456789012:network-interface/*"],
          },
        ],
      }),
    };
    assert.deepEqual(
      await analyze("aws:iam/rolePolicy:RolePolicy", "pinpipe-prod-ingest-fn", "prod", eni),
      [],
    );
    const other = await analyze("aws:iam/rolePolicy:RolePolicy", "pinpipe-prod-other", "prod", eni);
    assert.deepEqual(
      other.map((d) => d.getPolicyname()),
      ["iam-resources-scoped"],
    );
  });

  it("links a bucket to its companions through property dependencies while ids are unknown (a first preview)", async () => {
    // The engine's marker for a value not known until the resource exists.
    const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const urn = (type: string, name: string) =>
      `urn:pulumi:prod::pinterest-pipeline::pinterest-pipeline:storage:Lake$${type}::${name}`;
    const resource = (
      type: string,
      name: string,
      props: Record<string, unknown>,
      dependsOn?: Record<string, string>,
    ) => {
      const r = new analyzerPb.AnalyzerResource()
        .setType(type)
        .setName(name)
        .setUrn(urn(type, name))
        .setProperties(Struct.fromJavaScript(props))
        .setOptions(new analyzerPb.AnalyzerResourceOptions());
      for (const [prop, target] of Object.entries(dependsOn ?? {})) {
        const deps = new analyzerPb.AnalyzerPropertyDependencies();
        deps.setUrnsList([target]);
        r.getPropertydependenciesMap().set(prop, deps);
      }
      return r;
    };
    const bucketUrn = urn("aws:s3/bucket:Bucket", "pinpipe-prod-lake");
    const request = new analyzerPb.AnalyzeStackRequest();
    request.setResourcesList([
      resource("aws:s3/bucket:Bucket", "pinpipe-prod-lake", { bucket: UNKNOWN }),
      resource(
        "aws:s3/bucketVersioning:BucketVersioning",
        "pinpipe-prod-lake",
        { bucket: UNKNOWN, versioningConfiguration: { status: "Enabled" } },
        { bucket: bucketUrn },
      ),
    ]);
    const diagnostics = (
      await call<{ getDiagnosticsList(): Diagnostic[] }>((cb) => client.analyzeStack(request, cb))
    ).getDiagnosticsList();
    const rules = diagnostics.map((d) => d.getPolicyname()).sort();
    // Versioning is found through the dependency; every other companion is missing and reported, for the bucket.
    assert.deepEqual(rules, [
      "s3-access-logged",
      "s3-acls-disabled",
      "s3-encrypted",
      "s3-public-access-blocked",
      "s3-tls-only",
    ]);
    for (const d of diagnostics) {
      assert.equal(d.getUrn(), bucketUrn);
      assert.equal(d.getEnforcementlevel(), analyzerPb.EnforcementLevel.MANDATORY, d.getMessage());
    }
  });
});
