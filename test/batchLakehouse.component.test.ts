/**
 * BatchLakehouse under Pulumi mocks: the workspace upload, the Databricks job (runtime, size, retries,
 * failure email, instance profile, run-as principal), IAM scope, MWAA (version, private webserver, DAG
 * bucket, requirements, secrets backend), the Secrets Manager entries Airflow reads (the job id the DAG
 * uses, the connection as a Pulumi secret), and no access keys anywhere. What mocks cannot prove: that
 * Databricks and MWAA accept these inputs; the DAG and the job's code are tested for real in test/python.
 */
import { topicNames } from "../components/names";
import { strict as assert } from "node:assert";
import { OptionsRecorder } from "./fixtures/options";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  airflowSecretNames,
  BATCH_DAG,
  BatchLakehouse,
  BatchLakehouseArgs,
  databricksConnectionJson,
  JOB_ID_VARIABLE,
  MWAA_REQUIREMENTS,
  validateBatchLakehouseArgs,
} from "../components/batchLakehouse";
import { mwaaExecutionPolicy } from "../components/batchLakehouse/policies";
import {
  clusterSatisfiesPolicy,
  JobCode,
  JOBS_PACKAGE_DIR,
  lakeJobStatements,
} from "../components/databricksJobs";
import { PolicyDocument, PolicyStatement } from "../components/defaults";
import { QUALITY_RULE_IDS } from "../components/quality";
import {
  installMocks,
  MOCK_DATABRICKS_HOST,
  parseJson,
  promiseOf,
  RecordedResource,
  RecordingMocks,
  settle,
} from "../synth/mocks";
import { BATCH_LAKEHOUSE_SETTINGS, MWAA_SETTINGS } from "./fixtures/settings";
import { assertSplitWithAliases } from "./fixtures/moved";

const KEY = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555";
const LAKE_ARN = "arn:aws:s3:::pp-lake";
const ACCOUNT_ID = "0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d";
const SECRETS_KEY = "arn:aws:kms:eu-west-1:123456789012:key/secrets-key";

type Args = Omit<BatchLakehouseArgs, "code">;

function baseArgs(overrides: Partial<Args> = {}): Args {
  return {
    namePrefix: "pp",
    lakeBucketName: "pp-lake",
    lakeBucketArn: LAKE_ARN,
    kmsKeyArn: KEY,
    secretsKmsKeyArn: SECRETS_KEY,
    topics: topicNames("pp"),
    qualityPolicy: {},
    sparkVersion: "17.3.x-scala2.13",
    ...BATCH_LAKEHOUSE_SETTINGS,
    nodeType: "m5d.xlarge",
    workers: 3,
    maxRetries: 2,
    alertEmail: "oncall@example.com",
    databricksCrossAccountRoleName: "databricks-cross-account",
    airflow: {
      mode: "create",
      version: "2.10.3",
      ...MWAA_SETTINGS,
      webserverAccess: "private",
      vpcId: "vpc-0123456789abcdef0",
      subnetIds: ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
    },
    ...overrides,
  };
}

const recorder = new OptionsRecorder();

async function render(args: Args): Promise<{ mocks: RecordingMocks; batch: BatchLakehouse }> {
  const mocks = await installMocks();
  const code = new JobCode("pp", { namePrefix: args.namePrefix, databricksAccountId: ACCOUNT_ID });
  const batch = new BatchLakehouse("pp", { ...args, code }, { transformations: [recorder.transformation] });
  await Promise.all([promiseOf(batch.jobId), promiseOf(batch.airflowEnvironmentName)]);
  return { mocks: await settle(mocks), batch };
}

function one(mocks: RecordingMocks, type: string, name?: string): RecordedResource {
  const found = mocks.ofType(type).filter((r) => name === undefined || r.name === name);
  assert.equal(found.length, 1, `expected one ${type} ${name ?? ""}, found ${found.length}`);
  return found[0];
}

/** The plain value inside a secret as the mock monitor hands it over (state keeps it; inputs are masked). */
function reveal(value: unknown): unknown {
  if (value !== null && typeof value === "object" && "value" in value) return value.value;
  return value;
}

function actionsOf(doc: PolicyDocument): string[] {
  return doc.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

describe("BatchLakehouse (mocks)", () => {
  let mocks: RecordingMocks;
  let batch: BatchLakehouse;
  before(async () => {
    ({ mocks, batch } = await render(baseArgs()));
  });

  it("creates exactly the expected resources", () => {
    const counts: Record<string, number> = {};
    for (const r of mocks.resources.filter((x) => x.custom)) counts[r.type] = (counts[r.type] ?? 0) + 1;
    const packageFiles = fs.readdirSync(JOBS_PACKAGE_DIR).filter((f) => f.endsWith(".py")).length;
    assert.deepEqual(counts, {
      "aws:iam/role:Role": 2,
      "aws:iam/rolePolicy:RolePolicy": 3,
      "aws:iam/instanceProfile:InstanceProfile": 1,
      "databricks:index/instanceProfile:InstanceProfile": 1,
      "databricks:index/directory:Directory": 1,
      "databricks:index/workspaceFile:WorkspaceFile": packageFiles,
      "databricks:index/notebook:Notebook": 2,
      "databricks:index/servicePrincipal:ServicePrincipal": 3,
      "databricks:index/clusterPolicy:ClusterPolicy": 1,
      "databricks:index/accessControlRuleSet:AccessControlRuleSet": 2,
      "databricks:index/servicePrincipalRole:ServicePrincipalRole": 1,
      "databricks:index/servicePrincipalSecret:ServicePrincipalSecret": 1,
      "databricks:index/permissions:Permissions": 3,
      "databricks:index/job:Job": 1,
      "aws:secretsmanager/secret:Secret": 2,
      "aws:secretsmanager/secretVersion:SecretVersion": 2,
      "aws:s3/bucket:Bucket": 1,
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 1,
      "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 1,
      "aws:s3/bucketVersioning:BucketVersioning": 1,
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 1,
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 1,
      "aws:s3/bucketPolicy:BucketPolicy": 1,
      "aws:s3/bucketObjectv2:BucketObjectv2": 2,
      "aws:ec2/securityGroup:SecurityGroup": 1,
      "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": 1,
      "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": 2,
      "aws:mwaa/environment:Environment": 1,
    });
  });

  it("holds its resources in three children at its seams, each aliased to the URN it had before the split", () => {
    assertSplitWithAliases(
      mocks,
      { type: "pinterest-pipeline:lakehouse:BatchLakehouse", name: "pp" },
      [
        "pinterest-pipeline:lakehouse:DatabricksBatchJob",
        "pinterest-pipeline:lakehouse:AirflowSecrets",
        "pinterest-pipeline:lakehouse:AirflowEnvironment",
      ],
      // The cluster policy's grant took the job grant's URN (fcf68d6), which the engine refuses: no stack holds
      // it under that URN, and the job's grant claims it.
      ["databricks:index/permissions:Permissions::pp-batch"],
      // The job's grant to Airflow, renamed from `pp-batch`: a deployed stack holds it under that URN.
      { "pp-batch-run": "pp-batch" },
    );
    const grants = mocks.ofType("databricks:index/permissions:Permissions");
    const jobGrant = grants.find((r) => r.name === "pp-batch-run")!;
    assert.ok(jobGrant.inputs.jobId, "the old URN is answered by the job's grant");
    assert.deepEqual(jobGrant.options.aliases, [
      "urn:pulumi:test::pinterest-pipeline::pinterest-pipeline:lakehouse:BatchLakehouse$databricks:index/permissions:Permissions::pp-batch",
    ]);
    const policyGrant = grants.find((r) => r.name === "pp-batch")!;
    assert.ok(policyGrant.inputs.clusterPolicyId);
    assert.equal(policyGrant.options.aliases, undefined);
  });

  it("uploads every module of jobs/ and the notebooks side by side, so the notebooks import the package", () => {
    const files = mocks.ofType("databricks:index/workspaceFile:WorkspaceFile");
    const expected = fs
      .readdirSync(JOBS_PACKAGE_DIR)
      .filter((f) => f.endsWith(".py"))
      .map((f) => `/Shared/pp/pinterest_jobs/${f}`)
      .sort();
    assert.deepEqual(files.map((f) => f.inputs.path).sort(), expected);
    for (const f of files) {
      assert.equal(f.inputs.source, path.join(JOBS_PACKAGE_DIR, path.basename(String(f.inputs.path))));
    }
    const notebook = one(mocks, "databricks:index/notebook:Notebook", "pp-batch");
    assert.equal(notebook.inputs.path, "/Shared/pp/batch");
    assert.equal(
      one(mocks, "databricks:index/notebook:Notebook", "pp-stream").inputs.path,
      "/Shared/pp/stream",
    );
    assert.equal(notebook.inputs.language, "PYTHON");
    assert.match(
      fs.readFileSync(String(notebook.inputs.source), "utf8"),
      /from pinterest_jobs\.batch import main/,
    );
  });

  it("runs the notebook on a job cluster at the pinned runtime, sized, retried, alerting, with the instance profile", async () => {
    const job = one(mocks, "databricks:index/job:Job");
    const cluster = (
      job.inputs.jobClusters as Array<{ jobClusterKey: string; newCluster: Record<string, unknown> }>
    )[0];
    assert.equal(cluster.newCluster.sparkVersion, "17.3.x-scala2.13");
    assert.equal(cluster.newCluster.nodeTypeId, "m5d.xlarge");
    assert.equal(cluster.newCluster.numWorkers, 3);
    assert.equal(cluster.newCluster.enableLocalDiskEncryption, true);
    const profile = one(mocks, "aws:iam/instanceProfile:InstanceProfile");
    const profileArn = String(profile.state.arn);
    assert.equal(
      (cluster.newCluster.awsAttributes as Record<string, unknown>).instanceProfileArn,
      profileArn,
    );
    const [task] = job.inputs.tasks as Array<Record<string, unknown>>;
    assert.equal(task.jobClusterKey, cluster.jobClusterKey);
    assert.equal(task.maxRetries, 2);
    assert.ok(Number(task.minRetryIntervalMillis) >= 60_000);
    assert.deepEqual(task.notebookTask, {
      notebookPath: "/Shared/pp/batch",
      source: "WORKSPACE",
      baseParameters: {
        lake: "s3://pp-lake",
        out: "s3://pp-lake/delta/batch",
        topics: '{"pin":"pp.pin","geo":"pp.geo","user":"pp.user"}',
        // Every rule named, with the default where the stack names none.
        quality_policy: JSON.stringify(Object.fromEntries(QUALITY_RULE_IDS.map((r) => [r, "null"]))),
      },
    });
    assert.deepEqual(job.inputs.emailNotifications, { onFailures: ["oncall@example.com"] });
    assert.equal(job.inputs.maxConcurrentRuns, 1);
    assert.equal(job.inputs.timeoutSeconds, 7200);
    // Triggered by Airflow, not by a Databricks schedule of its own.
    assert.equal(job.inputs.schedule, undefined);
    // It runs as the batch job's own runner, on a cluster its cluster policy admits.
    const principal = one(mocks, "databricks:index/servicePrincipal:ServicePrincipal", "pp-batch-runner");
    assert.deepEqual(job.inputs.runAs, { servicePrincipalName: principal.state.applicationId });
    assert.equal(await promiseOf(batch.tablesLocation), "s3://pp-lake/delta/batch");
    assert.equal(cluster.newCluster.dataSecurityMode, "SINGLE_USER");
    assert.equal(cluster.newCluster.singleUserName, principal.state.applicationId);
    const policy = one(mocks, "databricks:index/clusterPolicy:ClusterPolicy");
    assert.equal(cluster.newCluster.policyId, policy.id);
    const definition = JSON.parse(String(policy.inputs.definition)) as Record<
      string,
      Record<string, unknown>
    >;
    assert.deepEqual(clusterSatisfiesPolicy(cluster.newCluster, definition), []);
    assert.deepEqual(definition["aws_attributes.instance_profile_arn"], { type: "fixed", value: profileArn });
    assert.deepEqual(definition.single_user_name, { type: "fixed", value: principal.state.applicationId });
    // A cluster the policy would refuse: another profile, more workers, a shared access mode.
    assert.equal(
      clusterSatisfiesPolicy(
        {
          ...cluster.newCluster,
          numWorkers: 30,
          dataSecurityMode: "USER_ISOLATION",
          awsAttributes: { ...(cluster.newCluster.awsAttributes as object), instanceProfileArn: "arn:other" },
        },
        definition,
      ).length,
      3,
    );
    const use = mocks
      .ofType("databricks:index/permissions:Permissions")
      .find((p) => p.inputs.clusterPolicyId !== undefined)!;
    assert.deepEqual(use.inputs.accessControls, [
      { servicePrincipalName: principal.state.applicationId, permissionLevel: "CAN_USE" },
    ]);
  });

  it("gives Airflow, the batch job and the stream job each their own principal: Airflow may only run the job", () => {
    const principals = Object.fromEntries(
      mocks.ofType("databricks:index/servicePrincipal:ServicePrincipal").map((p) => [p.name, p]),
    );
    assert.deepEqual(Object.keys(principals).sort(), ["pp-airflow", "pp-batch-runner", "pp-stream-runner"]);
    const perms = mocks.ofType("databricks:index/permissions:Permissions");
    const jobPerm = perms.find((p) => p.inputs.jobId !== undefined)!;
    assert.equal(jobPerm.inputs.jobId, one(mocks, "databricks:index/job:Job").id);
    assert.deepEqual(jobPerm.inputs.accessControls, [
      {
        servicePrincipalName: principals["pp-airflow"].state.applicationId,
        permissionLevel: "CAN_MANAGE_RUN",
      },
    ]);
    // The runners read the code; Airflow does not.
    const dirPerm = perms.find((p) => p.inputs.directoryPath !== undefined)!;
    assert.deepEqual(dirPerm.inputs.accessControls, [
      {
        servicePrincipalName: principals["pp-batch-runner"].state.applicationId,
        permissionLevel: "CAN_READ",
      },
      {
        servicePrincipalName: principals["pp-stream-runner"].state.applicationId,
        permissionLevel: "CAN_READ",
      },
    ]);
    // The deployer may set run_as to each runner (servicePrincipal.user, which a creator does not get) and
    // keeps managing it; the rule set is authoritative, so both grants are in it.
    const ruleSets = mocks.ofType("databricks:index/accessControlRuleSet:AccessControlRuleSet");
    assert.deepEqual(
      ruleSets.map((r) => r.inputs.name).sort(),
      ["pp-batch-runner", "pp-stream-runner"]
        .map(
          (n) =>
            `accounts/${ACCOUNT_ID}/servicePrincipals/${String(principals[n].state.applicationId)}/ruleSets/default`,
        )
        .sort(),
    );
    for (const r of ruleSets)
      assert.deepEqual(r.inputs.grantRules, [
        {
          principals: ["servicePrincipals/00000000-0000-4000-8000-00000000d3b1"],
          role: "roles/servicePrincipal.manager",
        },
        {
          principals: ["servicePrincipals/00000000-0000-4000-8000-00000000d3b1"],
          role: "roles/servicePrincipal.user",
        },
      ]);
    // Only the batch runner may use the batch job's instance profile.
    assert.equal(
      one(mocks, "databricks:index/servicePrincipalRole:ServicePrincipalRole").inputs.servicePrincipalId,
      principals["pp-batch-runner"].id,
    );
    for (const p of Object.values(principals)) assert.equal(p.inputs.allowClusterCreate, false);
  });

  it("scopes the cluster's role to reading raw topics and writing delta/batch/ in the lake, with the lake key", () => {
    const policy = parseJson<PolicyDocument>(
      one(mocks, "aws:iam/rolePolicy:RolePolicy", "pp-job").inputs.policy,
    );
    assert.deepEqual(
      policy.Statement,
      lakeJobStatements(LAKE_ARN, KEY, { read: ["topics/"], write: ["delta/batch/"] }),
    );
    const resources = policy.Statement.flatMap((s) => [s.Resource ?? []].flat());
    assert.ok(
      resources.every((r) => r.startsWith(LAKE_ARN) || r === KEY),
      resources.join(", "),
    );
    assert.ok(!resources.includes(`${LAKE_ARN}/*`), "never the whole bucket");
    const trust = parseJson<PolicyDocument>(
      one(mocks, "aws:iam/role:Role", "pp-job").inputs.assumeRolePolicy,
    );
    assert.deepEqual(trust.Statement[0].Principal, { Service: "ec2.amazonaws.com" });
    const pass = parseJson<PolicyDocument>(
      one(mocks, "aws:iam/rolePolicy:RolePolicy", "pp-job-pass-role").inputs.policy,
    );
    assert.equal(
      one(mocks, "aws:iam/rolePolicy:RolePolicy", "pp-job-pass-role").inputs.role,
      "databricks-cross-account",
    );
    assert.deepEqual(pass.Statement, [
      {
        Sid: "PassJobInstanceRole",
        Effect: "Allow",
        Action: "iam:PassRole",
        Resource: one(mocks, "aws:iam/role:Role", "pp-job").state.arn,
      },
    ]);
  });

  it("uploads requirements.txt and creates the environment only once the bucket is versioned", async () => {
    // MWAA takes requirements.txt by object version and requires a versioned bucket (mwaa-s3-bucket.html).
    for (const [type, name] of [
      ["aws:s3/bucketObjectv2:BucketObjectv2", "pp-requirements"],
      ["aws:mwaa/environment:Environment", "pp-airflow"],
    ]) {
      const urns = await recorder.dependsOn(type, name);
      assert.ok(
        urns.some((u) => u.endsWith("aws:s3/bucketVersioning:BucketVersioning::pp-dags")),
        `${name} depends on: ${urns.join(", ")}`,
      );
    }
  });

  it("registers the instance profile only after the cross-account role may pass its role, naming the role", async () => {
    // Databricks validates a profile with a dry-run launch through the cross-account role.
    const profile = one(mocks, "databricks:index/instanceProfile:InstanceProfile", "pp-job");
    assert.equal(profile.inputs.iamRoleArn, one(mocks, "aws:iam/role:Role", "pp-job").state.arn);
    const urns = await recorder.dependsOn("databricks:index/instanceProfile:InstanceProfile", "pp-job");
    assert.ok(
      urns.some((u) => u.endsWith("aws:iam/rolePolicy:RolePolicy::pp-job-pass-role")),
      `depends on: ${urns.join(", ")}`,
    );
  });

  it("holds no access keys or personal tokens: the connection is the principal's OAuth secret, a Pulumi secret", async () => {
    const types = new Set(mocks.resources.map((r) => r.type));
    for (const banned of [
      "aws:iam/accessKey:AccessKey",
      "databricks:index/token:Token",
      "databricks:index/oboToken:OboToken",
    ]) {
      assert.ok(!types.has(banned), banned);
    }
    const version = one(mocks, "aws:secretsmanager/secretVersion:SecretVersion", "pp-databricks-connection");
    assert.equal(version.inputs.secretString, "[secret]");
    const principal = one(mocks, "databricks:index/servicePrincipal:ServicePrincipal", "pp-airflow");
    const secret = one(mocks, "databricks:index/servicePrincipalSecret:ServicePrincipalSecret");
    // Airflow's secret is its own principal's, and it ends (90 days by default).
    assert.equal(secret.inputs.servicePrincipalId, principal.id);
    assert.equal(secret.inputs.lifetime, `${90 * 86400}s`);
    assert.equal(await promiseOf(batch.airflowSecretExpireTime), String(secret.state.expireTime));
    assert.deepEqual(
      JSON.parse(String(reveal(version.state.secretString))),
      JSON.parse(
        databricksConnectionJson(
          MOCK_DATABRICKS_HOST,
          String(principal.state.applicationId),
          String(secret.state.secret),
        ),
      ),
    );
    const connection = one(mocks, "aws:secretsmanager/secret:Secret", "pp-databricks-connection");
    assert.equal(connection.inputs.name, "airflow/pp/connections/databricks_default");
    // The secrets have their own key, usable through Secrets Manager only; not the lake's.
    assert.equal(connection.inputs.kmsKeyId, SECRETS_KEY);
  });

  it("gives the DAG the job's id: the Variable it templates is the job id under MWAA's variables prefix", () => {
    const jobId = one(mocks, "databricks:index/job:Job").id;
    const variable = one(mocks, "aws:secretsmanager/secret:Secret", "pp-job-id");
    const value = one(mocks, "aws:secretsmanager/secretVersion:SecretVersion", "pp-job-id");
    assert.equal(reveal(value.state.secretString), jobId);
    assert.equal(value.inputs.secretId, variable.id);
    const env = one(mocks, "aws:mwaa/environment:Environment");
    // The provider marks the options sensitive; the state holds the plain map.
    assert.equal(env.inputs.airflowConfigurationOptions, "[secret]");
    const options = reveal(env.state.airflowConfigurationOptions) as Record<string, string>;
    const kwargs = JSON.parse(options["secrets.backend_kwargs"]) as {
      variables_prefix: string;
      connections_prefix: string;
    };
    assert.equal(`${kwargs.variables_prefix}/${JOB_ID_VARIABLE}`, variable.inputs.name);
    assert.equal(`${kwargs.connections_prefix}/databricks_default`, airflowSecretNames("pp").connection);
    assert.equal(
      options["secrets.backend"],
      "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
    );
    const dagText = fs.readFileSync(BATCH_DAG, "utf8");
    assert.ok(dagText.includes(`{{ var.value.${JOB_ID_VARIABLE} }}`), "the DAG templates the Variable");
    assert.ok(dagText.includes('databricks_conn_id="databricks_default"'));
  });

  it("runs MWAA privately at the pinned version from a private, versioned DAG bucket with pinned requirements", () => {
    const env = one(mocks, "aws:mwaa/environment:Environment");
    assert.equal(env.inputs.airflowVersion, "2.10.3");
    assert.equal(env.inputs.webserverAccessMode, "PRIVATE_ONLY");
    assert.equal(env.inputs.dagS3Path, "dags/");
    assert.deepEqual((env.inputs.networkConfiguration as { subnetIds: string[] }).subnetIds, [
      "subnet-0aaaaaaaaaaaaaaa1",
      "subnet-0aaaaaaaaaaaaaaa2",
    ]);
    const bucket = one(mocks, "aws:s3/bucket:Bucket");
    assert.equal(env.inputs.sourceBucketArn, bucket.state.arn);
    assert.match(String(bucket.state.bucket), /^airflow-pp-/);
    assert.deepEqual(one(mocks, "aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration, {
      status: "Enabled",
    });
    const block = one(mocks, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs;
    assert.deepEqual(
      [block.blockPublicAcls, block.blockPublicPolicy, block.ignorePublicAcls, block.restrictPublicBuckets],
      [true, true, true, true],
    );
    const policy = parseJson<PolicyDocument>(one(mocks, "aws:s3/bucketPolicy:BucketPolicy").inputs.policy);
    assert.ok(
      policy.Statement.some(
        (s) => s.Effect === "Deny" && s.Condition?.Bool?.["aws:SecureTransport"] === "false",
      ),
    );
    const objects = mocks.ofType("aws:s3/bucketObjectv2:BucketObjectv2");
    const requirements = objects.find((o) => o.inputs.key === "requirements.txt")!;
    assert.equal(env.inputs.requirementsS3Path, "requirements.txt");
    assert.equal(env.inputs.requirementsS3ObjectVersion, requirements.state.versionId);
    const text = fs.readFileSync(MWAA_REQUIREMENTS, "utf8");
    assert.match(text, /^apache-airflow-providers-databricks==\d+\.\d+\.\d+$/m);
    assert.match(text, /constraints-2\.10\.3\/constraints-3\.11\.txt/);
    const dag = objects.find((o) => o.inputs.key === "dags/pinterest_batch.py")!;
    assert.ok(dag, "the DAG is uploaded under dags/");
    const sgRules = mocks.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    assert.ok(
      sgRules.every((r) => r.inputs.cidrIpv4 === undefined),
      "no CIDR ingress: only the group itself",
    );
  });

  it("gives MWAA's execution role AWS's documented grants, narrowed: no wildcard actions, only its secrets", () => {
    const policy = parseJson<PolicyDocument>(
      one(mocks, "aws:iam/rolePolicy:RolePolicy", "pp-airflow").inputs.policy,
    );
    assert.deepEqual(
      policy,
      mwaaExecutionPolicy({
        region: "eu-west-1",
        account: "123456789012",
        environmentName: "pp-airflow",
        dagBucketArn: String(one(mocks, "aws:s3/bucket:Bucket").state.arn),
        secretsPrefix: "airflow/pp/",
        secretsKmsKeyArn: SECRETS_KEY,
      }),
    );
    assert.ok(
      actionsOf(policy).every((a) => !a.includes("*")),
      actionsOf(policy).join(", "),
    );
    const secrets = policy.Statement.find((s: PolicyStatement) => s.Sid === "ReadPipelineSecrets")!;
    assert.equal(secrets.Resource, "arn:aws:secretsmanager:eu-west-1:123456789012:secret:airflow/pp/*");
    const starResources = policy.Statement.filter((s) => s.Resource === "*").map((s) => s.Action);
    assert.deepEqual(starResources, [
      "s3:GetAccountPublicAccessBlock",
      "logs:DescribeLogGroups",
      "cloudwatch:PutMetricData",
    ]);
    // The Celery queues' keys are MWAA's, not this account's: AWS's documented statement, only through SQS.
    const celeryKeys = policy.Statement.find((s: PolicyStatement) => s.Sid === "UseCeleryQueueKeys");
    assert.deepEqual(celeryKeys, {
      Sid: "UseCeleryQueueKeys",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey", "kms:Encrypt"],
      NotResource: "arn:aws:kms:*:123456789012:key/*",
      Condition: { StringLike: { "kms:ViaService": ["sqs.eu-west-1.amazonaws.com"] } },
    });
    const trust = parseJson<PolicyDocument>(
      one(mocks, "aws:iam/role:Role", "pp-airflow").inputs.assumeRolePolicy,
    );
    assert.deepEqual(
      trust.Statement.map((s) => s.Principal),
      [{ Service: "airflow.amazonaws.com" }, { Service: "airflow-env.amazonaws.com" }],
    );
    // MWAA sends both confused-deputy keys; the role is held to this environment.
    for (const s of trust.Statement)
      assert.deepEqual(s.Condition, {
        StringEquals: { "aws:SourceAccount": "123456789012" },
        ArnLike: { "aws:SourceArn": "arn:aws:airflow:eu-west-1:123456789012:environment/pp-airflow" },
      });
  });
});

describe("BatchLakehouse with an existing MWAA environment (mocks)", () => {
  it("uploads the DAG to that environment's bucket and creates no environment, bucket or role for it", async () => {
    const { mocks, batch } = await render(
      baseArgs({
        airflow: {
          mode: "existing",
          environmentName: "shared-airflow",
          dagBucketName: "airflow-shared-dags",
        },
        databricksCrossAccountRoleName: undefined,
        alertEmail: undefined,
      }),
    );
    assert.equal(mocks.ofType("aws:mwaa/environment:Environment").length, 0);
    assert.equal(mocks.ofType("aws:s3/bucket:Bucket").length, 0);
    assert.equal(mocks.ofType("aws:iam/role:Role").length, 1, "only the job's role");
    const dag = one(mocks, "aws:s3/bucketObjectv2:BucketObjectv2");
    assert.equal(dag.inputs.bucket, "airflow-shared-dags");
    assert.equal(dag.inputs.key, "dags/pinterest_batch.py");
    assert.equal(await promiseOf(batch.airflowEnvironmentName), "shared-airflow");
    assert.equal(one(mocks, "databricks:index/job:Job").inputs.emailNotifications, undefined);
    assert.equal(mocks.ofType("aws:secretsmanager/secret:Secret").length, 2);
  });
});

describe("BatchLakehouse arguments", () => {
  it("rejects a bad prefix, worker count, retry count and subnet count with a specific message", () => {
    assert.throws(
      () => validateBatchLakehouseArgs(baseArgs({ namePrefix: "Bad_Prefix" })),
      /namePrefix must be/,
    );
    assert.throws(() => validateBatchLakehouseArgs(baseArgs({ workers: 0 })), /workers must be >= 1, got 0/);
    assert.throws(() => validateBatchLakehouseArgs(baseArgs({ maxRetries: -1 })), /maxRetries must be >= 0/);
    assert.throws(
      () =>
        validateBatchLakehouseArgs(
          baseArgs({
            airflow: {
              mode: "create",
              version: "2.10.3",
              ...MWAA_SETTINGS,
              vpcId: "vpc-1",
              subnetIds: ["subnet-a", "subnet-b", "subnet-c"],
            },
          }),
        ),
      /exactly two private subnets, got 3/,
    );
  });
});
