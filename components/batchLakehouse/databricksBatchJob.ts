/**
 * DatabricksBatchJob: the daily batch as a Databricks job. The job on a job cluster at the pinned runtime
 * (retries, failure email), run as the batch runner, reaching the lake through its instance profile (no
 * keys); and Airflow's own service principal, with an OAuth secret that ends, which may only run the job.
 * The job's instance profile (limited to the lake prefixes it uses) and its cluster policy
 * are the child's too.
 */
import * as databricks from "@pulumi/databricks";
import * as pulumi from "@pulumi/pulumi";
import {
  JobCode,
  jobClusterPolicy,
  jobInstanceProfile,
  jobRunSettings,
  lakeJobStatements,
} from "../databricksJobs";
import { EventKind } from "../events";
import { LAKE_PREFIXES } from "../lake";
import { movedInto } from "../moved";
import { QualityPolicy, qualityPolicyParameter } from "../quality";

/** The batch's tables (silver/, gold/, quarantine) in the lake: its role may write only here. */
export const BATCH_TABLES_PREFIX = `${LAKE_PREFIXES.delta}batch/`;

export interface DatabricksBatchJobArgs {
  /** Prefix of physical names (the job, Airflow's principal, the cluster policy). */
  namePrefix: string;
  /** The jobs' code in the workspace and the principal they run as. */
  code: JobCode;
  lakeBucketName: pulumi.Input<string>;
  lakeBucketArn: pulumi.Input<string>;
  /** The lake's KMS key: the job decrypts and encrypts with it. */
  kmsKeyArn: pulumi.Input<string>;
  /** Databricks runtime of the job cluster. */
  sparkVersion: string;
  /** Node type of the job cluster (config `batchNodeType`). */
  nodeType: string;
  /** Workers of the job cluster (config `batchWorkers`). */
  workers: number;
  /** Name of the workspace's cross-account role, granted iam:PassRole on the job's role. Default: none. */
  databricksCrossAccountRoleName?: string;
  /** The raw topic of each record kind (the job reads `topics/<topic>/` in the lake). */
  topics: Record<EventKind, string>;
  /** Per field rule, null the field or drop the row. */
  qualityPolicy: QualityPolicy;
  /** Retries of the batch task (config `batchMaxRetries`). */
  maxRetries: number;
  /** Minutes before a run is stopped (config `batchTimeoutMinutes`). */
  timeoutMinutes: number;
  /** Emailed when a run fails. Default: nobody. */
  alertEmail?: string;
  /** Lifetime of Airflow's Databricks OAuth secret, days, at most 730 (config `databricksSecretLifetimeDays`). */
  secretLifetimeDays: number;
  tags: Record<string, string>;
}

export class DatabricksBatchJob extends pulumi.ComponentResource {
  /** The Databricks job itself. */
  public readonly job: databricks.Job;
  public readonly jobId: pulumi.Output<string>;
  public readonly jobUrl: pulumi.Output<string>;
  /** Airflow's identity in Databricks: CAN_MANAGE_RUN on the job, nothing else. */
  public readonly servicePrincipal: databricks.ServicePrincipal;
  /** Its OAuth secret (`secret` is a Pulumi secret): Airflow's Databricks connection. */
  public readonly servicePrincipalSecret: databricks.ServicePrincipalSecret;
  /** The grant of CAN_MANAGE_RUN on the job to Airflow's principal. */
  public readonly permissions: databricks.Permissions;
  /** The job cluster's instance profile, as Databricks knows it. */
  public readonly instanceProfileArn: pulumi.Output<string>;
  /** The job cluster's policy. */
  public readonly clusterPolicyId: pulumi.Output<string>;
  /** When the OAuth secret ends (RFC 3339). */
  public readonly secretExpireTime: pulumi.Output<string>;
  /** Delta root of the silver, gold and quarantine tables. */
  public readonly tablesLocation: pulumi.Output<string>;

  constructor(name: string, args: DatabricksBatchJobArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pinterest-pipeline:lakehouse:DatabricksBatchJob", name, {}, opts);
    // Created under BatchLakehouse before this component existed: aliased to keep their URNs.
    const moved = movedInto(this, opts?.parent);
    const { tags } = args;
    // The cluster's S3 access: an instance profile limited to the lake prefixes the batch uses, registered in
    // the workspace and granted to the batch runner.
    const profile = jobInstanceProfile(moved, `${name}-job`, {
      description: "Databricks batch job cluster: reads raw topics, writes the batch's Delta tables",
      statements: pulumi
        .all([args.lakeBucketArn, args.kmsKeyArn])
        .apply(([bucket, key]) =>
          lakeJobStatements(bucket, key, { read: [LAKE_PREFIXES.rawTopics], write: [BATCH_TABLES_PREFIX] }),
        ),
      crossAccountRoleName: args.databricksCrossAccountRoleName,
      runnerId: args.code.runners.batch.id,
      tags,
    });
    const cluster = {
      sparkVersion: args.sparkVersion,
      nodeType: args.nodeType,
      workers: args.workers,
      spot: true,
      tags,
    };
    // The cluster policy's grant came with per-job principals (fcf68d6) and took the job grant's URN (see the
    // job's grant below): the engine refused that, so no stack holds it under that URN and it gets no alias.
    const policy = jobClusterPolicy(
      moved,
      `${args.namePrefix}-batch`,
      { runner: args.code.runners.batch, instanceProfileArn: profile.instanceProfileArn, cluster },
      { parent: this },
    );
    this.instanceProfileArn = profile.instanceProfileArn;
    this.clusterPolicyId = policy.policyId;

    // Airflow's own identity: it may only run the batch job (CAN_MANAGE_RUN below), never act as the job.
    const airflowPrincipal = new databricks.ServicePrincipal(
      `${name}-airflow`,
      { displayName: `${args.namePrefix}-airflow`, allowClusterCreate: false },
      moved,
    );
    // Its OAuth secret, with a lifetime: replaced before it ends (docs/operations.md, "Rotate secrets"); the
    // alarm topic is told ahead of the end (Observability's secret-expiry notice).
    const principalSecret = new databricks.ServicePrincipalSecret(
      `${name}-airflow`,
      {
        servicePrincipalId: airflowPrincipal.id,
        lifetime: `${args.secretLifetimeDays * 86400}s`,
      },
      { ...moved, additionalSecretOutputs: ["secret"] },
    );

    const lakeUri = pulumi.interpolate`s3://${args.lakeBucketName}`;
    this.tablesLocation = pulumi.interpolate`${lakeUri}/${BATCH_TABLES_PREFIX.replace(/\/$/, "")}`;
    const job = new databricks.Job(
      `${name}-batch`,
      {
        name: `${args.namePrefix}-batch`,
        description:
          "Daily batch: raw topics -> silver, quarantine and gold Delta tables (jobs/src/pinterest_jobs/batch.py). Triggered by Airflow.",
        timeoutSeconds: args.timeoutMinutes * 60,
        ...jobRunSettings({
          clusterKey: "batch",
          runner: args.code.runners.batch,
          policyId: policy.policyId,
          alertEmail: args.alertEmail,
          cluster: { ...cluster, instanceProfileArn: profile.instanceProfileArn },
        }),
        tasks: [
          {
            taskKey: "batch",
            jobClusterKey: "batch",
            notebookTask: {
              notebookPath: args.code.notebookPaths.batch,
              source: "WORKSPACE",
              baseParameters: {
                lake: lakeUri,
                out: this.tablesLocation,
                topics: JSON.stringify(args.topics),
                quality_policy: qualityPolicyParameter(args.qualityPolicy),
              },
            },
            maxRetries: args.maxRetries,
            minRetryIntervalMillis: 5 * 60 * 1000,
            retryOnTimeout: true,
          },
        ],
        tags,
      },
      // A job runs as the runner: it starts (the stream's at once, being continuous) only once the runner may
      // read the code and use the instance profile.
      { ...moved, dependsOn: [...args.code.readyToRun, profile.runnerMayUse, policy.runnerMayUsePolicy] },
    );
    // Named apart from the cluster policy's grant (`${namePrefix}-batch`). This grant was `<prefix>-batch`
    // under BatchLakehouse; fcf68d6 gave the cluster policy's grant the same name and so the same URN, which
    // the engine refuses (Duplicate resource URN): no stack could be updated since, and a deployed stack holds
    // this grant, the job's, under that URN. The alias names it.
    this.permissions = new databricks.Permissions(
      `${name}-batch-run`,
      {
        jobId: job.id,
        accessControls: [
          { servicePrincipalName: airflowPrincipal.applicationId, permissionLevel: "CAN_MANAGE_RUN" },
        ],
      },
      movedInto(this, opts?.parent, `${name}-batch`),
    );

    this.job = job;
    this.jobId = job.id;
    this.jobUrl = job.url;
    this.servicePrincipal = airflowPrincipal;
    this.servicePrincipalSecret = principalSecret;
    this.secretExpireTime = principalSecret.expireTime;
    this.registerOutputs({ jobId: this.jobId, jobUrl: this.jobUrl, tablesLocation: this.tablesLocation });
  }
}
