/**
 * The pinterest-pipeline stack: one program for every environment; Pulumi.<stack>.yaml holds the only
 * differences (docs/configuration.md). Components are added here as the pipeline grows.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./config";
import { ApiGatewayAccount } from "./components/apiGatewayAccount";
import { protectStateful, replaceNamedDeleteFirst } from "./components/protect";
import { BATCH_DAG_ID, BatchLakehouse } from "./components/batchLakehouse";
import { JobCode } from "./components/databricksJobs";
import { standardTags } from "./components/defaults";
import { streamNames, topicNames } from "./components/names";
import { KafkaIngest } from "./components/kafkaIngest";
import { KinesisIngest } from "./components/kinesisIngest";
import { IngestEdge } from "./components/ingestEdge";
import { Lake } from "./components/lake";
import { Network } from "./components/network";
import { Observability } from "./components/observability";
import { StreamLakehouse } from "./components/streamLakehouse";

const config = loadStackConfig();
const tags = standardTags(pulumi.getStack(), config.tags);
// Data, keys and secrets are protected where the stack asks for it (prod), and what carries a fixed name
// is replaced delete-first; the components pass both on to their resources.
const lifecycle: pulumi.ComponentResourceOptions = {
  transformations: [...protectStateful(config.protectStatefulResources), replaceNamedDeleteFirst],
};

const lake = new Lake(
  config.namePrefix,
  {
    rawDataRetentionDays: config.lake.rawDataRetentionDays,
    rawDataInfrequentAccessDays: config.lake.rawDataInfrequentAccessDays,
    forceDestroy: config.lake.forceDestroy,
    tags,
  },
  lifecycle,
);

const network = new Network(
  config.namePrefix,
  {
    ...(config.network.existingVpcId !== undefined
      ? {
          existingVpcId: config.network.existingVpcId,
          existingPrivateSubnetIds: config.network.existingPrivateSubnetIds,
        }
      : {
          region: new pulumi.Config("aws").require("region"),
          cidrBlock: config.network.vpcCidr,
          availabilityZoneCount: config.network.availabilityZoneCount,
          natGatewayMode: config.network.natGatewayMode,
        }),
    flowLogRetentionDays: config.logRetentionDays,
    logKmsKeyArn: lake.logsKmsKeyArn,
    tags,
  },
  lifecycle,
);

// API Gateway logs through one CloudWatch role per account and region; stages wait for it.
const apiGatewayAccount = config.manageApiGatewayAccount
  ? new ApiGatewayAccount(config.namePrefix, { tags }, lifecycle)
  : undefined;

// The topics and streams, named once: every piece below receives these names, none rebuilds them.
const topics = topicNames(config.namePrefix);
const streams = streamNames(config.namePrefix);

const kafkaIngest = new KafkaIngest(
  config.namePrefix,
  {
    topics,
    vpcId: network.vpcId,
    subnetIds: network.privateSubnets,
    lakeBucketName: lake.bucketName,
    lakeBucketArn: lake.bucketArn,
    kmsKeyArn: lake.kmsKeyArn,
    logKmsKeyArn: lake.logsKmsKeyArn,
    kafkaVersion: config.kafka.mskKafkaVersion,
    brokerInstanceType: config.kafka.brokerInstanceType,
    brokersPerAz: config.kafka.brokersPerAz,
    brokerVolumeGiB: config.kafka.brokerVolumeGiB,
    topicPartitions: config.kafka.topicPartitions,
    topicRetentionHours: config.kafka.topicRetentionHours,
    logRetentionDays: config.logRetentionDays,
    throttleRateLimit: config.ingest.throttleRateLimit,
    throttleBurstLimit: config.ingest.throttleBurstLimit,
    functionMemoryMb: config.ingest.functionMemoryMb,
    functionReservedConcurrency: config.ingest.functionReservedConcurrency,
    sinkPluginLocation: config.kafka.sinkPluginLocation,
    sinkPluginSha256: config.kafka.sinkPluginSha256,
    sinkFlushSize: config.kafka.sinkFlushSize,
    sinkRotateIntervalMs: config.kafka.sinkRotateIntervalMs,
    connectorMcuCount: config.kafka.connectorMcuCount,
    connectorWorkerCount: config.kafka.connectorWorkerCount,
    apiGatewayAccount,
    tags,
  },
  lifecycle,
);

const kinesisIngest = new KinesisIngest(
  config.namePrefix,
  {
    streams,
    mode: config.kinesis.mode,
    shardCount: config.kinesis.shardCount,
    retentionHours: config.kinesis.retentionHours,
    kmsKeyArn: lake.kmsKeyArn,
    logRetentionDays: config.logRetentionDays,
    logKmsKeyArn: lake.logsKmsKeyArn,
    throttleRateLimit: config.ingest.throttleRateLimit,
    throttleBurstLimit: config.ingest.throttleBurstLimit,
    apiGatewayAccount,
    tags,
  },
  lifecycle,
);

// The public edge of both APIs: a key and usage plan per client, and WAF.
const edge = new IngestEdge(
  config.namePrefix,
  {
    namePrefix: config.namePrefix,
    stages: [
      {
        label: "kafka",
        apiId: kafkaIngest.api.id,
        stageName: kafkaIngest.stage.stageName,
        stageArn: kafkaIngest.stage.arn,
      },
      {
        label: "kinesis",
        apiId: kinesisIngest.api.id,
        stageName: kinesisIngest.stage.stageName,
        stageArn: kinesisIngest.stage.arn,
      },
    ],
    clients: config.ingest.clients,
    rateLimit: config.ingest.throttleRateLimit,
    burstLimit: config.ingest.throttleBurstLimit,
    quotaPerDay: config.ingest.quotaPerDay,
    wafRateLimitPer5Min: config.ingest.wafRateLimitPer5Min,
    logRetentionDays: config.logRetentionDays,
    logKmsKeyArn: lake.logsKmsKeyArn,
    tags,
  },
  lifecycle,
);

// The jobs/ package and notebooks in the workspace, and the service principal both jobs run as.
const code = new JobCode(
  config.namePrefix,
  { namePrefix: config.namePrefix, databricksAccountId: config.batch.databricksAccountId },
  lifecycle,
);

const batch = new BatchLakehouse(
  config.namePrefix,
  {
    namePrefix: config.namePrefix,
    code,
    lakeBucketName: lake.bucketName,
    lakeBucketArn: lake.bucketArn,
    kmsKeyArn: lake.kmsKeyArn,
    secretsKmsKeyArn: lake.secretsKmsKeyArn,
    topics: kafkaIngest.topics,
    qualityPolicy: config.qualityPolicy,
    sparkVersion: config.databricksRuntime,
    nodeType: config.batch.nodeType,
    workers: config.batch.workers,
    maxRetries: config.batch.maxRetries,
    timeoutMinutes: config.batch.timeoutMinutes,
    secretLifetimeDays: config.batch.secretLifetimeDays,
    alertEmail: config.alertEmail,
    databricksCrossAccountRoleName: config.batch.crossAccountRoleName,
    airflow:
      config.airflow.existingEnvironmentName !== undefined && config.airflow.existingDagBucket !== undefined
        ? {
            mode: "existing",
            environmentName: config.airflow.existingEnvironmentName,
            dagBucketName: config.airflow.existingDagBucket,
          }
        : {
            mode: "create",
            version: config.airflowVersion,
            environmentClass: config.airflow.environmentClass,
            maxWorkers: config.airflow.maxWorkers,
            webserverAccess: config.airflow.webserverAccess,
            vpcId: network.vpcId,
            // MWAA takes exactly two subnets.
            subnetIds: network.privateSubnets.slice(0, 2),
          },
    tags,
  },
  lifecycle,
);

const stream = new StreamLakehouse(
  config.namePrefix,
  {
    namePrefix: config.namePrefix,
    code,
    streams: kinesisIngest.streamNames,
    streamArns: kinesisIngest.streamArns,
    streamKmsKeyArn: lake.kmsKeyArn,
    lakeBucketName: lake.bucketName,
    lakeBucketArn: lake.bucketArn,
    kmsKeyArn: lake.kmsKeyArn,
    region: aws.getRegionOutput().region,
    sparkVersion: config.databricksRuntime,
    nodeType: config.stream.nodeType,
    workers: config.stream.workers,
    trigger: config.stream.trigger,
    qualityPolicy: config.qualityPolicy,
    alertEmail: config.alertEmail,
    databricksCrossAccountRoleName: config.batch.crossAccountRoleName,
    tags,
  },
  lifecycle,
);

const observability = new Observability(
  config.namePrefix,
  {
    namePrefix: config.namePrefix,
    alertEmail: config.alertEmail,
    watched: {
      apis: [
        { label: "kafka", apiName: kafkaIngest.metrics.apiName, stage: kafkaIngest.metrics.apiStage },
        { label: "kinesis", apiName: kinesisIngest.metrics.apiName, stage: kinesisIngest.metrics.apiStage },
      ],
      ingestFunctionName: kafkaIngest.functionName,
      streams: kinesisIngest.streamNameOf,
      mskClusterName: kafkaIngest.metrics.clusterName,
      brokerCount: kafkaIngest.metrics.brokerCount,
      connectorName: kafkaIngest.metrics.connectorName,
      airflowEnvironmentName: batch.airflowEnvironmentName,
      batchDagId: BATCH_DAG_ID,
    },
    expiringSecrets: [{ label: "airflow-databricks-secret", expireTime: batch.airflowSecretExpireTime }],
    tags,
  },
  lifecycle,
);

export const vpcId = network.vpcId;
export const privateSubnetIds = network.privateSubnetIds;
export const lakeBucketName = lake.bucketName;
export const lakeBucketArn = lake.bucketArn;
export const lakeKmsKeyArn = lake.kmsKeyArn;
export const accessLogBucketName = lake.accessLogBucketName;
export const kafkaClusterArn = kafkaIngest.clusterArn;
export const kafkaTopics = kafkaIngest.topics;
/** Base URL of the Kafka REST ingest: POST <url>/topics/<topic>. */
export const kafkaRestUrl = kafkaIngest.apiUrl;
/** The API key for both REST APIs (x-api-key); a secret: `pulumi stack output --show-secrets`. */
/** The first client's key (the emulator's); every client's key is in apiKeys. */
export const apiKey = edge.apiKeys.apply((keys) => keys[config.ingest.clients[0]]);
export const apiKeys = edge.apiKeys;
export const s3SinkConnectorArn = kafkaIngest.connectorArn;
export const kinesisStreams = kinesisIngest.streamNames;
/** Base URL of the Kinesis API: PUT <url>/streams/<stream>/record(s). */
export const kinesisApiUrl = kinesisIngest.apiUrl;
/** The daily batch's Databricks job (run by Airflow's DAG pinterest_batch_daily). */
export const batchJobId = batch.jobId;
export const batchJobUrl = batch.jobUrl;
/** Delta root of the silver, gold and quarantine tables. */
export const batchTablesLocation = batch.tablesLocation;
export const airflowEnvironmentName = batch.airflowEnvironmentName;
export const airflowWebserverUrl = batch.airflowWebserverUrl;
export const dagBucketName = batch.dagBucketName;
/** The continuous stream job and its Delta tables (pin, geo, user, quarantine). */
export const streamJobId = stream.jobId;
export const streamTables = stream.tables;
export const streamCheckpointLocation = stream.checkpointLocation;
/** Where the alarms notify (subscribe more endpoints to it), and the stack's CloudWatch dashboard. */
export const alarmTopicArn = observability.alarmTopicArn;
export const dashboardUrl = observability.dashboardUrl;
