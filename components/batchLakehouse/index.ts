/**
 * BatchLakehouse: the daily batch half. The jobs/ package and its notebook uploaded to the Databricks
 * workspace; a Databricks job on a job cluster at the pinned runtime (retries, failure email) that reaches
 * the lake through an instance profile (no keys); a service principal that owns the runs; and Airflow (a
 * new MWAA environment, or an existing one) running dags/pinterest_batch.py, which finds the job id and the
 * Databricks connection in Secrets Manager (MWAA's secrets backend). The connection's credential is the
 * service principal's OAuth secret: created here, held by Pulumi as a secret, never in a file.
 *
 * Its children: DatabricksBatchJob (the job and Airflow's principal), AirflowSecrets (the job id and the
 * connection in Secrets Manager) and AirflowEnvironment (MWAA, or the DAG in an existing environment's
 * bucket). Their resources were BatchLakehouse's own before the split; aliases keep their URNs
 * (components/moved.ts). Settings come resolved (config.ts holds every default).
 */
import * as aws from "@pulumi/aws";
import * as databricks from "@pulumi/databricks";
import * as pulumi from "@pulumi/pulumi";
import { JobCode } from "../databricksJobs";
import { EventKind } from "../events";
import { checkNameMap, NAME_PREFIX, NAME_PREFIX_RULE, TOPIC_NAME } from "../names";
import { QualityPolicy } from "../quality";
import { AirflowArgs, AirflowEnvironment } from "./airflowEnvironment";
import { AirflowSecrets } from "./airflowSecrets";
import { DatabricksBatchJob } from "./databricksBatchJob";

export {
  type AirflowArgs,
  AirflowEnvironment,
  type AirflowEnvironmentArgs,
  airflowDagBucket,
  airflowSecretsBackendOptions,
  BATCH_DAG,
  BATCH_DAG_ID,
  type DagBucket,
  MWAA_REQUIREMENTS,
} from "./airflowEnvironment";
export {
  AirflowSecrets,
  type AirflowSecretsArgs,
  airflowSecretNames,
  DATABRICKS_CONNECTION,
  databricksConnectionJson,
  JOB_ID_VARIABLE,
} from "./airflowSecrets";
export { BATCH_TABLES_PREFIX, DatabricksBatchJob, type DatabricksBatchJobArgs } from "./databricksBatchJob";

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
  /** Node type of the job cluster (config `batchNodeType`). */
  nodeType: string;
  /** Workers of the job cluster (config `batchWorkers`). */
  workers: number;
  /** Retries of the batch task (config `batchMaxRetries`). */
  maxRetries: number;
  /** Minutes before a run is stopped (config `batchTimeoutMinutes`). */
  timeoutMinutes: number;
  /** Emailed when a run fails. Default: nobody. */
  alertEmail?: string;
  /** Name of the workspace's cross-account role, granted iam:PassRole on the job's role. Default: none. */
  databricksCrossAccountRoleName?: string;
  airflow: AirflowArgs;
  tags?: Record<string, string>;
  /** Lifetime of Airflow's Databricks OAuth secret, days, at most 730 (config `databricksSecretLifetimeDays`). */
  secretLifetimeDays: number;
}

export function validateBatchLakehouseArgs(args: Omit<BatchLakehouseArgs, "code">): void {
  checkNameMap("topics", args.topics, TOPIC_NAME);
  if (!NAME_PREFIX.test(args.namePrefix)) {
    throw new Error(`namePrefix must be ${NAME_PREFIX_RULE}, got '${args.namePrefix}'`);
  }
  const workers = args.workers;
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be >= 1, got ${workers}`);
  const retries = args.maxRetries;
  if (!Number.isInteger(retries) || retries < 0) throw new Error(`maxRetries must be >= 0, got ${retries}`);
  if (args.airflow.mode === "create" && args.airflow.subnetIds.length !== 2) {
    throw new Error(`MWAA takes exactly two private subnets, got ${args.airflow.subnetIds.length}`);
  }
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
  /** Airflow's service principal in Databricks (CAN_MANAGE_RUN on the job only). */
  public readonly servicePrincipal: databricks.ServicePrincipal;
  /** The MWAA environment and its DAG bucket (mode "create" only). */
  public readonly environment?: aws.mwaa.Environment;
  public readonly dagBucket?: aws.s3.Bucket;
  /** The children: the job and Airflow's principal, the secrets Airflow reads, Airflow itself. */
  public readonly databricksJob: DatabricksBatchJob;
  public readonly airflowSecrets: AirflowSecrets;
  public readonly airflowEnvironment: AirflowEnvironment;

  constructor(name: string, args: BatchLakehouseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pinterest-pipeline:lakehouse:BatchLakehouse", name, {}, opts);
    validateBatchLakehouseArgs(args);
    const tags = args.tags ?? {};
    const parent = { parent: this };

    this.databricksJob = new DatabricksBatchJob(name, { ...args, tags }, parent);
    this.airflowSecrets = new AirflowSecrets(
      name,
      {
        namePrefix: args.namePrefix,
        jobId: this.databricksJob.jobId,
        clientId: this.databricksJob.servicePrincipal.applicationId,
        clientSecret: this.databricksJob.servicePrincipalSecret.secret,
        secretsKmsKeyArn: args.secretsKmsKeyArn,
        tags,
      },
      parent,
    );
    this.airflowEnvironment = new AirflowEnvironment(
      name,
      {
        namePrefix: args.namePrefix,
        airflow: args.airflow,
        secretsKmsKeyArn: args.secretsKmsKeyArn,
        tags,
      },
      parent,
    );

    this.job = this.databricksJob.job;
    this.jobId = this.databricksJob.jobId;
    this.jobUrl = this.databricksJob.jobUrl;
    this.servicePrincipal = this.databricksJob.servicePrincipal;
    this.airflowSecretExpireTime = this.databricksJob.secretExpireTime;
    this.tablesLocation = this.databricksJob.tablesLocation;
    this.instanceProfileArn = this.databricksJob.instanceProfileArn;
    this.environment = this.airflowEnvironment.environment;
    this.dagBucket = this.airflowEnvironment.dagBucket;
    this.airflowEnvironmentName = this.airflowEnvironment.environmentName;
    this.airflowWebserverUrl = this.airflowEnvironment.webserverUrl;
    this.dagBucketName = this.airflowEnvironment.dagBucketName;
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
