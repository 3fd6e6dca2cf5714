/**
 * MskCluster: the brokers of the batch path. An MSK cluster (IAM auth only, TLS everywhere, storage encrypted
 * with the lake's key, no public access) in private subnets, its broker configuration and log group, the
 * security group its clients must be let through (allowClient), and the stack's topics as code.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EventKind, EVENT_KINDS } from "../events";
import { movedInto } from "../moved";
import { DEFAULT_MAX_BATCH_BYTES } from "./runtime/restProxy";

/** MSK's port for TLS clients authenticating with IAM. */
export const MSK_IAM_PORT = 9098;

export interface MskClusterArgs {
  /** The topic of each record kind. */
  topics: Record<EventKind, string>;
  vpcId: pulumi.Input<string>;
  /** Private subnets, one per AZ: the brokers' client subnets. */
  subnetIds: pulumi.Input<string>[];
  /** Encrypts the brokers' storage. */
  kmsKeyArn: pulumi.Input<string>;
  kafkaVersion: pulumi.Input<string>;
  brokerInstanceType: pulumi.Input<string>;
  /** Brokers in all: a multiple of the subnets. */
  brokerCount: number;
  brokerVolumeGiB: pulumi.Input<number>;
  topicPartitions: number;
  topicReplicationFactor: number;
  topicRetentionHours: number;
  logRetentionDays: pulumi.Input<number>;
  logKmsKeyArn: pulumi.Input<string>;
  tags: Record<string, string>;
}

export class MskCluster extends pulumi.ComponentResource {
  public readonly cluster: aws.msk.Cluster;
  public readonly configuration: aws.msk.Configuration;
  /** The brokers' security group: nothing reaches them unless allowClient let it. */
  public readonly securityGroup: aws.ec2.SecurityGroup;
  public readonly brokerLogs: aws.cloudwatch.LogGroup;
  /** The topic resource of each record kind. */
  public readonly topics: Record<EventKind, aws.msk.Topic>;
  public readonly brokerCount: number;
  private readonly name: string;
  private readonly moved: pulumi.CustomResourceOptions;

  constructor(name: string, args: MskClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pinterest-pipeline:ingest:MskCluster", name, {}, opts);
    this.name = name;
    this.moved = movedInto(this, opts?.parent);
    const { tags } = args;
    const replication = args.topicReplicationFactor;
    this.brokerCount = args.brokerCount;

    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-brokers`,
      { vpcId: args.vpcId, description: "MSK brokers: IAM/TLS clients of the ingest only", tags },
      this.moved,
    );
    this.brokerLogs = new aws.cloudwatch.LogGroup(
      `${name}-broker-logs`,
      { name: `/aws/msk/${name}`, retentionInDays: args.logRetentionDays, kmsKeyId: args.logKmsKeyArn, tags },
      this.moved,
    );
    this.configuration = new aws.msk.Configuration(
      `${name}-config`,
      {
        kafkaVersions: [args.kafkaVersion],
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
      this.moved,
    );
    this.cluster = new aws.msk.Cluster(
      `${name}-cluster`,
      {
        kafkaVersion: args.kafkaVersion,
        numberOfBrokerNodes: args.brokerCount,
        brokerNodeGroupInfo: {
          instanceType: args.brokerInstanceType,
          clientSubnets: args.subnetIds,
          securityGroups: [this.securityGroup.id],
          storageInfo: { ebsStorageInfo: { volumeSize: args.brokerVolumeGiB } },
          connectivityInfo: { publicAccess: { type: "DISABLED" } },
        },
        clientAuthentication: { sasl: { iam: true, scram: false }, unauthenticated: false },
        encryptionInfo: {
          encryptionAtRestKmsKeyArn: args.kmsKeyArn,
          encryptionInTransit: { clientBroker: "TLS", inCluster: true },
        },
        configurationInfo: { arn: this.configuration.arn, revision: this.configuration.latestRevision },
        loggingInfo: { brokerLogs: { cloudwatchLogs: { enabled: true, logGroup: this.brokerLogs.name } } },
        enhancedMonitoring: "PER_TOPIC_PER_BROKER",
        tags,
      },
      this.moved,
    );
    this.topics = Object.fromEntries(
      EVENT_KINDS.map((kind) => [
        kind,
        new aws.msk.Topic(
          `${name}-${kind}`,
          {
            clusterArn: this.cluster.arn,
            name: args.topics[kind],
            partitionCount: args.topicPartitions,
            replicationFactor: replication,
            configs: JSON.stringify({
              "retention.ms": String(args.topicRetentionHours * 3600 * 1000),
              "min.insync.replicas": String(Math.max(1, replication - 1)),
              "cleanup.policy": "delete",
              "max.message.bytes": String(DEFAULT_MAX_BATCH_BYTES),
            }),
          },
          this.moved,
        ),
      ]),
    ) as Record<EventKind, aws.msk.Topic>;
    this.registerOutputs({ clusterArn: this.cluster.arn });
  }

  /** The SASL/IAM bootstrap brokers (port 9098). */
  get bootstrapBrokers(): pulumi.Output<string> {
    return this.cluster.bootstrapBrokersSaslIam;
  }

  /**
   * Lets `client`'s security group reach the brokers on 9098 and nothing else of theirs: an ingress rule on
   * the brokers' group and an egress rule on the client's, each naming the other group.
   */
  allowClient(client: string, clientSecurityGroup: aws.ec2.SecurityGroup): void {
    new aws.vpc.SecurityGroupIngressRule(
      `${this.name}-brokers-from-${client}`,
      {
        securityGroupId: this.securityGroup.id,
        referencedSecurityGroupId: clientSecurityGroup.id,
        ipProtocol: "tcp",
        fromPort: MSK_IAM_PORT,
        toPort: MSK_IAM_PORT,
        description: `Kafka (IAM/TLS) from the ${client}`,
      },
      this.moved,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${this.name}-${client}-to-brokers`,
      {
        securityGroupId: clientSecurityGroup.id,
        referencedSecurityGroupId: this.securityGroup.id,
        ipProtocol: "tcp",
        fromPort: MSK_IAM_PORT,
        toPort: MSK_IAM_PORT,
        description: "Kafka (IAM/TLS) to the brokers",
      },
      this.moved,
    );
  }
}
