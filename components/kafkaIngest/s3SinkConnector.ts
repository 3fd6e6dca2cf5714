/**
 * S3SinkConnector: MSK Connect running Confluent's S3 sink, which writes the topics into the lake's topics/
 * prefix. The plugin (from s3://, or fetched from an https:// URL at deploy time and checked against its
 * SHA-256), the worker configuration, the connector's log group, role and security group (to the brokers
 * and to S3 through the gateway endpoint only).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { serviceTrustPolicy } from "../defaults";
import { EventKind, EVENT_KINDS } from "../events";
import { movedInto } from "../moved";
import { serviceRole } from "../serviceRole";
import { MskCluster } from "./mskCluster";
import { connectorPolicy } from "./policies";
import {
  parsePluginLocation,
  s3SinkConnectorConfig,
  SINK_WORKER_PROPERTIES,
  verifiedPluginKey,
} from "./sink";

export interface S3SinkConnectorArgs {
  /** The brokers it reads from; it is let through to them. */
  brokers: MskCluster;
  /** The topic of each record kind: all are sunk. */
  topics: Record<EventKind, string>;
  /** Partitions of each topic: the connector runs a task per partition. */
  topicPartitions: number;
  vpcId: pulumi.Input<string>;
  subnetIds: pulumi.Input<string>[];
  lakeBucketName: pulumi.Input<string>;
  lakeBucketArn: pulumi.Input<string>;
  /** The lake's key: the objects written are encrypted with it. */
  kmsKeyArn: pulumi.Input<string>;
  /** `s3://bucket/key.zip`, or an `https://` URL (validated by the caller). */
  sinkPluginLocation: string;
  /** SHA-256 (hex) the https:// download must have. */
  sinkPluginSha256?: string;
  flushSize: number;
  rotateIntervalMs: number;
  mcuCount: pulumi.Input<number>;
  workerCount: pulumi.Input<number>;
  logRetentionDays: pulumi.Input<number>;
  logKmsKeyArn: pulumi.Input<string>;
  tags: Record<string, string>;
}

export class S3SinkConnector extends pulumi.ComponentResource {
  public readonly connector: aws.mskconnect.Connector;
  public readonly customPlugin: aws.mskconnect.CustomPlugin;
  public readonly workerConfiguration: aws.mskconnect.WorkerConfiguration;
  public readonly role: aws.iam.Role;
  /** The connector's security group: out to the brokers and S3 only. */
  public readonly securityGroup: aws.ec2.SecurityGroup;
  /** The plugin zip uploaded to the lake, when it is fetched from a URL. */
  public readonly pluginObject?: aws.s3.BucketObjectv2;

  constructor(name: string, args: S3SinkConnectorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pinterest-pipeline:ingest:S3SinkConnector", name, {}, opts);
    const moved = movedInto(this, opts?.parent);
    const { tags } = args;
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const region = aws.getRegionOutput({}, { parent: this });
    const topicList = EVENT_KINDS.map((k) => args.topics[k]);

    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-connector`,
      { vpcId: args.vpcId, description: "S3 sink connector: to the brokers and S3 only", tags },
      moved,
    );
    args.brokers.allowClient("connector", this.securityGroup);
    const s3PrefixList = aws.ec2.getManagedPrefixListOutput(
      { name: pulumi.interpolate`com.amazonaws.${region.region}.s3` },
      { parent: this },
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-connector-to-s3`,
      {
        securityGroupId: this.securityGroup.id,
        prefixListId: s3PrefixList.id,
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        description: "HTTPS to S3 through the gateway endpoint",
      },
      moved,
    );

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
            moved,
          )
        : undefined;
    this.pluginObject = pluginObject;
    const pluginFile = plugin.kind === "url" ? plugin.fileName : plugin.key;
    this.customPlugin = new aws.mskconnect.CustomPlugin(
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
      moved,
    );
    this.workerConfiguration = new aws.mskconnect.WorkerConfiguration(
      `${name}-s3-sink`,
      { propertiesFileContent: SINK_WORKER_PROPERTIES, description: "S3 sink workers" },
      moved,
    );
    const connectorName = `${name}-s3-sink`;
    const connectorLogs = new aws.cloudwatch.LogGroup(
      `${name}-connector`,
      {
        name: `/aws/mskconnect/${connectorName}`,
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.logKmsKeyArn,
        tags,
      },
      moved,
    );
    const { role, policy } = serviceRole(moved, `${name}-connector`, {
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
        .all([args.brokers.cluster.arn, args.lakeBucketArn, args.kmsKeyArn])
        .apply(([clusterArn, bucketArn, kmsKeyArn]) =>
          connectorPolicy({ clusterArn, topicNames: topicList, connectorName, bucketArn, kmsKeyArn }),
        ),
      tags,
    });
    this.role = role;
    this.connector = new aws.mskconnect.Connector(
      `${name}-s3-sink`,
      {
        name: connectorName,
        description: "Kafka topics to the lake's topics/ prefix",
        kafkaconnectVersion: "3.7.x",
        capacity: {
          provisionedCapacity: { mcuCount: args.mcuCount, workerCount: args.workerCount },
        },
        connectorConfiguration: pulumi
          .all([args.lakeBucketName, region.region, args.kmsKeyArn])
          .apply(([bucketName, r, kmsKeyArn]) =>
            s3SinkConnectorConfig({
              topics: topicList,
              bucketName,
              region: r,
              kmsKeyArn,
              flushSize: args.flushSize,
              rotateIntervalMs: args.rotateIntervalMs,
              maxTasks: args.topicPartitions * topicList.length,
            }),
          ),
        kafkaCluster: {
          apacheKafkaCluster: {
            bootstrapServers: args.brokers.bootstrapBrokers,
            vpc: { securityGroups: [this.securityGroup.id], subnets: args.subnetIds },
          },
        },
        kafkaClusterClientAuthentication: { authenticationType: "IAM" },
        kafkaClusterEncryptionInTransit: { encryptionType: "TLS" },
        plugins: [
          { customPlugin: { arn: this.customPlugin.arn, revision: this.customPlugin.latestRevision } },
        ],
        workerConfiguration: {
          arn: this.workerConfiguration.arn,
          revision: this.workerConfiguration.latestRevision,
        },
        logDelivery: {
          workerLogDelivery: { cloudwatchLogs: { enabled: true, logGroup: connectorLogs.name } },
        },
        serviceExecutionRoleArn: role.arn,
        tags,
      },
      { ...moved, dependsOn: [policy, ...Object.values(args.brokers.topics)] },
    );
    this.registerOutputs({ connectorArn: this.connector.arn });
  }
}
