/**
 * What the Databricks jobs share: the code in the workspace (JobCode: the jobs/ package, the thin notebooks
 * beside it, and the service principal the jobs run as), an instance profile per job (the cluster's only
 * way to AWS: no keys), and the job cluster's settings.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as databricks from "@pulumi/databricks";
import * as pulumi from "@pulumi/pulumi";
import { ParentOrOptions, resourceOptions } from "./moved";
import { serviceRole } from "./serviceRole";
import { PolicyDocument, PolicyStatement, policyJson } from "./defaults";

export const REPO_ROOT = path.resolve(__dirname, "..");
export const JOBS_PACKAGE_DIR = path.join(REPO_ROOT, "jobs", "src", "pinterest_jobs");
export const NOTEBOOKS_DIR = path.join(REPO_ROOT, "jobs", "notebooks");
export const NOTEBOOKS = ["batch", "stream"] as const;
export type NotebookName = (typeof NOTEBOOKS)[number];

/** Where things live in the workspace: the notebooks next to the package they import. */
export function workspacePaths(namePrefix: string): {
  dir: string;
  packageDir: string;
  notebook: (name: NotebookName) => string;
} {
  const dir = `/Shared/${namePrefix}`;
  return { dir, packageDir: `${dir}/pinterest_jobs`, notebook: (name) => `${dir}/${name}` };
}

export interface LakeAccess {
  /** Prefixes (like "topics/") the job only reads. */
  read: string[];
  /** Prefixes (like "delta/") the job reads, writes and deletes in (Delta rewrites and vacuums). */
  write: string[];
}

/** S3 and KMS access of a Spark job to exactly the lake prefixes it uses. */
export function lakeJobStatements(
  bucketArn: string,
  kmsKeyArn: string,
  access: LakeAccess,
): PolicyStatement[] {
  const all = [...access.read, ...access.write];
  return [
    {
      Sid: "ListLakePrefixes",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: bucketArn,
      Condition: { StringLike: { "s3:prefix": all.flatMap((p) => [p, `${p}*`]) } },
    },
    // s3:GetBucketLocation carries no s3:prefix: under that condition it would never be allowed.
    { Sid: "FindLakeBucket", Effect: "Allow", Action: ["s3:GetBucketLocation"], Resource: bucketArn },
    ...(access.read.length > 0
      ? [
          {
            Sid: "ReadRawData",
            Effect: "Allow" as const,
            Action: ["s3:GetObject"],
            Resource: access.read.map((p) => `${bucketArn}/${p}*`),
          },
        ]
      : []),
    {
      Sid: "ReadWriteTables",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
      Resource: access.write.map((p) => `${bucketArn}/${p}*`),
    },
    {
      Sid: "UseLakeKey",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: kmsKeyArn,
    },
  ];
}

/** Trust policy of an EC2 instance role (a Databricks cluster's instance profile). */
export function ec2InstanceTrustPolicy(): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
  };
}

/** A job's identity: the service principal it runs as. */
export interface JobRunner {
  applicationId: pulumi.Output<string>;
  /** Its Databricks id (for roles and secrets). */
  id: pulumi.Output<string>;
}

export interface JobCodeArgs {
  namePrefix: string;
  /**
   * The Databricks account's id. Setting a job's run_as to a service principal needs the servicePrincipal.user
   * role on it, which its creator does not get (only manager); each runner's rule set grants both to the
   * principal running `pulumi up` (https://docs.databricks.com/aws/en/security/auth/access-control/service-principal-acl).
   */
  databricksAccountId: string;
}

export class JobCode extends pulumi.ComponentResource {
  public readonly directory: pulumi.Output<string>;
  /** Workspace path of each notebook. */
  public readonly notebookPaths: Record<NotebookName, pulumi.Output<string>>;
  /**
   * Per job, the service principal it runs as (its own: one job's identity can use only that job's instance
   * profile and cluster policy). Airflow has a third, in BatchLakehouse.
   */
  public readonly runners: Record<NotebookName, JobRunner>;
  /** Resources a job must wait for before it can run the code. */
  public readonly uploads: pulumi.Resource[];
  /**
   * What a job run as its runner needs before it is created and starts: the code, the runners' right to read
   * it, and the deployer's right to set run_as to them.
   */
  public readonly readyToRun: pulumi.Resource[];

  constructor(name: string, args: JobCodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pinterest-pipeline:lakehouse:JobCode", name, {}, opts);
    const paths = workspacePaths(args.namePrefix);
    const directory = new databricks.Directory(`${name}-code`, { path: paths.dir }, { parent: this });
    const codeParent = { parent: this, dependsOn: [directory] };
    const files = fs
      .readdirSync(JOBS_PACKAGE_DIR)
      .filter((f) => f.endsWith(".py"))
      .sort()
      .map(
        (file) =>
          new databricks.WorkspaceFile(
            `${name}-pkg-${file
              .replace(/\.py$/, "")
              .replace(/^_+|_+$/g, "")
              .replace(/_/g, "-")}`,
            { path: `${paths.packageDir}/${file}`, source: path.join(JOBS_PACKAGE_DIR, file) },
            codeParent,
          ),
      );
    const notebooks = Object.fromEntries(
      NOTEBOOKS.map((nb) => [
        nb,
        new databricks.Notebook(
          `${name}-${nb}`,
          { path: paths.notebook(nb), language: "PYTHON", source: path.join(NOTEBOOKS_DIR, `${nb}.py`) },
          codeParent,
        ),
      ]),
    ) as Record<NotebookName, databricks.Notebook>;

    const principals = Object.fromEntries(
      NOTEBOOKS.map((job) => [
        job,
        new databricks.ServicePrincipal(
          `${name}-${job}-runner`,
          { displayName: `${args.namePrefix}-${job}-runner`, allowClusterCreate: false },
          { parent: this },
        ),
      ]),
    ) as Record<NotebookName, databricks.ServicePrincipal>;
    // The deploying principal may use (set run_as to) and manage each runner. A rule set is authoritative: it
    // holds every grant on the runner, so both roles are here.
    const deployer = databricks.getCurrentUserOutput({}, { parent: this });
    const runAsGrants = NOTEBOOKS.map(
      (job) =>
        new databricks.AccessControlRuleSet(
          `${name}-${job}-runner`,
          {
            name: pulumi.interpolate`accounts/${args.databricksAccountId}/servicePrincipals/${principals[job].applicationId}/ruleSets/default`,
            grantRules: [
              { principals: [deployer.aclPrincipalId], role: "roles/servicePrincipal.manager" },
              { principals: [deployer.aclPrincipalId], role: "roles/servicePrincipal.user" },
            ],
          },
          { parent: this },
        ),
    );
    // One Permissions per object (Databricks' permissions are set whole): both runners read the code.
    const codeAccess = new databricks.Permissions(
      `${name}-code`,
      {
        directoryPath: directory.path,
        accessControls: NOTEBOOKS.map((job) => ({
          servicePrincipalName: principals[job].applicationId,
          permissionLevel: "CAN_READ",
        })),
      },
      { parent: this },
    );

    this.directory = directory.path;
    this.notebookPaths = {
      batch: notebooks.batch.path,
      stream: notebooks.stream.path,
    };
    this.runners = Object.fromEntries(
      NOTEBOOKS.map((job) => [job, { applicationId: principals[job].applicationId, id: principals[job].id }]),
    ) as Record<NotebookName, JobRunner>;
    this.uploads = [...files, ...Object.values(notebooks)];
    this.readyToRun = [...this.uploads, codeAccess, ...runAsGrants];
    this.registerOutputs({
      directory: this.directory,
      runnerApplicationIds: pulumi.all(NOTEBOOKS.map((job) => principals[job].applicationId)),
    });
  }
}

export interface JobInstanceProfileArgs {
  description: string;
  /** What the cluster may do in AWS. */
  statements: pulumi.Input<PolicyStatement[]>;
  /** The workspace's cross-account role, granted iam:PassRole on this role. */
  crossAccountRoleName?: string;
  /** The service principal allowed to start clusters with the profile. */
  runnerId: pulumi.Input<string>;
  tags: Record<string, string>;
}

/**
 * An instance profile for one job's clusters, registered in the workspace and granted to the runner.
 * Returns its ARN as Databricks knows it (the job cluster's `instanceProfileArn`).
 */
export function jobInstanceProfile(
  parent: ParentOrOptions,
  name: string,
  args: JobInstanceProfileArgs,
): { role: aws.iam.Role; instanceProfileArn: pulumi.Output<string>; runnerMayUse: pulumi.Resource } {
  const opts = resourceOptions(parent);
  const { role } = serviceRole(opts, name, {
    description: args.description,
    trust: ec2InstanceTrustPolicy(),
    policy: pulumi
      .output(args.statements)
      .apply((statements) => ({ Version: "2012-10-17" as const, Statement: statements })),
    tags: args.tags,
  });
  const awsProfile = new aws.iam.InstanceProfile(name, { role: role.name, tags: args.tags }, opts);
  // Databricks registers the profile with a dry-run launch through the workspace's cross-account role,
  // which must be allowed iam:PassRole on this role first (docs/cloud-contracts.md, "Databricks").
  const grant = args.crossAccountRoleName
    ? new aws.iam.RolePolicy(
        `${name}-pass-role`,
        {
          role: args.crossAccountRoleName,
          policy: role.arn.apply((arn) =>
            policyJson({
              Version: "2012-10-17",
              Statement: [
                { Sid: "PassJobInstanceRole", Effect: "Allow", Action: "iam:PassRole", Resource: arn },
              ],
            }),
          ),
        },
        opts,
      )
    : undefined;
  const profile = new databricks.InstanceProfile(
    name,
    // The role's ARN too: the role and the profile are named apart (Pulumi's suffixes).
    { instanceProfileArn: awsProfile.arn, iamRoleArn: role.arn },
    { ...opts, dependsOn: grant ? [grant] : [] },
  );
  const runnerMayUse = new databricks.ServicePrincipalRole(
    name,
    { servicePrincipalId: args.runnerId, role: profile.id },
    opts,
  );
  return { role, instanceProfileArn: profile.id, runnerMayUse };
}

export interface JobClusterArgs {
  sparkVersion: string;
  nodeType: string;
  workers: number;
  instanceProfileArn: pulumi.Input<string>;
  runnerApplicationId: pulumi.Input<string>;
  /** Spot with on-demand fallback (batch) or on-demand only (a continuous stream). */
  spot: boolean;
  tags: Record<string, string>;
}

/** A job cluster: dedicated to the runner, local disks encrypted, reaching AWS through the instance profile. */
export function jobCluster(
  args: JobClusterArgs & { policyId?: pulumi.Input<string> },
): databricks.types.input.JobJobClusterNewCluster {
  return {
    ...(args.policyId !== undefined ? { policyId: args.policyId, applyPolicyDefaultValues: true } : {}),
    sparkVersion: args.sparkVersion,
    nodeTypeId: args.nodeType,
    numWorkers: args.workers,
    dataSecurityMode: "SINGLE_USER",
    singleUserName: args.runnerApplicationId,
    enableLocalDiskEncryption: true,
    awsAttributes: {
      instanceProfileArn: args.instanceProfileArn,
      availability: args.spot ? "SPOT_WITH_FALLBACK" : "ON_DEMAND",
      firstOnDemand: 1,
      zoneId: "auto",
    },
    customTags: args.tags,
  };
}

/**
 * The cluster policy of one job (Databricks' policy definition language,
 * https://docs.databricks.com/aws/en/admin/clusters/policy-definition): job clusters only, dedicated to the
 * job's runner, encrypted local disks, the job's instance profile, runtime and node type, at most its
 * workers, and no S3 keys in the Spark config. What the job's cluster asks for satisfies it
 * (`clusterSatisfiesPolicy`, tested).
 */
export function jobClusterPolicyDefinition(args: {
  runnerApplicationId: string;
  instanceProfileArn: string;
  sparkVersion: string;
  nodeType: string;
  maxWorkers: number;
  spot: boolean;
}): Record<string, Record<string, unknown>> {
  return {
    cluster_type: { type: "fixed", value: "job" },
    data_security_mode: { type: "fixed", value: "SINGLE_USER" },
    single_user_name: { type: "fixed", value: args.runnerApplicationId },
    enable_local_disk_encryption: { type: "fixed", value: true },
    "aws_attributes.instance_profile_arn": { type: "fixed", value: args.instanceProfileArn },
    "aws_attributes.availability": {
      type: "allowlist",
      values: args.spot ? ["SPOT_WITH_FALLBACK", "ON_DEMAND"] : ["ON_DEMAND"],
    },
    spark_version: { type: "fixed", value: args.sparkVersion },
    node_type_id: { type: "fixed", value: args.nodeType },
    driver_node_type_id: { type: "fixed", value: args.nodeType },
    num_workers: { type: "range", minValue: 1, maxValue: args.maxWorkers },
    "spark_conf.fs.s3a.access.key": { type: "forbidden" },
    "spark_conf.fs.s3a.secret.key": { type: "forbidden" },
  };
}

/** True when `cluster` (a job's newCluster) obeys every fixed, allowlist and range element of `definition`. */
export function clusterSatisfiesPolicy(
  cluster: Record<string, unknown>,
  definition: Record<string, Record<string, unknown>>,
): string[] {
  const problems: string[] = [];
  const valueAt = (path: string): unknown => {
    const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    let node: unknown = cluster;
    for (const part of path.split(".")) node = (node as Record<string, unknown> | undefined)?.[camel(part)];
    return node;
  };
  for (const [path, rule] of Object.entries(definition)) {
    if (path === "cluster_type" || path.startsWith("spark_conf.") || path === "driver_node_type_id") continue;
    const value = valueAt(path);
    if (rule.type === "fixed" && value !== rule.value)
      problems.push(`${path} is ${String(value)}, policy fixes ${String(rule.value)}`);
    if (rule.type === "allowlist" && !(rule.values as unknown[]).includes(value))
      problems.push(`${path} ${String(value)} is not allowed`);
    if (
      rule.type === "range" &&
      !(Number(value) >= Number(rule.minValue) && Number(value) <= Number(rule.maxValue))
    )
      problems.push(`${path} ${String(value)} is out of range`);
  }
  return problems;
}

/** One job's cluster policy, usable by its runner only (the grant under `grantParent`, by default the policy's). */
export function jobClusterPolicy(
  parent: ParentOrOptions,
  name: string,
  args: {
    runner: JobRunner;
    instanceProfileArn: pulumi.Input<string>;
    cluster: Omit<JobClusterArgs, "runnerApplicationId" | "instanceProfileArn">;
  },
  grantParent: ParentOrOptions = parent,
): { policyId: pulumi.Output<string>; runnerMayUsePolicy: pulumi.Resource } {
  const policy = new databricks.ClusterPolicy(
    name,
    {
      name,
      description: `Clusters of the ${name} job only`,
      maxClustersPerUser: 2,
      definition: pulumi
        .all([args.runner.applicationId, args.instanceProfileArn])
        .apply(([runnerApplicationId, instanceProfileArn]) =>
          JSON.stringify(
            jobClusterPolicyDefinition({
              runnerApplicationId,
              instanceProfileArn,
              sparkVersion: args.cluster.sparkVersion,
              nodeType: args.cluster.nodeType,
              maxWorkers: args.cluster.workers,
              spot: args.cluster.spot,
            }),
          ),
        ),
    },
    resourceOptions(parent),
  );
  const runnerMayUsePolicy = new databricks.Permissions(
    name,
    {
      clusterPolicyId: policy.id,
      accessControls: [{ servicePrincipalName: args.runner.applicationId, permissionLevel: "CAN_USE" }],
    },
    resourceOptions(grantParent),
  );
  return { policyId: policy.id, runnerMayUsePolicy };
}

/** What every job of ours has: one run at a time, run as its runner, failure email, one policed job cluster. */
export function jobRunSettings(args: {
  clusterKey: string;
  runner: JobRunner;
  policyId: pulumi.Input<string>;
  alertEmail?: string;
  cluster: Omit<JobClusterArgs, "runnerApplicationId">;
}): Pick<databricks.JobArgs, "maxConcurrentRuns" | "runAs" | "emailNotifications" | "jobClusters"> {
  return {
    maxConcurrentRuns: 1,
    runAs: { servicePrincipalName: args.runner.applicationId },
    ...(args.alertEmail ? { emailNotifications: { onFailures: [args.alertEmail] } } : {}),
    jobClusters: [
      {
        jobClusterKey: args.clusterKey,
        newCluster: jobCluster({
          ...args.cluster,
          runnerApplicationId: args.runner.applicationId,
          policyId: args.policyId,
        }),
      },
    ],
  };
}
