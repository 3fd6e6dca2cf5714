/**
 * IAM documents of the Kafka ingest, as pure functions of ARNs (tested without mocks). MSK's IAM access
 * control names topics and groups by ARNs derived from the cluster ARN:
 *   cluster  arn:aws:kafka:<region>:<account>:cluster/<cluster-name>/<cluster-uuid>
 *   topic    arn:aws:kafka:<region>:<account>:topic/<cluster-name>/<cluster-uuid>/<topic>
 *   group    arn:aws:kafka:<region>:<account>:group/<cluster-name>/<cluster-uuid>/<group>
 */
import { PolicyDocument, PolicyStatement } from "../defaults";

function mskResourceArn(clusterArn: string, kind: "topic" | "group", name: string): string {
  const match = /^(arn:[^:]+:kafka:[^:]+:\d{12}):cluster\/([^/]+\/[^/]+)$/.exec(clusterArn);
  if (!match) throw new Error(`not an MSK cluster ARN: '${clusterArn}'`);
  return `${match[1]}:${kind}/${match[2]}/${name}`;
}

export const mskTopicArn = (clusterArn: string, topic: string) => mskResourceArn(clusterArn, "topic", topic);
export const mskGroupArn = (clusterArn: string, group: string) => mskResourceArn(clusterArn, "group", group);

export interface IngestFunctionPolicyArgs {
  clusterArn: string;
  topicNames: string[];
  logGroupArn: string;
  region: string;
  accountId: string;
  /** The function's subnets and security groups: the only ones its network interfaces may use. */
  subnetIds: string[];
  securityGroupIds: string[];
}

/**
 * The ingest Lambda: connect and write (idempotently) to exactly the stack's topics, write its own log
 * group, and manage its VPC network interfaces. EC2's Describe* calls take no resource ARNs, so those
 * statements name "*" (read-only); the mutating ENI calls are limited to the function's own subnets and
 * security groups (Lambda creates the interfaces, so their own ids cannot be named beforehand).
 */
export function ingestFunctionPolicy(args: IngestFunctionPolicyArgs): PolicyDocument {
  const ec2 = `arn:aws:ec2:${args.region}:${args.accountId}`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ConnectToCluster",
        Effect: "Allow",
        Action: ["kafka-cluster:Connect", "kafka-cluster:WriteDataIdempotently"],
        Resource: args.clusterArn,
      },
      {
        Sid: "WriteStackTopics",
        Effect: "Allow",
        Action: ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"],
        Resource: args.topicNames.map((t) => mskTopicArn(args.clusterArn, t)),
      },
      {
        Sid: "WriteOwnLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: [args.logGroupArn, `${args.logGroupArn}:log-stream:*`],
      },
      {
        Sid: "ManageVpcNetworkInterfaces",
        Effect: "Allow",
        Action: [
          "ec2:CreateNetworkInterface",
          "ec2:DeleteNetworkInterface",
          "ec2:AssignPrivateIpAddresses",
          "ec2:UnassignPrivateIpAddresses",
        ],
        Resource: [
          `${ec2}:network-interface/*`,
          ...args.subnetIds.map((id) => `${ec2}:subnet/${id}`),
          ...args.securityGroupIds.map((id) => `${ec2}:security-group/${id}`),
        ],
      },
      {
        Sid: "DescribeVpcNetworkInterfaces",
        Effect: "Allow",
        Action: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
        Resource: "*",
      },
    ],
  };
}

export interface ConnectorPolicyArgs {
  clusterArn: string;
  topicNames: string[];
  connectorName: string;
  bucketArn: string;
  kmsKeyArn: string;
}

/**
 * The S3 sink connector: read the stack's topics as consumer group connect-<connector>, keep MSK Connect's
 * internal topics and groups (`__amazon_msk_connect_*`, as AWS documents for IAM-auth clusters), and write
 * objects under the lake's topics/ prefix with its KMS key. (Worker logs reach CloudWatch through MSK
 * Connect's log delivery, not through this role.)
 */
export function connectorPolicy(args: ConnectorPolicyArgs): PolicyDocument {
  const statements: PolicyStatement[] = [
    {
      Sid: "ConnectToCluster",
      Effect: "Allow",
      Action: ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"],
      Resource: args.clusterArn,
    },
    {
      Sid: "ReadStackTopics",
      Effect: "Allow",
      Action: ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"],
      Resource: args.topicNames.map((t) => mskTopicArn(args.clusterArn, t)),
    },
    {
      Sid: "ConnectInternalTopics",
      Effect: "Allow",
      Action: [
        "kafka-cluster:CreateTopic",
        "kafka-cluster:DescribeTopic",
        "kafka-cluster:ReadData",
        "kafka-cluster:WriteData",
      ],
      Resource: mskTopicArn(args.clusterArn, "__amazon_msk_connect_*"),
    },
    {
      Sid: "ConsumerGroups",
      Effect: "Allow",
      Action: ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
      Resource: [
        mskGroupArn(args.clusterArn, `connect-${args.connectorName}`),
        mskGroupArn(args.clusterArn, "__amazon_msk_connect_*"),
      ],
    },
    {
      Sid: "ListLakeBucket",
      Effect: "Allow",
      Action: ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
      Resource: args.bucketArn,
    },
    {
      Sid: "WriteRawTopics",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
      Resource: `${args.bucketArn}/topics/*`,
    },
    {
      Sid: "EncryptWithLakeKey",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: args.kmsKeyArn,
    },
  ];
  return { Version: "2012-10-17", Statement: statements };
}
