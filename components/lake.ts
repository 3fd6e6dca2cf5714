/**
 * Lake: the S3 data lake both paths land in, and the bucket its access logs go to.
 *
 * Layout of the lake bucket (docs/architecture.md): `topics/<topic>/partition=<p>/` raw JSON from the
 * Kafka S3 sink (expires after rawDataRetentionDays), `delta/` silver, gold and quarantine tables,
 * `checkpoints/` streaming checkpoints. Both buckets: versioned, encrypted (the lake with a customer-managed
 * KMS key, rotated yearly; the log bucket with SSE-S3, the only encryption S3 log delivery supports),
 * public access blocked, ACLs disabled, TLS 1.2+ only.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accessLogDeliveryStatement, PolicyDocument, policyJson, tlsOnlyBucketPolicy } from "./defaults";
import { KeyContext, lakeKeyPolicy, logsKeyPolicy, secretsKeyPolicy } from "./keyPolicies";
import { secureBucket } from "./secureBucket";

export interface LakeArgs {
  /** Days raw topic objects (`topics/`) are kept (config `rawDataRetentionDays`). */
  rawDataRetentionDays: pulumi.Input<number>;
  /** Move raw topic objects to STANDARD_IA after this many days. Default: never (no transition rule). */
  rawDataInfrequentAccessDays?: number;
  /** Let `pulumi destroy` delete non-empty buckets; only for disposable stacks (config `lakeForceDestroy`). */
  forceDestroy: pulumi.Input<boolean>;
  /** Tags for every resource. Default: none. */
  tags?: Record<string, string>;
}

/** Folder prefixes of the lake bucket, shared with the jobs and connectors that write them. */
export const LAKE_PREFIXES = {
  rawTopics: "topics/",
  delta: "delta/",
  checkpoints: "checkpoints/",
} as const;

const ACCESS_LOG_PREFIX = "lake-access/";

/** Days a replaced or deleted object version is kept: the window to undo an overwrite. Not a setting. */
export const NONCURRENT_VERSION_RETENTION_DAYS = 30;
/** Days S3 server access logs are kept: a year of who read the lake. Not a setting. */
export const ACCESS_LOG_RETENTION_DAYS = 365;

/** Lifecycle rules of the lake bucket. Pure, so the rules are tested on their own. */
export function lakeLifecycleRules(
  rawDataRetentionDays: pulumi.Input<number>,
  noncurrentVersionRetentionDays: pulumi.Input<number>,
  rawDataInfrequentAccessDays?: number,
): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
  return [
    {
      id: "expire-raw-topics",
      status: "Enabled",
      filter: { prefix: LAKE_PREFIXES.rawTopics },
      expiration: { days: rawDataRetentionDays },
      ...(rawDataInfrequentAccessDays === undefined
        ? {}
        : { transitions: [{ days: rawDataInfrequentAccessDays, storageClass: "STANDARD_IA" }] }),
    },
    {
      id: "expire-noncurrent-versions",
      status: "Enabled",
      filter: {},
      noncurrentVersionExpiration: { noncurrentDays: noncurrentVersionRetentionDays },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
    },
  ];
}

export class Lake extends pulumi.ComponentResource {
  public readonly bucketName: pulumi.Output<string>;
  public readonly bucketArn: pulumi.Output<string>;
  /** KMS key encrypting the lake; readers and writers need kms:Decrypt / kms:GenerateDataKey on it. */
  public readonly kmsKeyArn: pulumi.Output<string>;
  public readonly accessLogBucketName: pulumi.Output<string>;
  /** KMS key of the stack's log groups (CloudWatch Logs uses it for this account's log groups here). */
  public readonly logsKmsKeyArn: pulumi.Output<string>;
  /** KMS key of the stack's secrets, usable through Secrets Manager only. */
  public readonly secretsKmsKeyArn: pulumi.Output<string>;
  /** The lake bucket and the three keys themselves. */
  public readonly bucket: aws.s3.Bucket;
  public readonly keys: { lake: aws.kms.Key; logs: aws.kms.Key; secrets: aws.kms.Key };

  constructor(name: string, args: LakeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pinterest-pipeline:storage:Lake", name, {}, opts);
    const tags = args.tags ?? {};
    const identity = aws.getCallerIdentityOutput({}, { parent: this });

    const context = pulumi
      .all([
        identity.accountId,
        aws.getRegionOutput({}, { parent: this }).region,
        aws.getPartitionOutput({}, { parent: this }).partition,
      ])
      .apply(([accountId, region, partition]): KeyContext => ({ accountId, region, partition }));
    // One key per kind of data, each with an explicit policy (components/keyPolicies.ts).
    const newKey = (suffix: string, description: string, policy: (c: KeyContext) => PolicyDocument) => {
      const k = new aws.kms.Key(
        `${name}-${suffix}`,
        {
          description,
          enableKeyRotation: true,
          deletionWindowInDays: 30,
          policy: context.apply((c) => policyJson(policy(c))),
          tags,
        },
        { parent: this },
      );
      new aws.kms.Alias(
        `${name}-${suffix}`,
        { name: `alias/${name}-${suffix}`, targetKeyId: k.keyId },
        { parent: this },
      );
      return k;
    };
    const key = newKey("lake", `Encrypts the ${name} data lake`, lakeKeyPolicy);
    const logsKey = newKey("logs", `Encrypts the ${name} log groups`, logsKeyPolicy);
    const secretsKey = newKey("secrets", `Encrypts the ${name} secrets`, secretsKeyPolicy);

    const logs = secureBucket(this, `${name}-access-logs`, {
      tags,
      forceDestroy: args.forceDestroy,
      encryption: { sseAlgorithm: "AES256" },
      lifecycle: [
        {
          id: "expire-access-logs",
          status: "Enabled",
          filter: {},
          expiration: { days: ACCESS_LOG_RETENTION_DAYS },
          noncurrentVersionExpiration: { noncurrentDays: 7 },
        },
      ],
    });
    const lake = secureBucket(this, `${name}-lake`, {
      tags,
      forceDestroy: args.forceDestroy,
      encryption: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn },
      lifecycle: lakeLifecycleRules(
        args.rawDataRetentionDays,
        NONCURRENT_VERSION_RETENTION_DAYS,
        args.rawDataInfrequentAccessDays,
      ),
    });

    new aws.s3.BucketPolicy(
      `${name}-access-logs`,
      {
        bucket: logs.bucket.id,
        policy: pulumi
          .all([logs.bucket.arn, lake.bucket.arn, identity.accountId])
          .apply(([logsArn, lakeArn, accountId]) =>
            policyJson(
              tlsOnlyBucketPolicy(logsArn, [
                accessLogDeliveryStatement(logsArn, ACCESS_LOG_PREFIX, lakeArn, accountId),
              ]),
            ),
          ),
      },
      { parent: this, dependsOn: [logs.publicAccessBlock] },
    );
    new aws.s3.BucketPolicy(
      `${name}-lake`,
      {
        bucket: lake.bucket.id,
        policy: lake.bucket.arn.apply((arn) => policyJson(tlsOnlyBucketPolicy(arn))),
      },
      { parent: this, dependsOn: [lake.publicAccessBlock] },
    );
    new aws.s3.BucketLogging(
      `${name}-lake`,
      { bucket: lake.bucket.id, targetBucket: logs.bucket.id, targetPrefix: ACCESS_LOG_PREFIX },
      { parent: this },
    );

    this.bucket = lake.bucket;
    this.keys = { lake: key, logs: logsKey, secrets: secretsKey };
    this.bucketName = lake.bucket.bucket;
    this.bucketArn = lake.bucket.arn;
    this.kmsKeyArn = key.arn;
    this.logsKmsKeyArn = logsKey.arn;
    this.secretsKmsKeyArn = secretsKey.arn;
    this.accessLogBucketName = logs.bucket.bucket;
    this.registerOutputs({
      bucketName: this.bucketName,
      bucketArn: this.bucketArn,
      kmsKeyArn: this.kmsKeyArn,
      logsKmsKeyArn: this.logsKmsKeyArn,
      secretsKmsKeyArn: this.secretsKmsKeyArn,
      accessLogBucketName: this.accessLogBucketName,
    });
  }
}
