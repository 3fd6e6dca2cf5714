/**
 * Lake under Pulumi mocks: the security-relevant inputs of both buckets and the KMS key. What mocks cannot
 * prove: that S3 accepts the policies (principal validation happens at deploy), or that log delivery works.
 */
import { strict as assert } from "node:assert";
import { PolicyDocument } from "../components/defaults";
import { Lake, lakeLifecycleRules } from "../components/lake";
import { installMocks, parseJson, promiseOf, RecordedResource, RecordingMocks, settle } from "../synth/mocks";
import { LAKE_SETTINGS } from "./fixtures/settings";

async function render(build: () => Lake[]): Promise<RecordingMocks> {
  const mocks = await installMocks();
  const lakes = build();
  await Promise.all(lakes.map((l) => promiseOf(l.bucketArn)));
  return settle(mocks);
}

const forBucket = (mocks: RecordingMocks, type: string, bucket: RecordedResource) => {
  const found = mocks.ofType(type).filter((r) => r.inputs.bucket === bucket.id);
  assert.equal(found.length, 1, `exactly one ${type} for ${bucket.name}`);
  return found[0];
};

describe("Lake", () => {
  it("creates two buckets with every protection and three rotated KMS keys (lake, logs, secrets), 21 resources in all", async () => {
    const mocks = await render(() => [new Lake("lake", LAKE_SETTINGS)]);
    assert.equal(mocks.resources.filter((r) => r.custom).length, 21);
    // One key per kind of data, each with an explicit policy (components/keyPolicies.ts, test/keyPolicies.test.ts).
    const keys = mocks.ofType("aws:kms/key:Key");
    assert.deepEqual(keys.map((k) => k.name).sort(), ["lake-lake", "lake-logs", "lake-secrets"]);
    for (const k of keys) {
      assert.equal(k.inputs.enableKeyRotation, true);
      const policy = parseJson<PolicyDocument>(k.inputs.policy);
      assert.equal(policy.Statement[0].Sid, "AccountAdministersKey");
    }
    assert.match(
      JSON.stringify(parseJson(keys.find((k) => k.name === "lake-secrets")!.inputs.policy)),
      /secretsmanager\.eu-west-1\.amazonaws\.com/,
    );
    const buckets = mocks.ofType("aws:s3/bucket:Bucket");
    assert.deepEqual(buckets.map((b) => b.name).sort(), ["lake-access-logs", "lake-lake"]);
    for (const bucket of buckets) {
      assert.equal(bucket.inputs.forceDestroy, false);
      const pab = forBucket(mocks, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", bucket);
      for (const flag of [
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
      ]) {
        assert.equal(pab.inputs[flag], true, `${bucket.name} ${flag}`);
      }
      const versioning = forBucket(mocks, "aws:s3/bucketVersioning:BucketVersioning", bucket);
      assert.deepEqual(versioning.inputs.versioningConfiguration, { status: "Enabled" });
      const ownership = forBucket(mocks, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", bucket);
      assert.deepEqual(ownership.inputs.rule, { objectOwnership: "BucketOwnerEnforced" });
      const policy = parseJson<PolicyDocument>(
        forBucket(mocks, "aws:s3/bucketPolicy:BucketPolicy", bucket).inputs.policy,
      );
      const arn = bucket.state.arn as string;
      assert.deepEqual(policy.Statement.slice(0, 2), [
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [arn, `${arn}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
        {
          Sid: "DenyOutdatedTls",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [arn, `${arn}/*`],
          Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } },
        },
      ]);
      for (const statement of policy.Statement.filter((s) => s.Effect === "Allow")) {
        assert.ok(!String(statement.Action).includes("*"), "no wildcard in an Allow");
      }
    }
    const key = mocks.ofType("aws:kms/key:Key")[0];
    assert.equal(key.inputs.enableKeyRotation, true);
    assert.equal(mocks.ofType("aws:kms/alias:Alias")[0].inputs.name, "alias/lake-lake");
  });

  it("encrypts the lake with the KMS key and the log bucket with SSE-S3", async () => {
    const mocks = await render(() => [new Lake("lake", LAKE_SETTINGS)]);
    const [logs, lake] = ["lake-access-logs", "lake-lake"].map((n) =>
      mocks.ofType("aws:s3/bucket:Bucket").find((b) => b.name === n)!,
    );
    const keyArn = mocks.ofType("aws:kms/key:Key")[0].state.arn;
    const sse = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration";
    assert.deepEqual(forBucket(mocks, sse, lake).inputs.rules, [
      {
        applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: keyArn },
        bucketKeyEnabled: true,
      },
    ]);
    assert.deepEqual(forBucket(mocks, sse, logs).inputs.rules, [
      { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: false },
    ]);
  });

  it("lets only S3 log delivery for this lake and account write access logs", async () => {
    const mocks = await render(() => [new Lake("lake", LAKE_SETTINGS)]);
    const [logs, lake] = ["lake-access-logs", "lake-lake"].map((n) =>
      mocks.ofType("aws:s3/bucket:Bucket").find((b) => b.name === n)!,
    );
    const policy = parseJson<PolicyDocument>(
      forBucket(mocks, "aws:s3/bucketPolicy:BucketPolicy", logs).inputs.policy,
    );
    assert.deepEqual(policy.Statement[2], {
      Sid: "AllowS3ServerAccessLogDelivery",
      Effect: "Allow",
      Principal: { Service: "logging.s3.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: `${String(logs.state.arn)}/lake-access/*`,
      Condition: {
        ArnLike: { "aws:SourceArn": lake.state.arn },
        StringEquals: { "aws:SourceAccount": "123456789012" },
      },
    });
    const logging = forBucket(mocks, "aws:s3/bucketLogging:BucketLogging", lake);
    assert.equal(logging.inputs.targetBucket, logs.id);
    assert.equal(logging.inputs.targetPrefix, "lake-access/");
  });

  it("expires raw topics after the configured days and optionally tiers them", () => {
    const [raw, noncurrent] = lakeLifecycleRules(45, 10, 30);
    assert.deepEqual(raw, {
      id: "expire-raw-topics",
      status: "Enabled",
      filter: { prefix: "topics/" },
      expiration: { days: 45 },
      transitions: [{ days: 30, storageClass: "STANDARD_IA" }],
    });
    assert.deepEqual(noncurrent.noncurrentVersionExpiration, { noncurrentDays: 10 });
    assert.equal(lakeLifecycleRules(45, 10)[0].transitions, undefined);
  });

  it("lets two lakes live in one stack without name clashes", async () => {
    const mocks = await render(() => [
      new Lake("a", { ...LAKE_SETTINGS, forceDestroy: true }),
      new Lake("b", LAKE_SETTINGS),
    ]);
    assert.equal(mocks.resources.filter((r) => r.custom).length, 42);
    const names = mocks.ofType("aws:s3/bucket:Bucket").map((b) => b.id);
    assert.equal(new Set(names).size, 4);
    assert.deepEqual(
      mocks
        .ofType("aws:kms/alias:Alias")
        .map((a) => a.inputs.name)
        .sort(),
      ["alias/a-lake", "alias/a-logs", "alias/a-secrets", "alias/b-lake", "alias/b-logs", "alias/b-secrets"],
    );
    const forceDestroy = mocks.ofType("aws:s3/bucket:Bucket").filter((b) => b.inputs.forceDestroy === true);
    assert.deepEqual(forceDestroy.map((b) => b.name).sort(), ["a-access-logs", "a-lake"]);
  });
});
