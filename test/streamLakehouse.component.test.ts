/**
 * StreamLakehouse under Pulumi mocks: a continuous Databricks job running the stream notebook on an
 * on-demand job cluster, its parameters (streams, checkpoint and tables in the lake), and an instance profile
 * that reads exactly the three streams and writes only the stream's prefixes. The job's behaviour is tested
 * for real against kinesis-local in test/python/test_stream.py.
 */
import { streamNames } from "../components/names";
import { strict as assert } from "node:assert";
import { PolicyDocument } from "../components/defaults";
import { clusterSatisfiesPolicy, JobCode } from "../components/databricksJobs";
import { OptionsRecorder } from "./fixtures/options";
import {
  kinesisReadStatements,
  StreamLakehouse,
  StreamLakehouseArgs,
  validateStreamLakehouseArgs,
} from "../components/streamLakehouse";
import { installMocks, parseJson, promiseOf, RecordedResource, RecordingMocks, settle } from "../synth/mocks";
import { STREAM_LAKEHOUSE_SETTINGS } from "./fixtures/settings";

const KEY = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555";
const STREAMS = ["pin", "geo", "user"].map((k) => `arn:aws:kinesis:eu-west-1:123456789012:stream/pp-${k}`);

type Args = Omit<StreamLakehouseArgs, "code">;
const ARGS: Args = {
  namePrefix: "pp",
  streams: streamNames("pp"),
  streamArns: STREAMS,
  streamKmsKeyArn: KEY,
  lakeBucketName: "pp-lake",
  lakeBucketArn: "arn:aws:s3:::pp-lake",
  kmsKeyArn: KEY,
  region: "eu-west-1",
  sparkVersion: "17.3.x-scala2.13",
  ...STREAM_LAKEHOUSE_SETTINGS,
  workers: 2,
  trigger: "5s",
  qualityPolicy: { "age.out_of_range": "drop" },
  alertEmail: "oncall@example.com",
};

function one(mocks: RecordingMocks, type: string, name?: string): RecordedResource {
  const found = mocks.ofType(type).filter((r) => name === undefined || r.name === name);
  assert.equal(found.length, 1, `expected one ${type} ${name ?? ""}, found ${found.length}`);
  return found[0];
}

describe("StreamLakehouse (mocks)", () => {
  let mocks: RecordingMocks;
  let stream: StreamLakehouse;
  const recorder = new OptionsRecorder();
  before(async () => {
    mocks = await installMocks();
    const code = new JobCode("pp", {
      namePrefix: "pp",
      databricksAccountId: "0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d",
    });
    stream = new StreamLakehouse("pp", { ...ARGS, code }, { transformations: [recorder.transformation] });
    await promiseOf(stream.jobId);
    await settle(mocks);
  });

  function own(): RecordedResource[] {
    const component = mocks.resources.find((r) => r.type === "pinterest-pipeline:lakehouse:StreamLakehouse")!;
    return mocks.resources.filter((r) => r.parent === component.urn);
  }

  it("creates exactly the expected resources", () => {
    const counts: Record<string, number> = {};
    for (const r of own()) counts[r.type] = (counts[r.type] ?? 0) + 1;
    assert.deepEqual(counts, {
      "aws:iam/role:Role": 1,
      "aws:iam/rolePolicy:RolePolicy": 1,
      "aws:iam/instanceProfile:InstanceProfile": 1,
      "databricks:index/instanceProfile:InstanceProfile": 1,
      "databricks:index/servicePrincipalRole:ServicePrincipalRole": 1,
      "databricks:index/job:Job": 1,
      "databricks:index/clusterPolicy:ClusterPolicy": 1,
      "databricks:index/permissions:Permissions": 1,
    });
  });

  it("runs the stream notebook continuously on an on-demand cluster, with checkpoints and tables in the lake", async () => {
    const job = one(mocks, "databricks:index/job:Job", "pp-stream");
    assert.deepEqual(job.inputs.continuous, { pauseStatus: "UNPAUSED", taskRetryMode: "ON_FAILURE" });
    assert.equal(job.inputs.maxConcurrentRuns, 1);
    assert.deepEqual(job.inputs.emailNotifications, { onFailures: ["oncall@example.com"] });
    const [cluster] = job.inputs.jobClusters as Array<{ newCluster: Record<string, unknown> }>;
    assert.equal(cluster.newCluster.sparkVersion, "17.3.x-scala2.13");
    assert.equal(cluster.newCluster.numWorkers, 2);
    const aws = cluster.newCluster.awsAttributes as Record<string, unknown>;
    assert.equal(aws.availability, "ON_DEMAND");
    assert.equal(aws.instanceProfileArn, one(mocks, "aws:iam/instanceProfile:InstanceProfile").state.arn);
    const [task] = job.inputs.tasks as Array<{ notebookTask: Record<string, unknown> }>;
    assert.deepEqual(task.notebookTask, {
      notebookPath: "/Shared/pp/stream",
      source: "WORKSPACE",
      baseParameters: {
        streams: '{"pin":"pp-pin","geo":"pp-geo","user":"pp-user"}',
        region: "eu-west-1",
        out: "s3://pp-lake/delta/stream",
        checkpoint: "s3://pp-lake/checkpoints/stream",
        trigger: "5s",
        quality_policy: JSON.stringify({
          "follower_count.not_a_count": "null",
          "latitude.out_of_range": "null",
          "longitude.out_of_range": "null",
          "timestamp.not_a_datetime": "null",
          "age.out_of_range": "drop",
          "date_joined.not_a_datetime": "null",
        }),
      },
    });
    const runner = one(mocks, "databricks:index/servicePrincipal:ServicePrincipal", "pp-stream-runner");
    assert.deepEqual(job.inputs.runAs, { servicePrincipalName: runner.state.applicationId });
    const policy = one(mocks, "databricks:index/clusterPolicy:ClusterPolicy");
    assert.equal(cluster.newCluster.policyId, policy.id);
    assert.deepEqual(
      clusterSatisfiesPolicy(
        cluster.newCluster,
        JSON.parse(String(policy.inputs.definition)) as Record<string, Record<string, unknown>>,
      ),
      [],
    );
    assert.deepEqual(await promiseOf(stream.tables), {
      pin: "s3://pp-lake/delta/stream/pin",
      geo: "s3://pp-lake/delta/stream/geo",
      user: "s3://pp-lake/delta/stream/user",
      quarantine: "s3://pp-lake/delta/stream/quarantine",
    });
  });

  it("starts the continuous job only once its run-as principal may read the code and use the profile", async () => {
    // A continuous job starts as soon as it is created, as the runner service principal.
    const urns = await recorder.dependsOn("databricks:index/job:Job", "pp-stream");
    for (const needed of [
      "databricks:index/notebook:Notebook::pp-stream",
      "databricks:index/permissions:Permissions::pp-code",
      // The deployer's right to set run_as to the runner: the Jobs API refuses the job without it.
      "databricks:index/accessControlRuleSet:AccessControlRuleSet::pp-stream-runner",
      "databricks:index/servicePrincipalRole:ServicePrincipalRole::pp-stream",
      "databricks:index/permissions:Permissions::pp-stream",
    ]) {
      assert.ok(
        urns.some((u) => u.endsWith(needed)),
        `${needed} in: ${urns.join(", ")}`,
      );
    }
  });

  it("reads exactly the three streams, read-only, and writes only the stream's prefixes of the lake", () => {
    const policy = parseJson<PolicyDocument>(
      one(mocks, "aws:iam/rolePolicy:RolePolicy", "pp-stream").inputs.policy,
    );
    const kinesis = policy.Statement.filter((s) => [s.Action].flat().some((a) => a.startsWith("kinesis:")));
    assert.deepEqual(kinesis, [kinesisReadStatements(STREAMS, KEY)[0]]);
    const actions = policy.Statement.flatMap((s) => [s.Action].flat());
    assert.ok(!actions.some((a) => a.includes("*")), "no wildcard actions");
    assert.ok(
      !actions.some((a) => /kinesis:(Put|Create|Delete|Update|Merge|Split)/.test(a)),
      "read-only on Kinesis",
    );
    const resources = policy.Statement.flatMap((s) => [s.Resource ?? []].flat());
    const s3Objects = resources.filter((r) => r.startsWith("arn:aws:s3:::pp-lake/"));
    assert.deepEqual(s3Objects.sort(), [
      "arn:aws:s3:::pp-lake/checkpoints/stream/*",
      "arn:aws:s3:::pp-lake/delta/stream/*",
    ]);
    for (const r of resources) {
      assert.ok(STREAMS.includes(r) || r === KEY || r.startsWith("arn:aws:s3:::pp-lake"), r);
    }
  });

  it("rejects a trigger that is not an interval, and a bad worker count", () => {
    assert.throws(
      () => validateStreamLakehouseArgs({ ...ARGS, trigger: "often" }),
      /trigger must be an interval/,
    );
    assert.throws(
      () => validateStreamLakehouseArgs({ ...ARGS, trigger: "available-now" }),
      /got 'available-now'/,
    );
    assert.throws(() => validateStreamLakehouseArgs({ ...ARGS, workers: 0 }), /workers must be >= 1, got 0/);
    assert.doesNotThrow(() => validateStreamLakehouseArgs({ ...ARGS, trigger: "500ms" }));
  });
});
