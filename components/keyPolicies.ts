/**
 * The stack's KMS key policies, as pure functions (tested without mocks). Every key has an explicit policy:
 * the account administers it (no `kms:*`, no grants), and principals of the account may use it only through
 * the services that key is for (`kms:ViaService`, with `kms:CallerAccount`), so an IAM grant alone, or a
 * grant used outside those services, opens nothing. Services that encrypt on their own behalf get a
 * statement scoped to their encryption context. Sources: https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html,
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html (docs/cloud-contracts.md).
 */
import { PolicyDocument, PolicyStatement } from "./defaults";

/** What administering a key takes. Not CreateGrant: a grant is a way to use the key. */
export const KEY_ADMIN_ACTIONS = [
  "kms:CancelKeyDeletion",
  "kms:CreateAlias",
  "kms:DeleteAlias",
  "kms:DescribeKey",
  "kms:DisableKey",
  "kms:DisableKeyRotation",
  "kms:EnableKey",
  "kms:EnableKeyRotation",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:ListAliases",
  "kms:ListGrants",
  "kms:ListKeyPolicies",
  "kms:ListResourceTags",
  "kms:PutKeyPolicy",
  "kms:RetireGrant",
  "kms:RevokeGrant",
  "kms:ScheduleKeyDeletion",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:UpdateAlias",
  "kms:UpdateKeyDescription",
];

/** Encrypting and decrypting data keys, named (no `kms:GenerateDataKey*`). */
export const KEY_USE_ACTIONS = [
  "kms:Decrypt",
  "kms:DescribeKey",
  "kms:Encrypt",
  "kms:GenerateDataKey",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
];

export interface KeyContext {
  accountId: string;
  region: string;
  partition?: string;
}

/** The commercial partition: a key context's when it names none. */
export const AWS_PARTITION = "aws";

const root = (c: KeyContext) => ({ AWS: `arn:${c.partition ?? AWS_PARTITION}:iam::${c.accountId}:root` });

/** The account administers the key; without this statement the key could become unmanageable. */
export function keyAdminStatement(c: KeyContext): PolicyStatement {
  return {
    Sid: "AccountAdministersKey",
    Effect: "Allow",
    Principal: root(c),
    Action: KEY_ADMIN_ACTIONS,
    Resource: "*",
  };
}

/** Principals of the account (with IAM grants) may use the key through `services` only. */
function useThroughServices(c: KeyContext, sid: string, services: string[]): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Principal: root(c),
    Action: KEY_USE_ACTIONS,
    Resource: "*",
    Condition: {
      StringEquals: {
        "kms:CallerAccount": c.accountId,
        "kms:ViaService": services.map((s) => `${s}.${c.region}.amazonaws.com`),
      },
    },
  };
}

/** The lake's key: S3 (the lake bucket), Kinesis (the streams) and MSK (brokers' storage). */
export function lakeKeyPolicy(c: KeyContext): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      keyAdminStatement(c),
      useThroughServices(c, "UseThroughLakeServices", ["s3", "kinesis", "kafka"]),
      {
        // MSK encrypts broker storage through a grant it creates while the cluster is made.
        Sid: "MskCreatesGrantsForItsBrokers",
        Effect: "Allow",
        Principal: root(c),
        Action: "kms:CreateGrant",
        Resource: "*",
        Condition: {
          StringEquals: {
            "kms:CallerAccount": c.accountId,
            "kms:ViaService": `kafka.${c.region}.amazonaws.com`,
          },
          Bool: { "kms:GrantIsForAWSResource": true },
        },
      },
    ],
  };
}

/** The secrets' key: Secrets Manager only. */
export function secretsKeyPolicy(c: KeyContext): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [keyAdminStatement(c), useThroughServices(c, "UseThroughSecretsManager", ["secretsmanager"])],
  };
}

/** The logs' key: CloudWatch Logs encrypts the account's log groups in this region with it. */
export function logsKeyPolicy(c: KeyContext): PolicyDocument {
  const partition = c.partition ?? AWS_PARTITION;
  return {
    Version: "2012-10-17",
    Statement: [
      keyAdminStatement(c),
      {
        Sid: "CloudWatchLogsEncryptsLogGroups",
        Effect: "Allow",
        Principal: { Service: `logs.${c.region}.amazonaws.com` },
        // Not DescribeKey: it takes no encryption context, so under this condition it could never be allowed.
        Action: KEY_USE_ACTIONS.filter((a) => a !== "kms:DescribeKey"),
        Resource: "*",
        Condition: {
          ArnLike: {
            "kms:EncryptionContext:aws:logs:arn": `arn:${partition}:logs:${c.region}:${c.accountId}:log-group:*`,
          },
        },
      },
    ],
  };
}
