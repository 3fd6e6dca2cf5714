/**
 * Secure defaults in one place (after aws-solutions-constructs' *-defaults.ts), and the policy documents
 * the components attach. Everything here is a pure function of plain values, tested without mocks; the
 * components only wire these into resources.
 */

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | Record<string, string | string[]>;
  Action: string | string[];
  /** Absent only in trust policies, which name no resource, and beside NotResource. */
  Resource?: string | string[];
  /** Every resource but these (MWAA's documented statement for keys outside the account). */
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean | number>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** Tags every resource of the stack carries, merged under the user's own. */
export function standardTags(stack: string, userTags: Record<string, string> = {}): Record<string, string> {
  return { project: "pinterest-pipeline", stack, "managed-by": "pulumi", ...userTags };
}

/** Block every form of public access (S3 Block Public Access, all four settings). */
export const blockAllPublicAccess = {
  blockPublicAcls: true,
  blockPublicPolicy: true,
  ignorePublicAcls: true,
  restrictPublicBuckets: true,
} as const;

/** ACLs off: the bucket owner owns every object, access is by policy only. */
export const bucketOwnerEnforced = { rule: { objectOwnership: "BucketOwnerEnforced" } } as const;

/** Lowest TLS version any client of ours may use. */
export const MINIMUM_TLS_VERSION = "1.2";

/**
 * The bucket policy every bucket gets: deny any request not over TLS, and any over TLS older than 1.2.
 * `extra` statements (service grants) are appended after the denies.
 */
export function tlsOnlyBucketPolicy(bucketArn: string, extra: PolicyStatement[] = []): PolicyDocument {
  const resources = [bucketArn, `${bucketArn}/*`];
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: resources,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Sid: "DenyOutdatedTls",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: resources,
        Condition: { NumericLessThan: { "s3:TlsVersion": MINIMUM_TLS_VERSION } },
      },
      ...extra,
    ],
  };
}

/**
 * Lets S3 server access logging write into `logsBucketArn/prefix`, only on behalf of `sourceBucketArn`
 * in `accountId` (the confused-deputy conditions AWS documents for the logging service principal).
 */
export function accessLogDeliveryStatement(
  logsBucketArn: string,
  prefix: string,
  sourceBucketArn: string,
  accountId: string,
): PolicyStatement {
  return {
    Sid: "AllowS3ServerAccessLogDelivery",
    Effect: "Allow",
    Principal: { Service: "logging.s3.amazonaws.com" },
    Action: "s3:PutObject",
    Resource: `${logsBucketArn}/${prefix}*`,
    Condition: {
      ArnLike: { "aws:SourceArn": sourceBucketArn },
      StringEquals: { "aws:SourceAccount": accountId },
    },
  };
}

/**
 * Trust policy letting one AWS service assume a role, only for this account's resources, and, when given,
 * only for resources matching `sourceArnLike` (AWS's confused-deputy conditions).
 */
/**
 * Trust for a role a service assumes without saying on whose behalf: API Gateway sends neither
 * aws:SourceAccount nor aws:SourceArn when it assumes an integration's credentials role or the account's
 * CloudWatch role (docs/cloud-contracts.md, "Trust conditions"), so a condition on them would refuse it.
 */
export function unconditionalServiceTrustPolicy(service: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  };
}

export function serviceTrustPolicy(
  service: string,
  accountId: string,
  sourceArnLike?: string,
): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": accountId },
          ...(sourceArnLike ? { ArnLike: { "aws:SourceArn": sourceArnLike } } : {}),
        },
      },
    ],
  };
}

/**
 * What VPC flow logs need to write into one log group: its streams and events, nothing else.
 * (AWS's example also grants logs:CreateLogGroup and Describe* on "*"; the group already exists.)
 */
export function flowLogDeliveryPolicy(logGroupArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "WriteFlowLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: [logGroupArn, `${logGroupArn}:log-stream:*`],
      },
    ],
  };
}

/** Serialises a policy document the way IAM and S3 expect it. */
export function policyJson(doc: PolicyDocument): string {
  return JSON.stringify(doc);
}
