/**
 * The policy document of Airflow (MWAA). Pure functions of ARNs, tested without
 * mocks: every statement names its resources, no action is a wildcard.
 */
import { PolicyDocument } from "../defaults";

export interface MwaaPolicyArgs {
  region: string;
  account: string;
  environmentName: string;
  dagBucketArn: string;
  /** Secrets Manager name prefix of the connections and variables, like "airflow/pinpipe-dev/". */
  secretsPrefix: string;
  /** Key the secrets are encrypted with. */
  secretsKmsKeyArn: string;
}

/**
 * MWAA execution role, after AWS's documented execution-role policy with every wildcard action spelled out
 * and every resource narrowed: this environment's metrics, logs and Celery queues, its DAG bucket, and only
 * the secrets under its prefix. The three "*" resources are actions that have no resource type
 * (s3:GetAccountPublicAccessBlock, logs:DescribeLogGroups, cloudwatch:PutMetricData, the last limited to
 * MWAA's namespace).
 */
export function mwaaExecutionPolicy(a: MwaaPolicyArgs): PolicyDocument {
  const logGroups = `arn:aws:logs:${a.region}:${a.account}:log-group:airflow-${a.environmentName}-*`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "PublishEnvironmentMetrics",
        Effect: "Allow",
        Action: "airflow:PublishMetrics",
        Resource: `arn:aws:airflow:${a.region}:${a.account}:environment/${a.environmentName}`,
      },
      {
        Sid: "ReadDagBucket",
        Effect: "Allow",
        Action: [
          "s3:GetObject",
          "s3:GetObjectVersion",
          "s3:ListBucket",
          "s3:GetBucketLocation",
          "s3:GetBucketVersioning",
          "s3:GetBucketPublicAccessBlock",
          "s3:GetEncryptionConfiguration",
        ],
        Resource: [a.dagBucketArn, `${a.dagBucketArn}/*`],
      },
      {
        Sid: "CheckAccountPublicAccessBlock",
        Effect: "Allow",
        Action: "s3:GetAccountPublicAccessBlock",
        Resource: "*",
      },
      {
        Sid: "WriteEnvironmentLogs",
        Effect: "Allow",
        Action: [
          "logs:CreateLogStream",
          "logs:CreateLogGroup",
          "logs:PutLogEvents",
          "logs:GetLogEvents",
          "logs:GetLogRecord",
          "logs:GetLogGroupFields",
          "logs:GetQueryResults",
        ],
        Resource: [logGroups, `${logGroups}:log-stream:*`],
      },
      { Sid: "FindLogGroups", Effect: "Allow", Action: "logs:DescribeLogGroups", Resource: "*" },
      {
        Sid: "PublishMwaaMetrics",
        Effect: "Allow",
        Action: "cloudwatch:PutMetricData",
        Resource: "*",
        Condition: { StringEquals: { "cloudwatch:namespace": "AmazonMWAA" } },
      },
      {
        Sid: "UseCeleryQueues",
        Effect: "Allow",
        Action: [
          "sqs:ChangeMessageVisibility",
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
          "sqs:GetQueueUrl",
          "sqs:ReceiveMessage",
          "sqs:SendMessage",
        ],
        Resource: `arn:aws:sqs:${a.region}:*:airflow-celery-*`,
      },
      {
        // MWAA's Celery queues live in MWAA's account, encrypted with keys that are not this account's:
        // the execution role's documented statement, used only through SQS (mwaa-create-role.html), with
        // its `kms:GenerateDataKey*` narrowed to the one call SQS encryption makes.
        Sid: "UseCeleryQueueKeys",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey", "kms:Encrypt"],
        NotResource: `arn:aws:kms:*:${a.account}:key/*`,
        Condition: { StringLike: { "kms:ViaService": [`sqs.${a.region}.amazonaws.com`] } },
      },
      {
        Sid: "ReadPipelineSecrets",
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        Resource: `arn:aws:secretsmanager:${a.region}:${a.account}:secret:${a.secretsPrefix}*`,
      },
      {
        Sid: "DecryptPipelineSecrets",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: a.secretsKmsKeyArn,
        Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${a.region}.amazonaws.com` } },
      },
    ],
  };
}
