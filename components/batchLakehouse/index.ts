/**
 * BatchLakehouse: the daily batch half. The jobs/ package and its notebook uploaded to the Databricks
 * workspace; a Databricks job on a job cluster at the pinned runtime (retries, failure email) that reaches
 * the lake through an instance profile (no keys); a service principal that owns the runs; and Airflow (a
 * new MWAA environment, or an existing one) running dags/pinterest_batch.py, which finds the job id and the
 * Databricks connection in Secrets Manager (MWAA's secrets backend). The connection's credential is the
 * service principal's OAuth secret: created here, held by Pulumi as a secret, never in a file.
 */
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as databricks from "@pulumi/databricks";
import * as pulumi from "@pulumi/pulumi";
import { policyJson, serviceTrustPolicy, tlsOnlyBucketPolicy } from "../defaults";
import {
  JobCode,
  jobClusterPolicy,
  jobInstanceProfile,
  jobRunSettings,
  lakeJobStatements,
  REPO_ROOT,
} from "../databricksJobs";
import { LAKE_PREFIXES } from "../lake";
import { secureBucket } from "../secureBucket";
import { EventKind } from "../events";
import { checkNameMap, NAME_PREFIX, NAME_PREFIX_RULE, TOPIC_NAME } from "../names";
import { serviceRole } from "../serviceRole";
import { QualityPolicy, qualityPolicyParameter } from "../quality";
import { mwaaExecutionPolicy } from "./policies";

export const BATCH_DAG = path.join(REPO_ROOT, "dags", "pinterest_batch.py");
export const MWAA_REQUIREMENTS = path.join(REPO_ROOT, "dags", "mwaa-requirements.txt");
/** Airflow names the DAG reads (dags/pinterest_batch.py). */
export const JOB_ID_VARIABLE = "pinterest_batch_job_id";
export const DATABRICKS_CONNECTION = "databricks_default";
/** The DAG's id: its alarm and dashboard name it. */
export const BATCH_DAG_ID = "pinterest_batch_daily";

export type AirflowArgs =
  | {
      mode: "create";
      /** MWAA Airflow version, e.g. "2.10.3". */
      version: string;
      /** mw1.small etc. Default mw1.small. */
      environmentClass?: string;
      /** Default 2. */
      maxWorkers?: number;
      /** "private" (VPC only, the default) or "public" (internet, still IAM-authenticated). */
      webserverAccess?: "private" | "public";
      /** Two private subnets of the VPC (MWAA takes exactly two). */
      subnetIds: pulumi.Input<string>[];
      vpcId: pulumi.Input<string>;
    }
  | {
      mode: "existing";
      /** An MWAA environment whose secrets backend uses `secretsPrefix` (docs/configuration.md). */
      environmentName: string;
      /** Its DAG bucket; the DAG goes to dags/. */
      dagBucketName: string;
    };

export interface BatchLakehouseArgs {
  /** Prefix of physical names (job, environment, secrets). Required. */
  namePrefix: string;
  /** The jobs' code in the workspace and the principal they run as. */
  code: JobCode;
  lakeBucketName: pulumi.Input<string>;
  lakeBucketArn: pulumi.Input<string>;
  /** The lake's KMS key: the job decrypts and encrypts with it; the secrets are encrypted with it. */
  kmsKeyArn: pulumi.Input<string>;
  /** KMS key of the secrets (Airflow's Databricks connection and job id), usable through Secrets Manager only. */
  secretsKmsKeyArn: pulumi.Input<string>;
  /** The raw topic of each record kind (the job reads `topics/<topic>/` in the lake). Required. */
  topics: Record<EventKind, string>;
  /** Per field rule, null the field or drop the row (config key `qualityPolicy`, resolved). */
  qualityPolicy: QualityPolicy;
  /** Databricks runtime of the job cluster, e.g. "17.3.x-scala2.13". Required. */
  sparkVersion: string;
  /** Node type of the job cluster. Default "m5d.large". */
  nodeType?: string;
  /** Workers of the job cluster. Default 2. */
  workers?: number;
  /** Retries of the batch task. Default 2. */
  maxRetries?: number;
  /** Minutes before a run is stopped. Default 120. */
  timeoutMinutes?: number;
  /** Emailed when a run fails. Default: nobody. */
  alertEmail?: string;
  /** Name of the workspace's cross-account role, granted iam:PassRole on the job's role. Default: none. */
  databricksCrossAccountRoleName?: string;
  airflow: AirflowArgs;
  tags?: Record<string, string>;
  /** Lifetime of Airflow's Databricks OAuth secret, days (Databricks allows at most 730). Default 90. */
  secretLifetimeDays?: number;
}

export function validateBatchLakehouseArgs(args: Omit<BatchLakehouseArgs, "code">): void {
  checkNameMap("topics", args.topics, TOPIC_NAME);
  if (!NAME_PREFIX.test(args.namePrefix)) {
    throw new Error(`namePrefix must be ${NAME_PREFIX_RULE}, got '${args.namePrefix}'`);
  }
  const workers = args.workers ?? 2;
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be >= 1, got ${workers}`);
  const retries = args.maxRetries ?? 2;
  if (!Number.isInteger(retries) || retries < 0) throw new Error(`maxRetries must be >= 0, got ${retries}`);
  if (args.airflow.mode === "create" && args.airflow.subnetIds.length !== 2) {
    throw new Error(`MWAA takes exactly two private subnets, got ${args.airflow.subnetIds.length}`);
  }
}

/** The batch's tables (silver/, gold/, quarantine) in the lake: its role may write only here. */
export const BATCH_TABLES_PREFIX = `${LAKE_PREFIXES.delta}batch/`;

/** Secrets Manager names under the environment's prefix, as MWAA's SecretsManagerBackend looks them up. */
export function airflowSecretNames(namePrefix: string): {
  prefix: string;
  connectionsPrefix: string;
  variablesPrefix: string;
  connection: string;
  jobIdVariable: string;
} {
  const prefix = `airflow/${namePrefix}/`;
  return {
    prefix,
    connectionsPrefix: `${prefix}connections`,
    variablesPrefix: `${prefix}variables`,
    connection: `${prefix}connections/${DATABRICKS_CONNECTION}`,
    jobIdVariable: `${prefix}variables/${JOB_ID_VARIABLE}`,
  };
}

/** The Airflow configuration that points MWAA at this stack's secrets. */
export function airflowSecretsBackendOptions(namePrefix: string): Record<string, string> {
  const names = airflowSecretNames(namePrefix);
  return {
    "secrets.backend": "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
    "secrets.backend_kwargs": JSON.stringify({
      connections_prefix: names.connectionsPrefix,
      variables_prefix: names.variablesPrefix,
    }),
  };
}

/** The Databricks connection as Airflow reads it from Secrets Manager (JSON form): OAuth M2M. */
export function databricksConnectionJson(host: string, clientId: string, clientSecret: string): string {
  return JSON.stringify({
    conn_type: "databricks",
    host,
    login: clientId,
    password: clientSecret,
    extra: { service_principal_oauth: true },
  });
}

export class BatchLakehouse extends pulumi.ComponentResource {
  public readonly jobId: pulumi.Output<string>;
  /** The Databricks job itself. */
  public readonly job: databricks.Job;
  public readonly jobUrl: pulumi.Output<string>;
  public readonly instanceProfileArn: pulumi.Output<string>;
  public readonly airflowEnvironmentName: pulumi.Output<string>;
  /** MWAA's webserver URL (undefined with an existing environment). */
  public readonly airflowWebserverUrl: pulumi.Output<string | undefined>;
  public readonly dagBucketName: pulumi.Output<string>;
  /** When Airflow's Databricks OAuth secret ends (RFC 3339). */
  public readonly airflowSecretExpireTime: pulumi.Output<string>;
  /** Delta root of the silver, gold and quarantine tables. */
  public readonly tablesLocation: pulumi.Output<string>;

  constructor(name: string, args: BatchLakehouseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pinterest-pipeline:lakehouse:BatchLakehouse", name, {}, opts);
    validateBatchLakehouseArgs(args);
    const tags = args.tags ?? {};
    const parent = { parent: this };
    const identity = aws.getCallerIdentityOutput({}, parent);
    const region = aws.getRegionOutput({}, parent);
    const workspace = databricks.getCurrentConfigOutput({}, parent);
    const secretNames = airflowSecretNames(args.namePrefix);

    // --- S3 access for the job cluster: an instance profile limited to the lake prefixes it uses.
    const { instanceProfileArn, runnerMayUse } = jobInstanceProfile(this, `${name}-job`, {
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
      nodeType: args.nodeType ?? "m5d.large",
      workers: args.workers ?? 2,
      spot: true,
      tags,
    };
    const { policyId, runnerMayUsePolicy } = jobClusterPolicy(this, `${args.namePrefix}-batch`, {
      runner: args.code.runners.batch,
      instanceProfileArn,
      cluster,
    });
    // Airflow's own identity: it may only run the batch job (CAN_MANAGE_RUN below), never act as the job.
    const airflowPrincipal = new databricks.ServicePrincipal(
      `${name}-airflow`,
      { displayName: `${args.namePrefix}-airflow`, allowClusterCreate: false },
      parent,
    );
    // Its OAuth secret, with a lifetime: replaced before it ends (docs/operations.md, "Rotate secrets"); the
    // alarm topic is told ahead of the end (Observability's secret-expiry notice).
    const principalSecret = new databricks.ServicePrincipalSecret(
      `${name}-airflow`,
      {
        servicePrincipalId: airflowPrincipal.id,
        lifetime: `${(args.secretLifetimeDays ?? 90) * 86400}s`,
      },
      { parent: this, additionalSecretOutputs: ["secret"] },
    );
    this.airflowSecretExpireTime = principalSecret.expireTime;

    const lakeUri = pulumi.interpolate`s3://${args.lakeBucketName}`;
    this.tablesLocation = pulumi.interpolate`${lakeUri}/${BATCH_TABLES_PREFIX.replace(/\/$/, "")}`;
    const job = new databricks.Job(
      `${name}-batch`,
      {
        name: `${args.namePrefix}-batch`,
        description:
          "Daily batch: raw topics -> silver, quarantine and gold Delta tables (jobs/src/pinterest_jobs/batch.py). Triggered by Airflow.",
        timeoutSeconds: (args.timeoutMinutes ?? 120) * 60,
        ...jobRunSettings({
          clusterKey: "batch",
          runner: args.code.runners.batch,
          policyId,
          alertEmail: args.alertEmail,
          cluster: { ...cluster, instanceProfileArn },
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
            maxRetries: args.maxRetries ?? 2,
            minRetryIntervalMillis: 5 * 60 * 1000,
            retryOnTimeout: true,
          },
        ],
        tags,
      },
      // A job runs as the runner: it starts (the stream's at once, being continuous) only once the runner may
      // read the code and use the instance profile.
      { parent: this, dependsOn: [...args.code.readyToRun, runnerMayUse, runnerMayUsePolicy] },
    );
    new databricks.Permissions(
      `${name}-batch`,
      {
        jobId: job.id,
        accessControls: [
          { servicePrincipalName: airflowPrincipal.applicationId, permissionLevel: "CAN_MANAGE_RUN" },
        ],
      },
      parent,
    );

    // --- Airflow reads the job id and the connection from Secrets Manager.
    const variable = new aws.secretsmanager.Secret(
      `${name}-job-id`,
      {
        name: secretNames.jobIdVariable,
        description: `Airflow Variable ${JOB_ID_VARIABLE}: id of the ${args.namePrefix}-batch Databricks job`,
        kmsKeyId: args.secretsKmsKeyArn,
        recoveryWindowInDays: 7,
        tags,
      },
      parent,
    );
    new aws.secretsmanager.SecretVersion(
      `${name}-job-id`,
      { secretId: variable.id, secretString: job.id },
      parent,
    );
    const connection = new aws.secretsmanager.Secret(
      `${name}-databricks-connection`,
      {
        name: secretNames.connection,
        description: `Airflow connection ${DATABRICKS_CONNECTION}: the ${args.namePrefix}-airflow service principal (OAuth)`,
        kmsKeyId: args.secretsKmsKeyArn,
        recoveryWindowInDays: 7,
        tags,
      },
      parent,
    );
    new aws.secretsmanager.SecretVersion(
      `${name}-databricks-connection`,
      {
        secretId: connection.id,
        secretString: pulumi.secret(
          pulumi
            .all([workspace.host, airflowPrincipal.applicationId, principalSecret.secret])
            .apply(([host, id, secret]) => databricksConnectionJson(host, id, secret)),
        ),
      },
      parent,
    );

    if (args.airflow.mode === "existing") {
      new aws.s3.BucketObjectv2(
        `${name}-dag`,
        {
          bucket: args.airflow.dagBucketName,
          key: `dags/${path.basename(BATCH_DAG)}`,
          source: new pulumi.asset.FileAsset(BATCH_DAG),
          serverSideEncryption: "AES256",
          tags,
        },
        parent,
      );
      this.airflowEnvironmentName = pulumi.output(args.airflow.environmentName);
      this.airflowWebserverUrl = pulumi.output(undefined);
      this.dagBucketName = pulumi.output(args.airflow.dagBucketName);
    } else {
      const airflow = args.airflow;
      const environmentName = `${args.namePrefix}-airflow`;
      const dagBucket = secureBucket(this, `${name}-dags`, {
        // MWAA only accepts source buckets whose name starts with "airflow-".
        bucketPrefix: `airflow-${args.namePrefix}-`,
        tags,
        encryption: { sseAlgorithm: "AES256" },
        lifecycle: [
          {
            id: "expire-old-dag-versions",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: 90 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
        ],
      });
      new aws.s3.BucketPolicy(
        `${name}-dags`,
        {
          bucket: dagBucket.bucket.id,
          policy: dagBucket.bucket.arn.apply((arn) => policyJson(tlsOnlyBucketPolicy(arn))),
        },
        { parent: this, dependsOn: [dagBucket.publicAccessBlock] },
      );
      const dag = new aws.s3.BucketObjectv2(
        `${name}-dag`,
        {
          bucket: dagBucket.bucket.id,
          key: `dags/${path.basename(BATCH_DAG)}`,
          source: new pulumi.asset.FileAsset(BATCH_DAG),
          tags,
        },
        parent,
      );
      const requirements = new aws.s3.BucketObjectv2(
        `${name}-requirements`,
        {
          bucket: dagBucket.bucket.id,
          key: "requirements.txt",
          source: new pulumi.asset.FileAsset(MWAA_REQUIREMENTS),
          tags,
        },
        // MWAA takes requirements.txt by object version: written before versioning is on, it has none.
        { parent: this, dependsOn: [dagBucket.versioning] },
      );

      const sg = new aws.ec2.SecurityGroup(
        `${name}-airflow`,
        { vpcId: airflow.vpcId, description: "MWAA: its own components, and HTTPS out", tags },
        parent,
      );
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-airflow-self`,
        {
          securityGroupId: sg.id,
          referencedSecurityGroupId: sg.id,
          ipProtocol: "-1",
          description: "MWAA components talk to each other (AWS requires a self-referencing rule)",
        },
        parent,
      );
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-airflow-self`,
        {
          securityGroupId: sg.id,
          referencedSecurityGroupId: sg.id,
          ipProtocol: "-1",
          description: "MWAA components talk to each other",
        },
        parent,
      );
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-airflow-https`,
        {
          securityGroupId: sg.id,
          cidrIpv4: "0.0.0.0/0",
          ipProtocol: "tcp",
          fromPort: 443,
          toPort: 443,
          description: "HTTPS to AWS APIs and the Databricks workspace (through NAT)",
        },
        parent,
      );

      const { role: executionRole, policy: executionPolicy } = serviceRole(this, `${name}-airflow`, {
        description: `MWAA execution role of ${environmentName}`,
        // MWAA sends aws:SourceArn, the environment's ARN (its confused-deputy page).
        trust: pulumi.all([identity.accountId, region.region]).apply(([account, r]) => ({
          Version: "2012-10-17" as const,
          Statement: ["airflow.amazonaws.com", "airflow-env.amazonaws.com"].flatMap(
            (service) =>
              serviceTrustPolicy(
                service,
                account,
                `arn:aws:airflow:${r}:${account}:environment/${environmentName}`,
              ).Statement,
          ),
        })),
        policy: pulumi
          .all([identity.accountId, region.region, dagBucket.bucket.arn, args.secretsKmsKeyArn])
          .apply(([account, regionName, dagBucketArn, key]) =>
            mwaaExecutionPolicy({
              region: regionName,
              account,
              environmentName,
              dagBucketArn,
              secretsPrefix: secretNames.prefix,
              secretsKmsKeyArn: key,
            }),
          ),
        tags,
      });
      const logs = {
        enabled: true,
        logLevel: "INFO",
      };
      const environment = new aws.mwaa.Environment(
        `${name}-airflow`,
        {
          name: environmentName,
          airflowVersion: airflow.version,
          environmentClass: airflow.environmentClass ?? "mw1.small",
          maxWorkers: airflow.maxWorkers ?? 2,
          minWorkers: 1,
          executionRoleArn: executionRole.arn,
          sourceBucketArn: dagBucket.bucket.arn,
          dagS3Path: "dags/",
          requirementsS3Path: requirements.key,
          requirementsS3ObjectVersion: requirements.versionId,
          webserverAccessMode:
            (airflow.webserverAccess ?? "private") === "private" ? "PRIVATE_ONLY" : "PUBLIC_ONLY",
          networkConfiguration: { securityGroupIds: [sg.id], subnetIds: airflow.subnetIds },
          airflowConfigurationOptions: {
            ...airflowSecretsBackendOptions(args.namePrefix),
            "core.load_examples": "false",
          },
          loggingConfiguration: {
            dagProcessingLogs: logs,
            schedulerLogs: logs,
            taskLogs: logs,
            webserverLogs: { enabled: true, logLevel: "WARNING" },
            workerLogs: logs,
          },
          weeklyMaintenanceWindowStart: "SUN:03:00",
          tags,
        },
        // MWAA requires a versioned source bucket (mwaa-s3-bucket.html).
        { parent: this, dependsOn: [executionPolicy, dag, dagBucket.versioning] },
      );
      this.airflowEnvironmentName = environment.name;
      this.airflowWebserverUrl = environment.webserverUrl.apply((u) => (u ? `https://${u}` : undefined));
      this.dagBucketName = dagBucket.bucket.bucket;
    }

    this.job = job;
    this.jobId = job.id;
    this.jobUrl = job.url;
    this.instanceProfileArn = instanceProfileArn;
    this.registerOutputs({
      jobId: this.jobId,
      jobUrl: this.jobUrl,
      instanceProfileArn: this.instanceProfileArn,
      airflowEnvironmentName: this.airflowEnvironmentName,
      airflowWebserverUrl: this.airflowWebserverUrl,
      dagBucketName: this.dagBucketName,
      tablesLocation: this.tablesLocation,
    });
  }
}
