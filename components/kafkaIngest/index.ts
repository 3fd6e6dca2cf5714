/**
 * KafkaIngest: the batch path's front door, a thin class over three children at its seams:
 * - MskCluster: the brokers (IAM auth only, TLS everywhere, encrypted, in private subnets) and the topics;
 * - RestIngestApi: the REST ingest function behind API Gateway (API key, throttling, access logs);
 * - S3SinkConnector: MSK Connect's S3 sink writing the topics into the lake.
 * Their resources were the component's own before the split; aliases keep their URNs (components/moved.ts).
 *
 * Settings are resolved by the caller (config.ts holds every default); only rules derived from other
 * arguments (the replication factor) and hard limits (the body size) are filled in here.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { checkNameMap, TOPIC_NAME } from "../names";
import { EventKind } from "../events";
import { parsePluginLocation } from "./sink";
import { DEFAULT_MAX_BODY_BYTES } from "./runtime/restProxy";
import { MskCluster } from "./mskCluster";
import { RestIngestApi } from "./restIngestApi";
import { S3SinkConnector } from "./s3SinkConnector";

export { MSK_IAM_PORT, MskCluster } from "./mskCluster";
export { bundleIngestFunction, RestIngestApi } from "./restIngestApi";
export { S3SinkConnector } from "./s3SinkConnector";

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
  /** MSK Kafka version (config `mskKafkaVersion`). */
  kafkaVersion: pulumi.Input<string>;
  /** Broker instance type (config `mskBrokerInstanceType`). */
  brokerInstanceType: pulumi.Input<string>;
  /** Brokers in each subnet's AZ (config `mskBrokersPerAz`). */
  brokersPerAz: number;
  /** EBS storage per broker, GiB (config `mskBrokerVolumeGiB`). */
  brokerVolumeGiB: pulumi.Input<number>;
  /** Partitions of each topic (config `kafkaTopicPartitions`). */
  topicPartitions: number;
  /** Replicas of each partition. Default: the broker count, at most 3. */
  topicReplicationFactor?: number;
  /** Hours a topic keeps records, the replay window (config `kafkaTopicRetentionHours`). */
  topicRetentionHours: number;
  /** Retention of the broker, function, API and connector log groups (config `logRetentionDays`). */
  logRetentionDays: pulumi.Input<number>;
  /** KMS key encrypting the component's log groups (the stack's logs key). */
  logKmsKeyArn: pulumi.Input<string>;
  /** Steady requests per second across API keys (config `ingestThrottleRateLimit`). */
  throttleRateLimit: pulumi.Input<number>;
  /** Burst of requests above the steady rate (config `ingestThrottleBurstLimit`). */
  throttleBurstLimit: pulumi.Input<number>;
  /** Memory of the ingest function, MB (config `ingestFunctionMemoryMb`). */
  functionMemoryMb: pulumi.Input<number>;
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
  /** Records per S3 object (config `sinkFlushSize`). */
  sinkFlushSize: number;
  /** Longest time before an open object is written, ms (config `sinkRotateIntervalMs`). */
  sinkRotateIntervalMs: number;
  /** MSK Connect capacity units per worker, 1, 2, 4 or 8 (config `connectorMcuCount`). */
  connectorMcuCount: pulumi.Input<number>;
  /** MSK Connect workers (config `connectorWorkerCount`). */
  connectorWorkerCount: pulumi.Input<number>;
  /** The stage waits for this (the account's API Gateway CloudWatch role). Default: none. */
  apiGatewayAccount?: pulumi.Resource;
  /** Tags for every resource. Default: none. */
  tags?: Record<string, string>;
}

/**
 * What the args decide rather than state, worked out once: the broker count, the replicas of each partition
 * (as given, or the broker count, at most 3) and the largest body (as given, or the most Lambda takes).
 */
function derived(args: KafkaIngestArgs): { brokerCount: number; replication: number; maxBodyBytes: number } {
  const brokerCount = args.subnetIds.length * args.brokersPerAz;
  return {
    brokerCount,
    replication: args.topicReplicationFactor ?? Math.min(3, brokerCount),
    maxBodyBytes: args.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  };
}

/** Checks the args that decide what exists; pure, so each message is tested exactly. */
export function validateKafkaIngestArgs(args: KafkaIngestArgs): void {
  checkNameMap("topics", args.topics, TOPIC_NAME);
  if (args.subnetIds.length < 2)
    throw new Error("subnetIds must name subnets in at least two availability zones");
  const { brokerCount: brokers, replication, maxBodyBytes: maxBody } = derived(args);
  if (!Number.isInteger(replication) || replication < 1 || replication > brokers) {
    throw new Error(
      `topicReplicationFactor must be from 1 to the broker count (${brokers}), got ${replication}`,
    );
  }
  const partitions = args.topicPartitions;
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1000) {
    throw new Error(`topicPartitions must be an integer from 1 to 1000, got ${partitions}`);
  }
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
  /** The children at the seams. */
  public readonly brokers: MskCluster;
  public readonly rest: RestIngestApi;
  public readonly sink: S3SinkConnector;
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
    const settled = derived(args);
    const tags = args.tags ?? {};
    const child = { parent: this };
    const brokers = new MskCluster(
      name,
      {
        topics: args.topics,
        vpcId: args.vpcId,
        subnetIds: args.subnetIds,
        kmsKeyArn: args.kmsKeyArn,
        kafkaVersion: args.kafkaVersion,
        brokerInstanceType: args.brokerInstanceType,
        brokerCount: settled.brokerCount,
        brokerVolumeGiB: args.brokerVolumeGiB,
        topicPartitions: args.topicPartitions,
        topicReplicationFactor: settled.replication,
        topicRetentionHours: args.topicRetentionHours,
        logRetentionDays: args.logRetentionDays,
        logKmsKeyArn: args.logKmsKeyArn,
        tags,
      },
      child,
    );
    const rest = new RestIngestApi(
      name,
      {
        brokers,
        topics: args.topics,
        vpcId: args.vpcId,
        subnetIds: args.subnetIds,
        functionMemoryMb: args.functionMemoryMb,
        functionReservedConcurrency: args.functionReservedConcurrency,
        maxBodyBytes: settled.maxBodyBytes,
        throttleRateLimit: args.throttleRateLimit,
        throttleBurstLimit: args.throttleBurstLimit,
        logRetentionDays: args.logRetentionDays,
        logKmsKeyArn: args.logKmsKeyArn,
        apiGatewayAccount: args.apiGatewayAccount,
        tags,
      },
      child,
    );
    const sink = new S3SinkConnector(
      name,
      {
        brokers,
        topics: args.topics,
        topicPartitions: args.topicPartitions,
        vpcId: args.vpcId,
        subnetIds: args.subnetIds,
        lakeBucketName: args.lakeBucketName,
        lakeBucketArn: args.lakeBucketArn,
        kmsKeyArn: args.kmsKeyArn,
        sinkPluginLocation: args.sinkPluginLocation,
        sinkPluginSha256: args.sinkPluginSha256,
        flushSize: args.sinkFlushSize,
        rotateIntervalMs: args.sinkRotateIntervalMs,
        mcuCount: args.connectorMcuCount,
        workerCount: args.connectorWorkerCount,
        logRetentionDays: args.logRetentionDays,
        logKmsKeyArn: args.logKmsKeyArn,
        tags,
      },
      child,
    );
    const { cluster, brokerCount } = brokers;
    const { api, stage, function: fn } = rest;
    const { connector } = sink;
    this.brokers = brokers;
    this.rest = rest;
    this.sink = sink;

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
