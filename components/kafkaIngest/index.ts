/**
 * KafkaIngest: the batch path's front door. An MSK cluster (IAM auth only, TLS everywhere, encrypted, in
 * private subnets), the stack's three topics as code, the REST ingest function behind API Gateway (API key,
 * usage plan throttling, access logs), and the MSK Connect S3 sink writing the topics into the lake.
 *
 * The ingest function is bundled from runtime/handler.ts by esbuild while the program runs, so `pulumi up` needs
 * no build step.
 */
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { buildSync } from "esbuild";
import { serviceTrustPolicy } from "../defaults";
import { serviceRole } from "../serviceRole";
import { checkNameMap, TOPIC_NAME } from "../names";
import { EventKind, EVENT_KINDS } from "../events";
import { apiStage } from "../apiStage";
import { connectorPolicy, ingestFunctionPolicy } from "./policies";
import {
  parsePluginLocation,
  s3SinkConnectorConfig,
  SINK_WORKER_PROPERTIES,
  verifiedPluginKey,
} from "./sink";
import { DEFAULT_MAX_BATCH_BYTES, DEFAULT_MAX_BODY_BYTES, REQUEST_CONTENT_TYPE } from "./runtime/restProxy";

/** MSK's port for TLS clients authenticating with IAM. */
export const MSK_IAM_PORT = 9098;

export interface KafkaIngestArgs {
  /** The topic of each record kind (components/names.ts `topicNames`). Required. */
  topics: Record<EventKind, string>;
  /** VPC of the brokers, the function and the connector. Required. */
  vpcId: pulumi.Input<string>;
  /** Private subnets, one per AZ; the broker count is a multiple of their number. Required. */
  subnetIds: pulumi.Input<string>[];
  /** Lake bucket the sink writes `topics/` into. Required. */
  lakeBucketName: pulumi.Input<string>;
  /** ARN of the lake bucket. Required. */
  lakeBucketArn: pulumi.Input<string>;
  /** KMS key of the lake; also encrypts the brokers' storage. Required. */
  kmsKeyArn: pulumi.Input<string>;
  /** MSK Kafka version. Default "4.1.x.kraft" (KRaft mode, the version the local broker runs). */
  kafkaVersion?: pulumi.Input<string>;
  /** Broker instance type. Default "kafka.t3.small". */
  brokerInstanceType?: pulumi.Input<string>;
  /** Brokers in each subnet's AZ. Default 1. */
  brokersPerAz?: number;
  /** EBS storage per broker, GiB. Default 20. */
  brokerVolumeGiB?: pulumi.Input<number>;
  /** Partitions of each topic. Default 3. */
  topicPartitions?: number;
  /** Replicas of each partition. Default: the broker count, at most 3. */
  topicReplicationFactor?: number;
  /** Hours a topic keeps records (the replay window). Default 168. */
  topicRetentionHours?: number;
  /** Retention of the broker, function, API and connector log groups. Default 30. */
  logRetentionDays?: pulumi.Input<number>;
  /** KMS key encrypting the component's log groups (the stack's logs key). */
  logKmsKeyArn: pulumi.Input<string>;
  /** Steady requests per second across API keys. Default 100. */
  throttleRateLimit?: pulumi.Input<number>;
  /** Burst of requests above the steady rate. Default 200. */
  throttleBurstLimit?: pulumi.Input<number>;
  /** Memory of the ingest function, MB. Default 512. */
  functionMemoryMb?: pulumi.Input<number>;
  /**
   * Concurrency reserved for the ingest function, which also caps it (so a flood cannot take the account's
   * whole Lambda concurrency). Default: none reserved (new accounts may have too little to reserve any).
   */
  functionReservedConcurrency?: number;
  /**
   * Largest request body the function accepts, bytes. Default and most: 4 MiB (the body reaches Lambda
   * base64-encoded, and a synchronous invocation's payload is at most 6 MB: docs/cloud-contracts.md).
   */
  maxBodyBytes?: number;
  /** Where Confluent's S3 sink connector zip is: `s3://bucket/key.zip`, or an `https://` URL fetched at deploy time. Required. */
  sinkPluginLocation: string;
  /**
   * SHA-256 (hex) of the plugin zip an https:// location serves: the upload is checked against it before
   * MSK Connect installs it. Recommended; without it a warning says the download is unchecked.
   */
  sinkPluginSha256?: string;
  /** Records per S3 object. Default 10000. */
  sinkFlushSize?: number;
  /** Longest time before an open object is written, ms. Default 600000 (10 minutes). */
  sinkRotateIntervalMs?: number;
  /** MSK Connect capacity units per worker (1, 2, 4 or 8). Default 1. */
  connectorMcuCount?: pulumi.Input<number>;
  /** MSK Connect workers. Default 1. */
  connectorWorkerCount?: pulumi.Input<number>;
  /** The stage waits for this (the account's API Gateway CloudWatch role). Default: none. */
  apiGatewayAccount?: pulumi.Resource;
  /** Tags for every resource. Default: none. */
  tags?: Record<string, string>;
}

/** Checks the args that decide what exists; pure, so each message is tested exactly. */
export function validateKafkaIngestArgs(args: KafkaIngestArgs): void {
  checkNameMap("topics", args.topics, TOPIC_NAME);
  if (args.subnetIds.length < 2)
    throw new Error("subnetIds must name subnets in at least two availability zones");
  const brokers = args.subnetIds.length * (args.brokersPerAz ?? 1);
  const replication = args.topicReplicationFactor ?? Math.min(3, brokers);
  if (!Number.isInteger(replication) || replication < 1 || replication > brokers) {
    throw new Error(
      `topicReplicationFactor must be from 1 to the broker count (${brokers}), got ${replication}`,
    );
  }
  const partitions = args.topicPartitions ?? 3;
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1000) {
    throw new Error(`topicPartitions must be an integer from 1 to 1000, got ${partitions}`);
  }
  const maxBody = args.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isInteger(maxBody) || maxBody < 1024 || maxBody > DEFAULT_MAX_BODY_BYTES) {
    throw new Error(
      `maxBodyBytes must be an integer from 1024 to ${DEFAULT_MAX_BODY_BYTES} (4 MiB base64-encoded fits Lambda's 6 MB payload), got ${maxBody}`,
    );
  }
  parsePluginLocation(args.sinkPluginLocation);
  if (args.sinkPluginSha256 !== undefined && !/^[0-9a-f]{64}$/.test(args.sinkPluginSha256)) {
    throw new Error(`sinkPluginSha256 must be 64 lowercase hex digits, got '${args.sinkPluginSha256}'`);
  }
}

/** The ingest function's code: runtime/handler.ts and its dependencies in one file. */
export function bundleIngestFunction(): string {
  const result = buildSync({
    entryPoints: [path.join(__dirname, "runtime", "handler.ts")],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: true,
    legalComments: "none",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

export class KafkaIngest extends pulumi.ComponentResource {
  public readonly clusterArn: pulumi.Output<string>;
  /** SASL/IAM bootstrap brokers (port 9098). */
  public readonly bootstrapBrokers: pulumi.Output<string>;
  /** The topic of each record kind. */
  public readonly topics: Record<EventKind, string>;
  /** Base URL; clients POST to `<url>/topics/<topic>`. */
  public readonly apiUrl: pulumi.Output<string>;
  /** The API and its stage: the edge (keys, usage plans, WAF) attaches to them. */
  public readonly api: aws.apigateway.RestApi;
  public readonly stage: aws.apigateway.Stage;
  /** The key child resources, for callers that attach to them (alarms, grants, dependsOn). */
  public readonly cluster: aws.msk.Cluster;
  public readonly function: aws.lambda.Function;
  public readonly connector: aws.mskconnect.Connector;
  public readonly functionName: pulumi.Output<string>;
  public readonly connectorArn: pulumi.Output<string>;
  /** What the alarms and the dashboard watch (CloudWatch dimensions). */
  public readonly metrics: {
    apiName: pulumi.Output<string>;
    apiStage: pulumi.Output<string>;
    clusterName: pulumi.Output<string>;
    brokerCount: number;
    connectorName: pulumi.Output<string>;
  };

  constructor(name: string, args: KafkaIngestArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pinterest-pipeline:ingest:KafkaIngest", name, {}, opts);
    validateKafkaIngestArgs(args);
    const tags = args.tags ?? {};
    const parent = { parent: this };
    const identity = aws.getCallerIdentityOutput({}, parent);
    const region = aws.getRegionOutput({}, parent);
    const brokerCount = args.subnetIds.length * (args.brokersPerAz ?? 1);
    const replication = args.topicReplicationFactor ?? Math.min(3, brokerCount);
    const partitions = args.topicPartitions ?? 3;
    // The function's map (topic -> the kind its records must be) and the topics in kind order.
    const kindOf: Record<string, EventKind> = Object.fromEntries(EVENT_KINDS.map((k) => [args.topics[k], k]));
    const topicList = EVENT_KINDS.map((k) => args.topics[k]);
    const logRetention = args.logRetentionDays ?? 30;

    // Network: brokers accept 9098 only from the function and the connector.
    const brokerSg = new aws.ec2.SecurityGroup(
      `${name}-brokers`,
      { vpcId: args.vpcId, description: "MSK brokers: IAM/TLS clients of the ingest only", tags },
      parent,
    );
    const functionSg = new aws.ec2.SecurityGroup(
      `${name}-ingest-fn`,
      { vpcId: args.vpcId, description: "REST ingest function: to the brokers only", tags },
      parent,
    );
    const connectorSg = new aws.ec2.SecurityGroup(
      `${name}-connector`,
      { vpcId: args.vpcId, description: "S3 sink connector: to the brokers and S3 only", tags },
      parent,
    );
    for (const [client, sg] of [
      ["ingest-fn", functionSg],
      ["connector", connectorSg],
    ] as const) {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-brokers-from-${client}`,
        {
          securityGroupId: brokerSg.id,
          referencedSecurityGroupId: sg.id,
          ipProtocol: "tcp",
          fromPort: MSK_IAM_PORT,
          toPort: MSK_IAM_PORT,
          description: `Kafka (IAM/TLS) from the ${client}`,
        },
        parent,
      );
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-${client}-to-brokers`,
        {
          securityGroupId: sg.id,
          referencedSecurityGroupId: brokerSg.id,
          ipProtocol: "tcp",
          fromPort: MSK_IAM_PORT,
          toPort: MSK_IAM_PORT,
          description: "Kafka (IAM/TLS) to the brokers",
        },
        parent,
      );
    }
    const s3PrefixList = aws.ec2.getManagedPrefixListOutput(
      { name: pulumi.interpolate`com.amazonaws.${region.region}.s3` },
      parent,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-connector-to-s3`,
      {
        securityGroupId: connectorSg.id,
        prefixListId: s3PrefixList.id,
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        description: "HTTPS to S3 through the gateway endpoint",
      },
      parent,
    );

    // The cluster.
    const brokerLogs = new aws.cloudwatch.LogGroup(
      `${name}-broker-logs`,
      { name: `/aws/msk/${name}`, retentionInDays: logRetention, kmsKeyId: args.logKmsKeyArn, tags },
      parent,
    );
    const mskConfig = new aws.msk.Configuration(
      `${name}-config`,
      {
        kafkaVersions: [args.kafkaVersion ?? "4.1.x.kraft"],
        serverProperties: [
          "auto.create.topics.enable=false",
          `default.replication.factor=${replication}`,
          `min.insync.replicas=${Math.max(1, replication - 1)}`,
          "unclean.leader.election.enable=false",
          // Kafka's default, written down: the ingest splits requests into batches under it.
          `message.max.bytes=${DEFAULT_MAX_BATCH_BYTES}`,
          "",
        ].join("\n"),
      },
      parent,
    );
    const cluster = new aws.msk.Cluster(
      `${name}-cluster`,
      {
        kafkaVersion: args.kafkaVersion ?? "4.1.x.kraft",
        numberOfBrokerNodes: brokerCount,
        brokerNodeGroupInfo: {
          instanceType: args.brokerInstanceType ?? "kafka.t3.small",
          clientSubnets: args.subnetIds,
          securityGroups: [brokerSg.id],
          storageInfo: { ebsStorageInfo: { volumeSize: args.brokerVolumeGiB ?? 20 } },
          connectivityInfo: { publicAccess: { type: "DISABLED" } },
        },
        clientAuthentication: { sasl: { iam: true, scram: false }, unauthenticated: false },
        encryptionInfo: {
          encryptionAtRestKmsKeyArn: args.kmsKeyArn,
          encryptionInTransit: { clientBroker: "TLS", inCluster: true },
        },
        configurationInfo: { arn: mskConfig.arn, revision: mskConfig.latestRevision },
        loggingInfo: { brokerLogs: { cloudwatchLogs: { enabled: true, logGroup: brokerLogs.name } } },
        enhancedMonitoring: "PER_TOPIC_PER_BROKER",
        tags,
      },
      parent,
    );
    const topicResources = topicList.map(
      (topic) =>
        new aws.msk.Topic(
          `${name}-${kindOf[topic]}`,
          {
            clusterArn: cluster.arn,
            name: topic,
            partitionCount: partitions,
            replicationFactor: replication,
            configs: JSON.stringify({
              "retention.ms": String((args.topicRetentionHours ?? 168) * 3600 * 1000),
              "min.insync.replicas": String(Math.max(1, replication - 1)),
              "cleanup.policy": "delete",
              "max.message.bytes": String(DEFAULT_MAX_BATCH_BYTES),
            }),
          },
          parent,
        ),
    );

    // The REST ingest function.
    const functionName = `${name}-rest-ingest`;
    const functionLogs = new aws.cloudwatch.LogGroup(
      `${name}-ingest-fn`,
      {
        name: `/aws/lambda/${functionName}`,
        retentionInDays: logRetention,
        kmsKeyId: args.logKmsKeyArn,
        tags,
      },
      parent,
    );
    const { role: functionRole, policy: functionPolicy } = serviceRole(this, `${name}-ingest-fn`, {
      trust: identity.accountId.apply((id) => serviceTrustPolicy("lambda.amazonaws.com", id)),
      policy: pulumi
        .all([
          cluster.arn,
          functionLogs.arn,
          region.region,
          identity.accountId,
          pulumi.output(args.subnetIds),
          functionSg.id,
        ])
        .apply(([clusterArn, logGroupArn, r, accountId, subnetIds, sgId]) =>
          ingestFunctionPolicy({
            clusterArn,
            topicNames: topicList,
            logGroupArn,
            region: r,
            accountId,
            subnetIds,
            securityGroupIds: [sgId],
          }),
        ),
      tags,
    });
    const fn = new aws.lambda.Function(
      `${name}-rest-ingest`,
      {
        name: functionName,
        description: "Confluent REST Proxy v2 produce API onto MSK (pinterest-pipeline)",
        runtime: "nodejs20.x",
        architectures: ["arm64"],
        handler: "index.handler",
        code: new pulumi.asset.AssetArchive({
          "index.js": new pulumi.asset.StringAsset(bundleIngestFunction()),
        }),
        role: functionRole.arn,
        memorySize: args.functionMemoryMb ?? 512,
        ...(args.functionReservedConcurrency !== undefined
          ? { reservedConcurrentExecutions: args.functionReservedConcurrency }
          : {}),
        // API Gateway gives up after 29 s; the function answers (503, retriable) before that.
        timeout: 25,
        vpcConfig: { subnetIds: args.subnetIds, securityGroupIds: [functionSg.id] },
        loggingConfig: { logFormat: "JSON", logGroup: functionLogs.name },
        environment: {
          variables: {
            INGEST_TOPICS: JSON.stringify(kindOf),
            BOOTSTRAP_BROKERS: cluster.bootstrapBrokersSaslIam,
            MAX_BODY_BYTES: String(args.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES),
            KAFKA_SECURITY: "iam",
            NODE_OPTIONS: "--enable-source-maps",
          },
        },
        tags,
      },
      { parent: this, dependsOn: [functionPolicy, ...topicResources] },
    );

    // The API: POST /topics/{topic}, API key required, throttled, access-logged.
    const api = new aws.apigateway.RestApi(
      `${name}-api`,
      {
        description: "Kafka REST ingest (Confluent REST Proxy v2 produce API)",
        endpointConfiguration: { types: "REGIONAL" },
        apiKeySource: "HEADER",
        // The body reaches the function as the bytes sent (base64 in the event), so invalid UTF-8 is seen
        // and refused instead of arriving already replaced.
        binaryMediaTypes: [REQUEST_CONTENT_TYPE],
        tags,
      },
      parent,
    );
    const topicsResource = new aws.apigateway.Resource(
      `${name}-topics`,
      { restApi: api.id, parentId: api.rootResourceId, pathPart: "topics" },
      parent,
    );
    const topicResource = new aws.apigateway.Resource(
      `${name}-topic`,
      { restApi: api.id, parentId: topicsResource.id, pathPart: "{topic}" },
      parent,
    );
    // API Gateway checks the request's parameters; the body is the function's to check (every record, with
    // the schema the Kinesis API's models are made from, components/events.ts), because the body arrives as a
    // binary media type (bytes, so invalid UTF-8 can be refused) and models on binary bodies are not
    // documented (docs/cloud-contracts.md). Clients get Confluent's error codes for it either way.
    const validator = new aws.apigateway.RequestValidator(
      `${name}-produce`,
      {
        restApi: api.id,
        name: "produce-parameters",
        validateRequestParameters: true,
        validateRequestBody: false,
      },
      parent,
    );
    const method = new aws.apigateway.Method(
      `${name}-produce`,
      {
        restApi: api.id,
        resourceId: topicResource.id,
        httpMethod: "POST",
        authorization: "NONE",
        apiKeyRequired: true,
        requestValidatorId: validator.id,
        requestParameters: { "method.request.path.topic": true },
      },
      parent,
    );
    const integration = new aws.apigateway.Integration(
      `${name}-produce`,
      {
        restApi: api.id,
        resourceId: topicResource.id,
        httpMethod: method.httpMethod,
        type: "AWS_PROXY",
        integrationHttpMethod: "POST",
        uri: fn.invokeArn,
        timeoutMilliseconds: 29000,
      },
      parent,
    );
    new aws.lambda.Permission(
      `${name}-api-invoke`,
      {
        action: "lambda:InvokeFunction",
        function: fn.name,
        principal: "apigateway.amazonaws.com",
        sourceArn: pulumi.interpolate`${api.executionArn}/*/POST/topics/*`,
      },
      parent,
    );
    const deployment = new aws.apigateway.Deployment(
      `${name}-api`,
      {
        restApi: api.id,
        description: "REST ingest",
        // Redeploy when the API's shape changes.
        triggers: {
          shape: pulumi.all([method.id, integration.id, integration.uri]).apply((parts) => parts.join("|")),
        },
      },
      { parent: this, dependsOn: [method, integration] },
    );
    const stage = apiStage({
      api,
      deployment,
      resourceName: `${name}-api`,
      accessLogGroupName: `/aws/apigateway/${name}-kafka-access`,
      logRetentionDays: logRetention,
      logKmsKeyArn: args.logKmsKeyArn,
      throttleRateLimit: args.throttleRateLimit,
      throttleBurstLimit: args.throttleBurstLimit,
      apiGatewayAccount: args.apiGatewayAccount,
      tags,
      parent: this,
    });

    // The S3 sink connector.
    const plugin = parsePluginLocation(args.sinkPluginLocation);
    if (plugin.kind === "url" && !args.sinkPluginSha256) {
      void pulumi.log.warn(
        `the S3 sink plugin is downloaded from ${plugin.url} with no checksum: set sinkPluginSha256 to the vendor's SHA-256, or mirror the zip to s3://`,
        this,
      );
    }
    const pluginObject =
      plugin.kind === "url"
        ? new aws.s3.BucketObjectv2(
            `${name}-sink-plugin`,
            {
              bucket: args.lakeBucketName,
              key: `connect-plugins/${plugin.fileName}`,
              source: new pulumi.asset.RemoteAsset(plugin.url),
              // S3 computes the upload's SHA-256, which the plugin's install checks below.
              checksumAlgorithm: "SHA256",
              serverSideEncryption: "aws:kms",
              kmsKeyId: args.kmsKeyArn,
              tags,
            },
            parent,
          )
        : undefined;
    const pluginFile = plugin.kind === "url" ? plugin.fileName : plugin.key;
    const customPlugin = new aws.mskconnect.CustomPlugin(
      `${name}-s3-sink`,
      {
        contentType: pluginFile.endsWith(".jar") ? "JAR" : "ZIP",
        location: {
          s3:
            plugin.kind === "url"
              ? {
                  bucketArn: args.lakeBucketArn,
                  fileKey: args.sinkPluginSha256
                    ? pulumi
                        .all([pluginObject!.key, pluginObject!.checksumSha256])
                        .apply(([key, sum]) => verifiedPluginKey(key, sum, args.sinkPluginSha256!))
                    : pluginObject!.key,
                }
              : { bucketArn: `arn:aws:s3:::${plugin.bucket}`, fileKey: plugin.key },
        },
        description: "Confluent S3 sink connector",
      },
      parent,
    );
    const workerConfig = new aws.mskconnect.WorkerConfiguration(
      `${name}-s3-sink`,
      { propertiesFileContent: SINK_WORKER_PROPERTIES, description: "S3 sink workers" },
      parent,
    );
    const connectorName = `${name}-s3-sink`;
    const connectorLogs = new aws.cloudwatch.LogGroup(
      `${name}-connector`,
      {
        name: `/aws/mskconnect/${connectorName}`,
        retentionInDays: logRetention,
        kmsKeyId: args.logKmsKeyArn,
        tags,
      },
      parent,
    );
    const { role: connectorRole, policy: connectorRolePolicy } = serviceRole(this, `${name}-connector`, {
      trust: pulumi
        .all([identity.accountId, region.region])
        .apply(([id, r]) =>
          serviceTrustPolicy(
            "kafkaconnect.amazonaws.com",
            id,
            `arn:aws:kafkaconnect:${r}:${id}:connector/${connectorName}/*`,
          ),
        ),
      policy: pulumi
        .all([cluster.arn, args.lakeBucketArn, args.kmsKeyArn])
        .apply(([clusterArn, bucketArn, kmsKeyArn]) =>
          connectorPolicy({ clusterArn, topicNames: topicList, connectorName, bucketArn, kmsKeyArn }),
        ),
      tags,
    });
    const connector = new aws.mskconnect.Connector(
      `${name}-s3-sink`,
      {
        name: connectorName,
        description: "Kafka topics to the lake's topics/ prefix",
        kafkaconnectVersion: "3.7.x",
        capacity: {
          provisionedCapacity: {
            mcuCount: args.connectorMcuCount ?? 1,
            workerCount: args.connectorWorkerCount ?? 1,
          },
        },
        connectorConfiguration: pulumi
          .all([args.lakeBucketName, region.region, args.kmsKeyArn])
          .apply(([bucketName, r, kmsKeyArn]) =>
            s3SinkConnectorConfig({
              topics: topicList,
              bucketName,
              region: r,
              kmsKeyArn,
              flushSize: args.sinkFlushSize ?? 10000,
              rotateIntervalMs: args.sinkRotateIntervalMs ?? 600000,
              maxTasks: partitions * topicList.length,
            }),
          ),
        kafkaCluster: {
          apacheKafkaCluster: {
            bootstrapServers: cluster.bootstrapBrokersSaslIam,
            vpc: { securityGroups: [connectorSg.id], subnets: args.subnetIds },
          },
        },
        kafkaClusterClientAuthentication: { authenticationType: "IAM" },
        kafkaClusterEncryptionInTransit: { encryptionType: "TLS" },
        plugins: [{ customPlugin: { arn: customPlugin.arn, revision: customPlugin.latestRevision } }],
        workerConfiguration: { arn: workerConfig.arn, revision: workerConfig.latestRevision },
        logDelivery: {
          workerLogDelivery: { cloudwatchLogs: { enabled: true, logGroup: connectorLogs.name } },
        },
        serviceExecutionRoleArn: connectorRole.arn,
        tags,
      },
      { parent: this, dependsOn: [connectorRolePolicy, ...topicResources] },
    );

    this.clusterArn = cluster.arn;
    this.bootstrapBrokers = cluster.bootstrapBrokersSaslIam;
    this.topics = { ...args.topics };
    this.apiUrl = stage.invokeUrl;
    this.api = api;
    this.cluster = cluster;
    this.function = fn;
    this.connector = connector;
    this.stage = stage;
    this.functionName = fn.name;
    this.connectorArn = connector.arn;
    this.metrics = {
      apiName: api.name,
      apiStage: stage.stageName,
      clusterName: cluster.clusterName,
      brokerCount,
      connectorName: connector.name,
    };
    this.registerOutputs({
      clusterArn: this.clusterArn,
      bootstrapBrokers: this.bootstrapBrokers,
      topics: this.topics,
      apiUrl: this.apiUrl,
      functionName: this.functionName,
      connectorArn: this.connectorArn,
    });
  }
}
