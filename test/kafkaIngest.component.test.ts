/**
 * KafkaIngest under Pulumi mocks: exact resources, and the inputs that carry its security (auth, encryption,
 * network reach, IAM scope, API key and throttling) and the connector's contract. What mocks cannot prove:
 * that MSK accepts the version and broker type, that the connector zip exists at its URL, or that IAM
 * evaluates the policies as intended; the real-Kafka tests cover the function's behaviour.
 */
import { strict as assert } from "node:assert";
import { PolicyDocument, PolicyStatement } from "../components/defaults";
import { KafkaIngest, KafkaIngestArgs, validateKafkaIngestArgs } from "../components/kafkaIngest";
import { topicNames } from "../components/names";
import { connectorPolicy, ingestFunctionPolicy, mskTopicArn } from "../components/kafkaIngest/policies";
import {
  parsePluginLocation,
  s3SinkConnectorConfig,
  verifiedPluginKey,
} from "../components/kafkaIngest/sink";
import { KAFKA_INGEST_SETTINGS } from "./fixtures/settings";
import { assertSplitWithAliases } from "./fixtures/moved";
import { installMocks, parseJson, promiseOf, RecordedResource, RecordingMocks, settle } from "../synth/mocks";

const PLUGIN_URL = "https://plugins.example.com/confluentinc-kafka-connect-s3-10.5.13.zip";
const LOG_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/log-key";
const KMS_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555";
const CLUSTER_ARN =
  "arn:aws:kafka:eu-west-1:123456789012:cluster/pp-cluster/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab-2";

function baseArgs(overrides: Partial<KafkaIngestArgs> = {}): KafkaIngestArgs {
  return {
    topics: topicNames("pp"),
    vpcId: "vpc-0123456789abcdef0",
    subnetIds: ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
    lakeBucketName: "pp-lake-1234567",
    lakeBucketArn: "arn:aws:s3:::pp-lake-1234567",
    kmsKeyArn: KMS_KEY_ARN,
    logKmsKeyArn: LOG_KEY_ARN,
    sinkPluginLocation: PLUGIN_URL,
    ...KAFKA_INGEST_SETTINGS,
    ...overrides,
  };
}

async function render(build: () => KafkaIngest[]): Promise<RecordingMocks> {
  const mocks = await installMocks();
  const instances = build();
  await Promise.all(instances.map((i) => promiseOf(i.connectorArn)));
  return settle(mocks);
}

function only(mocks: RecordingMocks, type: string): RecordedResource {
  const found = mocks.ofType(type);
  assert.equal(found.length, 1, `exactly one ${type}`);
  return found[0];
}

function allowStatements(doc: PolicyDocument): PolicyStatement[] {
  return doc.Statement.filter((s) => s.Effect === "Allow");
}

function actionsOf(s: PolicyStatement): string[] {
  return Array.isArray(s.Action) ? s.Action : [s.Action];
}

describe("KafkaIngest (mocks)", () => {
  let mocks: RecordingMocks;
  let ingest: KafkaIngest;
  before(async () => {
    mocks = await render(() => [(ingest = new KafkaIngest("pp", baseArgs()))]);
  });

  it("creates exactly the expected resources", () => {
    const counts: Record<string, number> = {};
    for (const r of mocks.resources.filter((x) => x.custom)) counts[r.type] = (counts[r.type] ?? 0) + 1;
    assert.deepEqual(counts, {
      "aws:ec2/securityGroup:SecurityGroup": 3,
      "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": 2,
      "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": 3,
      "aws:cloudwatch/logGroup:LogGroup": 4,
      "aws:msk/configuration:Configuration": 1,
      "aws:msk/cluster:Cluster": 1,
      "aws:msk/topic:Topic": 3,
      "aws:iam/role:Role": 2,
      "aws:iam/rolePolicy:RolePolicy": 2,
      "aws:lambda/function:Function": 1,
      "aws:lambda/permission:Permission": 1,
      "aws:apigateway/restApi:RestApi": 1,
      "aws:apigateway/resource:Resource": 2,
      "aws:apigateway/method:Method": 1,
      "aws:apigateway/requestValidator:RequestValidator": 1,
      "aws:apigateway/integration:Integration": 1,
      "aws:apigateway/deployment:Deployment": 1,
      "aws:apigateway/stage:Stage": 1,
      "aws:apigateway/methodSettings:MethodSettings": 1,
      "aws:s3/bucketObjectv2:BucketObjectv2": 1,
      "aws:mskconnect/customPlugin:CustomPlugin": 1,
      "aws:mskconnect/workerConfiguration:WorkerConfiguration": 1,
      "aws:mskconnect/connector:Connector": 1,
    });
  });

  it("runs MSK with IAM auth only, TLS everywhere, KMS at rest, private, with broker logs", () => {
    const cluster = only(mocks, "aws:msk/cluster:Cluster");
    assert.equal(cluster.inputs.kafkaVersion, "4.1.x.kraft");
    assert.equal(cluster.inputs.numberOfBrokerNodes, 2);
    assert.deepEqual(cluster.inputs.clientAuthentication, {
      sasl: { iam: true, scram: false },
      unauthenticated: false,
    });
    assert.deepEqual(cluster.inputs.encryptionInfo, {
      encryptionAtRestKmsKeyArn: KMS_KEY_ARN,
      encryptionInTransit: { clientBroker: "TLS", inCluster: true },
    });
    const brokers = cluster.inputs.brokerNodeGroupInfo as Record<string, unknown>;
    assert.deepEqual(brokers.clientSubnets, baseArgs().subnetIds);
    assert.deepEqual(brokers.connectivityInfo, { publicAccess: { type: "DISABLED" } });
    const logging = cluster.inputs.loggingInfo as { brokerLogs: { cloudwatchLogs: { enabled: boolean } } };
    assert.equal(logging.brokerLogs.cloudwatchLogs.enabled, true);
    const config = only(mocks, "aws:msk/configuration:Configuration");
    assert.match(String(config.inputs.serverProperties), /^auto\.create\.topics\.enable=false$/m);
    assert.match(String(config.inputs.serverProperties), /^min\.insync\.replicas=1$/m);
    // Kafka's default batch limit, written down: the ingest splits requests under it.
    assert.match(String(config.inputs.serverProperties), /^message\.max\.bytes=1048588$/m);
  });

  it("declares the three topics as code with the configured partitions and replication", () => {
    const topics = mocks.ofType("aws:msk/topic:Topic");
    assert.deepEqual(topics.map((t) => t.inputs.name).sort(), ["pp.geo", "pp.pin", "pp.user"]);
    for (const topic of topics) {
      assert.equal(topic.inputs.partitionCount, 3);
      assert.equal(topic.inputs.replicationFactor, 2);
      assert.deepEqual(parseJson(topic.inputs.configs), {
        "retention.ms": String(168 * 3600 * 1000),
        "min.insync.replicas": "1",
        "cleanup.policy": "delete",
        "max.message.bytes": "1048588",
      });
    }
  });

  it("lets only the function and the connector reach the brokers, on 9098, and nothing reach 0.0.0.0/0", () => {
    const sgs = Object.fromEntries(
      mocks.ofType("aws:ec2/securityGroup:SecurityGroup").map((s) => [s.name, s.id]),
    );
    const ingress = mocks.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    assert.deepEqual(
      ingress
        .map((r) => [
          r.inputs.securityGroupId,
          r.inputs.referencedSecurityGroupId,
          r.inputs.fromPort,
          r.inputs.toPort,
        ])
        .sort(),
      [
        [sgs["pp-brokers"], sgs["pp-connector"], 9098, 9098],
        [sgs["pp-brokers"], sgs["pp-ingest-fn"], 9098, 9098],
      ].sort(),
    );
    const egress = mocks.ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule");
    const toS3 = egress.find((r) => r.inputs.prefixListId !== undefined)!;
    assert.deepEqual(
      [toS3.inputs.securityGroupId, toS3.inputs.fromPort, toS3.inputs.toPort],
      [sgs["pp-connector"], 443, 443],
    );
    assert.match(String(toS3.inputs.prefixListId), /^pl-[0-9a-f]{8}$/);
    const s3List = mocks.invokes.find(
      (i) => i.token === "aws:ec2/getManagedPrefixList:getManagedPrefixList",
    )!;
    assert.equal(s3List.inputs.name, "com.amazonaws.eu-west-1.s3");
    for (const rule of [...ingress, ...egress]) {
      assert.equal(rule.inputs.cidrIpv4, undefined, `${rule.name} names no CIDR`);
    }
  });

  it("scopes the function's role to the cluster, its three topics and its own log group", async () => {
    const clusterArn = String(only(mocks, "aws:msk/cluster:Cluster").state.arn);
    const fnPolicy = mocks.ofType("aws:iam/rolePolicy:RolePolicy").find((p) => p.name === "pp-ingest-fn")!;
    const doc = parseJson<PolicyDocument>(fnPolicy.inputs.policy);
    const logGroupArn = String(
      mocks.ofType("aws:cloudwatch/logGroup:LogGroup").find((g) => g.name === "pp-ingest-fn")!.state.arn,
    );
    assert.deepEqual(
      doc,
      ingestFunctionPolicy({
        clusterArn,
        topicNames: ["pp.pin", "pp.geo", "pp.user"],
        logGroupArn,
        region: "eu-west-1",
        accountId: "123456789012",
        subnetIds: baseArgs().subnetIds as string[],
        securityGroupIds: [
          mocks.ofType("aws:ec2/securityGroup:SecurityGroup").find((g) => g.name === "pp-ingest-fn")!.id!,
        ],
      }),
    );
    // Its network interfaces only in its own subnets, with its own security group.
    const eni = doc.Statement.find((s) => s.Sid === "ManageVpcNetworkInterfaces")!;
    assert.deepEqual(
      (eni.Resource as string[]).filter((r) => !r.includes(":network-interface/")),
      [
        ...(baseArgs().subnetIds as string[]).map((id) => `arn:aws:ec2:eu-west-1:123456789012:subnet/${id}`),
        `arn:aws:ec2:eu-west-1:123456789012:security-group/${
          mocks.ofType("aws:ec2/securityGroup:SecurityGroup").find((g) => g.name === "pp-ingest-fn")!.id
        }`,
      ],
    );
    const write = doc.Statement.find((s) => s.Sid === "WriteStackTopics")!;
    assert.deepEqual(
      write.Resource,
      ["pp.pin", "pp.geo", "pp.user"].map((t) => mskTopicArn(clusterArn, t)),
    );
    for (const s of allowStatements(doc)) {
      for (const action of actionsOf(s)) assert.ok(!action.includes("*"), `no wildcard action: ${action}`);
    }
    const wildcardResources = allowStatements(doc).filter((s) => s.Resource === "*");
    assert.deepEqual(
      wildcardResources.map((s) => actionsOf(s)),
      [["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]],
    );
    assert.equal(await promiseOf(ingest.functionName), "pp-rest-ingest");
  });

  it("runs the bundled function in the private subnets with the stack's topics and IAM auth", () => {
    const fn = only(mocks, "aws:lambda/function:Function");
    const sgs = Object.fromEntries(
      mocks.ofType("aws:ec2/securityGroup:SecurityGroup").map((s) => [s.name, s.id]),
    );
    assert.deepEqual(fn.inputs.vpcConfig, {
      subnetIds: baseArgs().subnetIds,
      securityGroupIds: [sgs["pp-ingest-fn"]],
    });
    const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
    // The function's map: each topic to the kind its records must be.
    assert.deepEqual(JSON.parse(env.INGEST_TOPICS), { "pp.pin": "pin", "pp.geo": "geo", "pp.user": "user" });
    assert.equal(env.KAFKA_SECURITY, "iam");
    assert.match(env.BOOTSTRAP_BROKERS, /:9098(,|$)/);
    // Mocks see the archive but not its files; the bundle itself is run against Kafka in kafkaIngest.test.ts.
    assert.equal((fn.inputs.code as { __pulumiArchive?: boolean }).__pulumiArchive, true);
    assert.equal(fn.inputs.handler, "index.handler");
    assert.equal(fn.inputs.timeout, 25);
    assert.equal(env.MAX_BODY_BYTES, String(4 * 1024 * 1024));
  });

  it("requires an API key, throttles, and logs every request", async () => {
    const method = only(mocks, "aws:apigateway/method:Method");
    assert.equal(method.inputs.httpMethod, "POST");
    assert.equal(method.inputs.apiKeyRequired, true);
    const integration = only(mocks, "aws:apigateway/integration:Integration");
    assert.equal(integration.inputs.type, "AWS_PROXY");
    assert.equal(integration.inputs.uri, only(mocks, "aws:lambda/function:Function").state.invokeArn);
    const settings = only(mocks, "aws:apigateway/methodSettings:MethodSettings").inputs.settings as Record<
      string,
      unknown
    >;
    assert.deepEqual(
      [settings.throttlingRateLimit, settings.throttlingBurstLimit, settings.metricsEnabled],
      [100, 200, true],
    );
    const stage = only(mocks, "aws:apigateway/stage:Stage");
    const accessLogs = mocks
      .ofType("aws:cloudwatch/logGroup:LogGroup")
      .find((g) => g.name === "pp-api-access")!;
    assert.equal(
      (stage.inputs.accessLogSettings as { destinationArn: string }).destinationArn,
      accessLogs.state.arn,
    );
    // The body reaches the function as the bytes sent (base64), so it can refuse invalid UTF-8.
    assert.deepEqual(only(mocks, "aws:apigateway/restApi:RestApi").inputs.binaryMediaTypes, [
      "application/vnd.kafka.json.v2+json",
    ]);
    const permission = only(mocks, "aws:lambda/permission:Permission");
    assert.match(String(permission.inputs.sourceArn), /\/\*\/POST\/topics\/\*$/);
    // Its key children are exposed as resources.
    assert.equal(
      await promiseOf(ingest.cluster.arn),
      String(only(mocks, "aws:msk/cluster:Cluster").state.arn),
    );
    assert.equal(await promiseOf(ingest.function.name), "pp-rest-ingest");
    // Keys and usage plans are the edge's (components/ingestEdge.ts), not the API's.
    assert.equal(mocks.ofType("aws:apigateway/apiKey:ApiKey").length, 0);
    assert.equal(await promiseOf(ingest.stage.arn), String(stage.state.arn));
  });

  it("sinks the topics into the lake's topics/ prefix with IAM auth, TLS and a least-privilege role", () => {
    const connector = only(mocks, "aws:mskconnect/connector:Connector");
    const config = connector.inputs.connectorConfiguration as Record<string, string>;
    assert.deepEqual(
      config,
      s3SinkConnectorConfig({
        topics: ["pp.pin", "pp.geo", "pp.user"],
        bucketName: "pp-lake-1234567",
        region: "eu-west-1",
        kmsKeyArn: KMS_KEY_ARN,
        flushSize: 10000,
        rotateIntervalMs: 600000,
        maxTasks: 9,
      }),
    );
    assert.equal(config["topics.dir"], "topics");
    assert.equal(config["partitioner.class"], "io.confluent.connect.storage.partitioner.DefaultPartitioner");
    assert.deepEqual(connector.inputs.kafkaClusterClientAuthentication, { authenticationType: "IAM" });
    assert.deepEqual(connector.inputs.kafkaClusterEncryptionInTransit, { encryptionType: "TLS" });
    const plugin = only(mocks, "aws:s3/bucketObjectv2:BucketObjectv2");
    assert.equal(plugin.inputs.key, "connect-plugins/confluentinc-kafka-connect-s3-10.5.13.zip");
    assert.equal(plugin.inputs.bucket, "pp-lake-1234567");

    const clusterArn = String(only(mocks, "aws:msk/cluster:Cluster").state.arn);
    const rolePolicy = mocks.ofType("aws:iam/rolePolicy:RolePolicy").find((p) => p.name === "pp-connector")!;
    const doc = parseJson<PolicyDocument>(rolePolicy.inputs.policy);
    assert.deepEqual(
      doc,
      connectorPolicy({
        clusterArn,
        topicNames: ["pp.pin", "pp.geo", "pp.user"],
        connectorName: "pp-s3-sink",
        bucketArn: "arn:aws:s3:::pp-lake-1234567",
        kmsKeyArn: KMS_KEY_ARN,
      }),
    );
    const writes = doc.Statement.find((s) => s.Sid === "WriteRawTopics")!;
    assert.equal(writes.Resource, "arn:aws:s3:::pp-lake-1234567/topics/*");
    for (const s of allowStatements(doc)) {
      for (const action of actionsOf(s))
        assert.ok(!action.endsWith(":*") && action !== "*", `no wildcard action: ${action}`);
      assert.notEqual(s.Resource, "*");
    }
    const trust = parseJson<PolicyDocument>(
      mocks.ofType("aws:iam/role:Role").find((r) => r.name === "pp-connector")!.inputs.assumeRolePolicy,
    );
    assert.deepEqual(trust.Statement[0].Condition, {
      StringEquals: { "aws:SourceAccount": "123456789012" },
      ArnLike: { "aws:SourceArn": "arn:aws:kafkaconnect:eu-west-1:123456789012:connector/pp-s3-sink/*" },
    });
  });

  it("uses a plugin already in S3 without copying it", async () => {
    const s3Mocks = await render(() => [
      new KafkaIngest("pp", baseArgs({ sinkPluginLocation: "s3://artifacts-bucket/plugins/s3-sink.zip" })),
    ]);
    assert.equal(s3Mocks.ofType("aws:s3/bucketObjectv2:BucketObjectv2").length, 0);
    assert.deepEqual(only(s3Mocks, "aws:mskconnect/customPlugin:CustomPlugin").inputs.location, {
      s3: { bucketArn: "arn:aws:s3:::artifacts-bucket", fileKey: "plugins/s3-sink.zip" },
    });
  });

  it("holds its resources in three children at its seams, each aliased to the URN it had before the split", () => {
    assertSplitWithAliases(mocks, { type: "pinterest-pipeline:ingest:KafkaIngest", name: "pp" }, [
      "pinterest-pipeline:ingest:MskCluster",
      "pinterest-pipeline:ingest:RestIngestApi",
      "pinterest-pipeline:ingest:S3SinkConnector",
    ]);
    assert.equal(
      mocks.ofType("aws:msk/cluster:Cluster")[0].urn,
      "urn:pulumi:test::pinterest-pipeline::pinterest-pipeline:ingest:KafkaIngest$pinterest-pipeline:ingest:MskCluster$aws:msk/cluster:Cluster::pp-cluster",
    );
    // The key resources are the children's, exposed on the component.
    assert.equal(ingest.cluster, ingest.brokers.cluster);
    assert.equal(ingest.function, ingest.rest.function);
    assert.equal(ingest.connector, ingest.sink.connector);
    assert.deepEqual(Object.keys(ingest.brokers.topics), ["pin", "geo", "user"]);
  });

  it("lets two instances live in one stack", async () => {
    const two = await render(() => [
      new KafkaIngest("a", baseArgs({ topics: topicNames("aa") })),
      new KafkaIngest("b", baseArgs({ topics: topicNames("bb"), brokersPerAz: 2, topicPartitions: 6 })),
    ]);
    const custom = two.resources.filter((r) => r.custom);
    assert.equal(custom.length, 72);
    const keys = custom.map((r) => `${r.type}::${r.name}`);
    assert.equal(new Set(keys).size, keys.length);
    const clusters = two.ofType("aws:msk/cluster:Cluster");
    assert.deepEqual(clusters.map((c) => c.inputs.numberOfBrokerNodes).sort(), [2, 4]);
    assert.deepEqual(
      two
        .ofType("aws:lambda/function:Function")
        .map((f) => f.inputs.name)
        .sort(),
      ["a-rest-ingest", "b-rest-ingest"],
    );
  });
});

describe("KafkaIngest validation and pure parts", () => {
  it("rejects bad args with exact messages", () => {
    assert.throws(
      () => validateKafkaIngestArgs(baseArgs({ topics: { ...topicNames("pp"), geo: "pp geo" } })),
      { message: "topics.geo is not a valid name: 'pp geo'" },
    );
    assert.throws(
      () => validateKafkaIngestArgs(baseArgs({ topics: { ...topicNames("pp"), geo: "pp.pin" } })),
      { message: "topics names one twice" },
    );
    const twoKinds = { pin: "pp.pin", geo: "pp.geo" } as KafkaIngestArgs["topics"];
    assert.throws(() => validateKafkaIngestArgs(baseArgs({ topics: twoKinds })), {
      message: "topics must name exactly the kinds pin, geo, user, got geo, pin",
    });
    assert.throws(() => validateKafkaIngestArgs(baseArgs({ subnetIds: ["subnet-0aaaaaaaaaaaaaaaa"] })), {
      message: "subnetIds must name subnets in at least two availability zones",
    });
    assert.throws(() => validateKafkaIngestArgs(baseArgs({ topicReplicationFactor: 3 })), {
      message: "topicReplicationFactor must be from 1 to the broker count (2), got 3",
    });
    assert.throws(() => validateKafkaIngestArgs(baseArgs({ topicPartitions: 0 })), {
      message: "topicPartitions must be an integer from 1 to 1000, got 0",
    });
    assert.throws(() => validateKafkaIngestArgs(baseArgs({ maxBodyBytes: 5 * 1024 * 1024 })), {
      message:
        "maxBodyBytes must be an integer from 1024 to 4194304 (4 MiB base64-encoded fits Lambda's 6 MB payload), got 5242880",
    });
    assert.throws(
      () => validateKafkaIngestArgs(baseArgs({ sinkPluginLocation: "http://insecure.example.com/x.zip" })),
      {
        message:
          "sinkPluginLocation must be s3://<bucket>/<key>.zip or an https:// URL of a .zip, got 'http://insecure.example.com/x.zip'",
      },
    );
  });

  it("installs a downloaded plugin only if S3's SHA-256 of the upload is the one configured", async () => {
    const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"; // sha256("test")
    const uploaded = Buffer.from(sha, "hex").toString("base64");
    assert.equal(verifiedPluginKey("connect-plugins/p.zip", uploaded, sha), "connect-plugins/p.zip");
    assert.equal(verifiedPluginKey("connect-plugins/p.zip", undefined, sha), "connect-plugins/p.zip");
    assert.throws(
      () => verifiedPluginKey("connect-plugins/p.zip", Buffer.alloc(32).toString("base64"), sha),
      {
        message: `the S3 sink plugin at connect-plugins/p.zip has SHA-256 ${"00".repeat(32)}, not the sinkPluginSha256 ${sha}: refusing to install it`,
      },
    );
    const checked = await installMocks();
    const ingest = new KafkaIngest("pp", baseArgs({ sinkPluginSha256: sha }));
    await promiseOf(ingest.connectorArn);
    await settle(checked);
    assert.equal(only(checked, "aws:s3/bucketObjectv2:BucketObjectv2").inputs.checksumAlgorithm, "SHA256");
    assert.throws(() => validateKafkaIngestArgs(baseArgs({ sinkPluginSha256: "abc" })), {
      message: "sinkPluginSha256 must be 64 lowercase hex digits, got 'abc'",
    });
  });

  it("parses plugin locations", () => {
    assert.deepEqual(parsePluginLocation("s3://my-bucket/a/b.zip"), {
      kind: "s3",
      bucket: "my-bucket",
      key: "a/b.zip",
    });
    assert.deepEqual(parsePluginLocation(PLUGIN_URL), {
      kind: "url",
      url: PLUGIN_URL,
      fileName: "confluentinc-kafka-connect-s3-10.5.13.zip",
    });
  });

  it("derives topic and group ARNs from the cluster ARN, and refuses anything else", () => {
    assert.equal(
      mskTopicArn(CLUSTER_ARN, "pp.pin"),
      "arn:aws:kafka:eu-west-1:123456789012:topic/pp-cluster/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab-2/pp.pin",
    );
    assert.throws(() => mskTopicArn("arn:aws:s3:::bucket", "t"), {
      message: "not an MSK cluster ARN: 'arn:aws:s3:::bucket'",
    });
  });
});
