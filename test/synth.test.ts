/**
 * The offline synth end to end: the CLI renders the real program for each stack file, and a bad config
 * value stops it with the config module's exact message.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { installMocks, promiseOf, SECRET_PLACEHOLDER, settle } from "../synth/mocks";
import { committedGraphPath, readStackFile, renderTree, summarize, SynthGraph } from "../synth/synth";
import { ROOT, synthCli } from "./fixtures/synthCli";
import { NAMED_TYPES, STATEFUL_TYPES } from "../components/protect";

describe("offline synth", () => {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "synth-test-"));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const [stack, expected] of [
    // The network is awsx's Vpc (one resource here; its plugin makes the subnets, NAT gateways and routes).
    ["dev", { resources: 224, subnets: 4, nat: "Single", azs: 2 }],
    ["prod", { resources: 230, subnets: 6, nat: "OnePerAz", azs: 3 }],
  ] as const) {
    it(`renders the ${stack} stack's graph and prints its tree and summary`, async () => {
      const out = path.join(tmp, `${stack}.json`);
      const { code, stdout, stderr } = await synthCli(["--stack", stack, "--out", out]);
      assert.equal(code, 0, stderr);
      const graph = JSON.parse(fs.readFileSync(out, "utf8")) as SynthGraph;
      assert.equal(graph.stack, stack);
      assert.equal(graph.resources.length, expected.resources);
      const ofType = (t: string) => graph.resources.filter((r) => r.type === t);
      const [vpc] = ofType("awsx:ec2:Vpc");
      const specs = vpc.inputs.subnetSpecs as Array<{ cidrBlocks: string[] }>;
      assert.equal(
        specs.reduce((n, spec) => n + spec.cidrBlocks.length, 0),
        expected.subnets,
      );
      assert.deepEqual(vpc.inputs.natGateways, { strategy: expected.nat });
      assert.equal(vpc.inputs.numberOfAvailabilityZones, expected.azs);
      assert.equal((vpc.outputs!.privateSubnetIds as string[]).length, expected.azs);
      const components = new Set(
        graph.resources.filter((r) => r.type.startsWith("pinterest-pipeline:")).map((r) => r.urn),
      );
      // Ten at the top, and the children of the three split at their seams (3 + 2 + 3).
      assert.equal(components.size, 18);
      assert.equal(
        graph.resources.filter((r) => r.type.startsWith("pinterest-pipeline:") && !r.parent).length,
        10,
      );
      for (const r of graph.resources.filter((x) => !x.type.startsWith("pinterest-pipeline:"))) {
        assert.ok(
          r.parent !== null && components.has(r.parent),
          `${r.type} ${r.name} sits under a component`,
        );
      }
      assert.deepEqual(Object.keys(graph.outputs).sort(), [
        "accessLogBucketName",
        "airflowEnvironmentName",
        "airflowWebserverUrl",
        "alarmTopicArn",
        "apiKey",
        "apiKeys",
        "batchJobId",
        "batchJobUrl",
        "batchTablesLocation",
        "dagBucketName",
        "dashboardUrl",
        "kafkaClusterArn",
        "kafkaRestUrl",
        "kafkaTopics",
        "kinesisApiUrl",
        "kinesisStreams",
        "lakeBucketArn",
        "lakeBucketName",
        "lakeKmsKeyArn",
        "privateSubnetIds",
        "s3SinkConnectorArn",
        "streamCheckpointLocation",
        "streamJobId",
        "streamTables",
        "vpcId",
      ]);
      assert.equal(graph.outputs.apiKey, "[secret]", "the API key never appears in the graph");
      assert.equal(graph.outputs.apiKeys, "[secret]", "nor any client's key");
      assert.deepEqual(graph.outputs.kafkaTopics, {
        pin: `pinpipe-${stack}.pin`,
        geo: `pinpipe-${stack}.geo`,
        user: `pinpipe-${stack}.user`,
      });
      assert.deepEqual(graph.outputs.kinesisStreams, {
        pin: `pinpipe-${stack}-pin`,
        geo: `pinpipe-${stack}-geo`,
        user: `pinpipe-${stack}-user`,
      });
      const cluster = ofType("aws:msk/cluster:Cluster")[0];
      assert.equal(cluster.inputs.numberOfBrokerNodes, expected.subnets / 2);
      assert.match(
        String(graph.outputs.lakeBucketArn),
        new RegExp(`^arn:aws:s3:::pinpipe-${stack}-lake-[0-9a-f]{7}$`),
      );
      assert.match(stdout, new RegExp(`Stack pinterest-pipeline/${stack}: ${expected.resources} resources`));
      assert.match(stdout, /^ +1 {2}awsx:ec2:Vpc$/m);
      assert.match(stdout, /^ {2}\+ awsx:ec2:Vpc {2}pinpipe-/m);
      // The committed graph is this graph: a pull request that changes the infrastructure shows it.
      const committed = committedGraphPath(ROOT, stack);
      const now = fs.readFileSync(out, "utf8");
      const before = fs.existsSync(committed) ? fs.readFileSync(committed, "utf8") : "";
      if (now !== before) {
        const a = before.split("\n");
        const b = now.split("\n");
        const firstDiff = b.findIndex((line, i) => line !== a[i]);
        assert.fail(
          `the ${stack} graph changed but ${path.relative(ROOT, committed)} did not (first difference at line ${firstDiff + 1}: ${JSON.stringify(b[firstDiff] ?? "")}); review it and run: npm run synth -- --stack ${stack} --write-graph`,
        );
      }
      // A stack deployed before the components were split at their seams keeps every resource: each URN it
      // holds is still a resource's URN or one of its aliases, so `pulumi up` updates in place, replaces nothing.
      const known = new Set(graph.resources.flatMap((r) => [r.urn, ...(r.options.aliases ?? [])]));
      const deployed = JSON.parse(
        fs.readFileSync(path.join(ROOT, "test", "fixtures", `urns-before-split-${stack}.json`), "utf8"),
      ) as { urns: string[] };
      assert.deepEqual(
        deployed.urns.filter((u) => !known.has(u)),
        [],
        "URNs of a deployed stack that no resource answers to",
      );
      // And each of them answers to one resource only: no alias is claimed twice, or is another's URN.
      const claims = graph.resources.flatMap((r) => [r.urn, ...(r.options.aliases ?? [])]);
      assert.deepEqual(
        claims.filter((u, i) => claims.indexOf(u) !== i),
        [],
        "URNs claimed twice",
      );
      assert.ok(!now.includes(ROOT), "no path of this checkout in the graph");
      assert.ok(!/"value": "[0-9a-f]{40}"/.test(now), "no API key value in the graph");
    });
  }

  it("gives the same graph twice (deterministic ids, sorted resources)", async () => {
    const a = path.join(tmp, "a.json");
    const b = path.join(tmp, "b.json");
    await synthCli(["--stack", "dev", "--out", a]);
    await synthCli(["--stack", "dev", "--out", b]);
    assert.equal(fs.readFileSync(a, "utf8"), fs.readFileSync(b, "utf8"));
  });

  it("records each resource's options: prod protects and retains every stateful resource, dev none; fixed names are replaced delete-first", async () => {
    const stateful = (g: SynthGraph) => g.resources.filter((r) => STATEFUL_TYPES.has(r.type));
    const prodFile = path.join(tmp, "prod-options.json");
    const devFile = path.join(tmp, "dev-options.json");
    assert.equal((await synthCli(["--stack", "prod", "--out", prodFile])).code, 0);
    assert.equal((await synthCli(["--stack", "dev", "--out", devFile])).code, 0);
    const prod = JSON.parse(fs.readFileSync(prodFile, "utf8")) as SynthGraph;
    const dev = JSON.parse(fs.readFileSync(devFile, "utf8")) as SynthGraph;
    assert.ok(stateful(prod).length >= 14, `${stateful(prod).length} stateful resources`);
    for (const r of stateful(prod)) {
      assert.deepEqual([r.name, r.options.protect, r.options.retainOnDelete], [r.name, true, true]);
    }
    for (const r of stateful(dev)) assert.equal(r.options.protect, undefined, r.name);
    const unprotected = prod.resources.filter((r) => !STATEFUL_TYPES.has(r.type) && r.options.protect);
    assert.deepEqual(unprotected, [], "only what holds data or guards it");
    // What carries a fixed, unique name is replaced delete-first (create-first would collide on the name).
    for (const graph of [prod, dev]) {
      for (const r of graph.resources.filter((x) => NAMED_TYPES.has(x.type))) {
        if (r.inputs[NAMED_TYPES.get(r.type)!] === undefined) continue;
        assert.equal(r.options.deleteBeforeReplace, true, `${graph.stack} ${r.type} ${r.name}`);
      }
    }
    // Ordering the inputs do not carry is in the graph too, for review.
    const account = prod.resources.find((r) => r.type === "aws:apigateway/account:Account")!;
    assert.ok(
      account.options.dependsOn?.some((u) => u.endsWith("RolePolicyAttachment::pinpipe-prod-apigw-logs")),
    );
  });

  it("fails with the exact config message and a non-zero exit on a bad value", async () => {
    const project = path.join(tmp, "bad-project");
    fs.mkdirSync(project);
    fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(project, "Pulumi.yaml"));
    fs.writeFileSync(
      path.join(project, "Pulumi.bad.yaml"),
      "config:\n  databricks:host: https://dbc-1.cloud.databricks.com\n  pinterest-pipeline:kinesisMode: x\n  pinterest-pipeline:sinkPluginLocation: s3://b-1/k.zip\n  pinterest-pipeline:databricksCrossAccountRoleName: dbx\n  pinterest-pipeline:databricksAccountId: 0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d\n",
    );
    fs.writeFileSync(
      path.join(project, "index.ts"),
      `export * from ${JSON.stringify(path.join(ROOT, "index"))};\n`,
    );
    const { code, stdout, stderr } = await synthCli(["--stack", "bad", "--project-dir", project]);
    assert.equal(code, 1);
    assert.equal(stdout, "");
    assert.equal(
      stderr,
      "synth: invalid stack configuration:\n  pinterest-pipeline:kinesisMode must be one of on-demand|provisioned, got 'x'\n",
    );
  });

  it("names the stacks there are when the stack file is missing", async () => {
    const { code, stderr } = await synthCli(["--stack", "staging"]);
    assert.equal(code, 1);
    assert.equal(stderr, "synth: no stack file Pulumi.staging.yaml (stacks here: dev, prod)\n");
  });

  it("reads secure values as masked secrets and structured values as JSON", () => {
    const project = path.join(tmp, "secrets-project");
    fs.mkdirSync(project);
    fs.writeFileSync(
      path.join(project, "Pulumi.s.yaml"),
      "config:\n  p:token:\n    secure: AAABAKxyz\n  p:tags:\n    team: data\n  p:count: 3\n",
    );
    assert.deepEqual(readStackFile(project, "s"), {
      config: { "p:token": SECRET_PLACEHOLDER, "p:tags": '{"team":"data"}', "p:count": "3" },
      secretKeys: ["p:token"],
    });
  });
});

describe("recording mocks", () => {
  it("masks secrets in recorded inputs", async () => {
    const mocks = await installMocks({ config: { "p:token": "s3cr3t" }, secretKeys: ["p:token"] });
    const token = new pulumi.Config("p").requireSecret("token");
    const group = new aws.cloudwatch.LogGroup("g", { name: token, retentionInDays: 7 });
    await promiseOf(group.arn);
    await settle(mocks);
    assert.deepEqual(mocks.ofType("aws:cloudwatch/logGroup:LogGroup")[0].inputs, {
      name: SECRET_PLACEHOLDER,
      retentionInDays: 7,
    });
    assert.ok(!JSON.stringify(mocks.resources.map((r) => r.inputs)).includes("s3cr3t"));
  });

  it("refuses a URN registered twice, as the engine does, and makes URNs with the parent's whole chain", async () => {
    class Box extends pulumi.ComponentResource {
      constructor(type: string, name: string, opts?: pulumi.ComponentResourceOptions) {
        super(type, name, {}, opts);
      }
    }
    const mocks = await installMocks();
    const outer = new Box("t:m:Outer", "o");
    const inner = new Box("t:m:Inner", "i", { parent: outer });
    const a = new aws.cloudwatch.LogGroup("same", {}, { parent: inner });
    // Same type and name, another parent: another URN.
    const b = new aws.cloudwatch.LogGroup("same", {}, { parent: outer });
    await Promise.all([promiseOf(a.arn), promiseOf(b.arn)]);
    await settle(mocks);
    assert.deepEqual(
      mocks
        .ofType("aws:cloudwatch/logGroup:LogGroup")
        .map((r) => r.urn)
        .sort(),
      [
        "urn:pulumi:test::pinterest-pipeline::t:m:Outer$aws:cloudwatch/logGroup:LogGroup::same",
        "urn:pulumi:test::pinterest-pipeline::t:m:Outer$t:m:Inner$aws:cloudwatch/logGroup:LogGroup::same",
      ],
    );

    const again = await installMocks();
    const parent = new Box("t:m:Outer", "o");
    const first = new aws.cloudwatch.LogGroup("twice", {}, { parent });
    const second = new aws.cloudwatch.LogGroup("twice", {}, { parent });
    await Promise.all([promiseOf(first.arn), promiseOf(second.arn)]);
    // The engine's error 2001 (pulumi/pulumi pkg/diag/errors.go).
    await assert.rejects(settle(again), {
      message:
        "Duplicate resource URN 'urn:pulumi:test::pinterest-pipeline::t:m:Outer$aws:cloudwatch/logGroup:LogGroup::twice'; try giving it a unique name",
    });
  });

  it("throws on an invoke it does not know instead of answering something vague", async () => {
    const mocks = await installMocks();
    assert.throws(() => mocks.call({ token: "aws:ec2/getAmi:getAmi", inputs: {} }), {
      message: "Mock not implemented: aws:ec2/getAmi:getAmi",
    });
    // Through the program, the failed invoke rejects (Pulumi's RPC layer keeps only the error's class).
    await assert.rejects(aws.ec2.getAmi({ owners: ["amazon"] }));
    await settle(mocks);
  });

  it("renders a tree under parents and a per-type summary", () => {
    const graph: SynthGraph = {
      project: "p",
      stack: "s",
      outputs: {},
      resources: [
        { urn: "c", type: "x:y:Comp", name: "c", parent: null, id: undefined, inputs: {}, options: {} },
        {
          urn: "b1",
          type: "aws:s3/bucket:Bucket",
          name: "b1",
          parent: "c",
          id: undefined,
          inputs: {},
          options: {},
        },
        {
          urn: "b2",
          type: "aws:s3/bucket:Bucket",
          name: "b2",
          parent: "c",
          id: undefined,
          inputs: {},
          options: {},
        },
      ],
    };
    assert.deepEqual(renderTree(graph), [
      "+ x:y:Comp  c",
      "  + aws:s3/bucket:Bucket  b1",
      "  + aws:s3/bucket:Bucket  b2",
    ]);
    assert.deepEqual(summarize(graph), ["   2  aws:s3/bucket:Bucket", "   1  x:y:Comp"]);
  });
});
