/**
 * The S3 bucket every bucket of ours is: public access blocked, ACLs off, versioned, encrypted by default,
 * with lifecycle rules. The caller attaches the bucket policy (tlsOnlyBucketPolicy plus its grants) and
 * makes it depend on `publicAccessBlock`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { blockAllPublicAccess, bucketOwnerEnforced } from "./defaults";
import { ParentOrOptions, resourceOptions } from "./moved";

export interface SecureBucketOptions {
  tags: Record<string, string>;
  /** Physical name prefix (a random suffix is added). Default: the logical name. */
  bucketPrefix?: string;
  /** Let `pulumi destroy` delete the bucket with objects in it (the lake's: config `lakeForceDestroy`). */
  forceDestroy: pulumi.Input<boolean>;
  encryption: aws.types.input.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefault;
  lifecycle: aws.types.input.s3.BucketLifecycleConfigurationRule[];
}

export function secureBucket(
  parent: ParentOrOptions,
  name: string,
  opts: SecureBucketOptions,
): {
  bucket: aws.s3.Bucket;
  publicAccessBlock: aws.s3.BucketPublicAccessBlock;
  /** Objects that need a version id (MWAA's requirements.txt) are written after this. */
  versioning: aws.s3.BucketVersioning;
} {
  const where = resourceOptions(parent);
  const bucket = new aws.s3.Bucket(
    name,
    {
      ...(opts.bucketPrefix ? { bucketPrefix: opts.bucketPrefix } : {}),
      forceDestroy: opts.forceDestroy,
      tags: opts.tags,
    },
    where,
  );
  const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
    name,
    { bucket: bucket.id, ...blockAllPublicAccess },
    where,
  );
  new aws.s3.BucketOwnershipControls(name, { bucket: bucket.id, ...bucketOwnerEnforced }, where);
  const versioning = new aws.s3.BucketVersioning(
    name,
    { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
    where,
  );
  new aws.s3.BucketServerSideEncryptionConfiguration(
    name,
    {
      bucket: bucket.id,
      rules: [
        {
          applyServerSideEncryptionByDefault: opts.encryption,
          bucketKeyEnabled: opts.encryption.sseAlgorithm === "aws:kms",
        },
      ],
    },
    where,
  );
  new aws.s3.BucketLifecycleConfiguration(name, { bucket: bucket.id, rules: opts.lifecycle }, where);
  return { bucket, publicAccessBlock, versioning };
}
