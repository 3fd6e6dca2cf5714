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
import { PolicyStatement, policyJson } from "./defaults";

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
export function ec2InstanceTrustPolicy(): string {
  return policyJson({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
  });
}

export interface JobCodeArgs {
  namePrefix: string;
}

export class JobCode extends pulumi.ComponentResource {
  public readonly directory: pulumi.Output<string>;
  /** Workspace path of each notebook. */
  public readonly notebookPaths: Record<NotebookName, pulumi.Output<string>>;
  /** Application id of the service principal the jobs run as. */
  public readonly runnerApplicationId: pulumi.Output<string>;
  /** Its Databricks id (for roles and secrets). */
  public readonly runnerId: pulumi.Output<string>;
  /** Resources a job must wait for before it can run the code. */
  public readonly uploads: pulumi.Resource[];
  /** What a job run as the runner needs before it starts: the code and the runner's right to read it. */
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

    const runner = new databricks.ServicePrincipal(
      `${name}-runner`,
      { displayName: `${args.namePrefix}-jobs-runner`, allowClusterCreate: false },
      { parent: this },
    );
    const codeAccess = new databricks.Permissions(
      `${name}-code`,
      {
        directoryPath: directory.path,
        accessControls: [{ servicePrincipalName: runner.applicationId, permissionLevel: "CAN_READ" }],
      },
      { parent: this },
    );

    this.directory = directory.path;
    this.notebookPaths = {
      batch: notebooks.batch.path,
      stream: notebooks.stream.path,
    };
    this.runnerApplicationId = runner.applicationId;
    this.runnerId = runner.id;
    this.uploads = [...files, ...Object.values(notebooks)];
    this.readyToRun = [...this.uploads, codeAccess];
    this.registerOutputs({ directory: this.directory, runnerApplicationId: this.runnerApplicationId });
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
  parent: pulumi.Resource,
  name: string,
  args: JobInstanceProfileArgs,
): { role: aws.iam.Role; instanceProfileArn: pulumi.Output<string>; runnerMayUse: pulumi.Resource } {
  const opts = { parent };
  const role = new aws.iam.Role(
    name,
    { description: args.description, assumeRolePolicy: ec2InstanceTrustPolicy(), tags: args.tags },
    opts,
  );
  new aws.iam.RolePolicy(
    name,
    {
      role: role.id,
      policy: pulumi
        .output(args.statements)
        .apply((statements) => policyJson({ Version: "2012-10-17", Statement: statements })),
    },
    opts,
  );
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
    { parent, dependsOn: grant ? [grant] : [] },
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
export function jobCluster(args: JobClusterArgs): databricks.types.input.JobJobClusterNewCluster {
  return {
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

/** What every job of ours has: one run at a time, run as the runner, failure email, one job cluster. */
export function jobRunSettings(args: {
  clusterKey: string;
  code: JobCode;
  alertEmail?: string;
  cluster: Omit<JobClusterArgs, "runnerApplicationId">;
}): Pick<databricks.JobArgs, "maxConcurrentRuns" | "runAs" | "emailNotifications" | "jobClusters"> {
  return {
    maxConcurrentRuns: 1,
    runAs: { servicePrincipalName: args.code.runnerApplicationId },
    ...(args.alertEmail ? { emailNotifications: { onFailures: [args.alertEmail] } } : {}),
    jobClusters: [
      {
        jobClusterKey: args.clusterKey,
        newCluster: jobCluster({ ...args.cluster, runnerApplicationId: args.code.runnerApplicationId }),
      },
    ],
  };
}
