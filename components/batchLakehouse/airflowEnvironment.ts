/**
 * AirflowEnvironment: where dags/pinterest_batch.py runs. With mode "create", a new MWAA environment (private
 * or public webserver, pinned Airflow and Databricks provider, execution role narrowed from AWS's documented
 * policy, self-referencing security group) reading its DAG and requirements.txt from a versioned private
 * `airflow-` bucket (airflowDagBucket); with mode "existing", the DAG uploaded to that environment's bucket.
 * Either way MWAA's secrets backend finds the job id and the connection (AirflowSecrets).
 */
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyJson, serviceTrustPolicy, tlsOnlyBucketPolicy } from "../defaults";
import { REPO_ROOT } from "../databricksJobs";
import { movedInto, ParentOrOptions } from "../moved";
import { secureBucket } from "../secureBucket";
import { serviceRole } from "../serviceRole";
import { airflowSecretNames } from "./airflowSecrets";
import { mwaaExecutionPolicy } from "./policies";

export const BATCH_DAG = path.join(REPO_ROOT, "dags", "pinterest_batch.py");
export const MWAA_REQUIREMENTS = path.join(REPO_ROOT, "dags", "mwaa-requirements.txt");
/** The DAG's id: its alarm and dashboard name it. */
export const BATCH_DAG_ID = "pinterest_batch_daily";

export type AirflowArgs =
  | {
      mode: "create";
      /** MWAA Airflow version, e.g. "2.10.3". */
      version: string;
      /** mw1.small etc. (config `mwaaEnvironmentClass`). */
      environmentClass: string;
      /** Most workers (config `mwaaMaxWorkers`). */
      maxWorkers: number;
      /** "private" (VPC only) or "public" (internet, still IAM-authenticated) (config `mwaaWebserverAccess`). */
      webserverAccess: "private" | "public";
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

export type DagBucket = ReturnType<typeof secureBucket>;

/** A new environment's DAG bucket, under `parent`. */
export function airflowDagBucket(
  parent: ParentOrOptions,
  name: string,
  namePrefix: string,
  tags: Record<string, string>,
): DagBucket {
  return secureBucket(parent, `${name}-dags`, {
    // MWAA only accepts source buckets whose name starts with "airflow-".
    bucketPrefix: `airflow-${namePrefix}-`,
    forceDestroy: false,
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
}

export interface AirflowEnvironmentArgs {
  /** Prefix of physical names (the environment, the DAG bucket) and of the secrets' names. */
  namePrefix: string;
  airflow: AirflowArgs;
  /** KMS key of the secrets: the execution role may decrypt them. */
  secretsKmsKeyArn: pulumi.Input<string>;
  tags: Record<string, string>;
}

export class AirflowEnvironment extends pulumi.ComponentResource {
  public readonly environmentName: pulumi.Output<string>;
  /** MWAA's webserver URL (undefined with an existing environment). */
  public readonly webserverUrl: pulumi.Output<string | undefined>;
  public readonly dagBucketName: pulumi.Output<string>;
  /** The uploaded DAG. */
  public readonly dag: aws.s3.BucketObjectv2;
  /** With mode "create": the environment, its DAG bucket, execution role and security group. */
  public readonly environment?: aws.mwaa.Environment;
  public readonly dagBucket?: aws.s3.Bucket;
  public readonly executionRole?: aws.iam.Role;
  public readonly securityGroup?: aws.ec2.SecurityGroup;

  constructor(name: string, args: AirflowEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pinterest-pipeline:lakehouse:AirflowEnvironment", name, {}, opts);
    // Created under BatchLakehouse before this component existed: aliased to keep their URNs.
    const moved = movedInto(this, opts?.parent);
    const { tags } = args;

    if (args.airflow.mode === "existing") {
      this.dag = new aws.s3.BucketObjectv2(
        `${name}-dag`,
        {
          bucket: args.airflow.dagBucketName,
          key: `dags/${path.basename(BATCH_DAG)}`,
          source: new pulumi.asset.FileAsset(BATCH_DAG),
          serverSideEncryption: "AES256",
          tags,
        },
        moved,
      );
      this.environmentName = pulumi.output(args.airflow.environmentName);
      this.webserverUrl = pulumi.output(undefined);
      this.dagBucketName = pulumi.output(args.airflow.dagBucketName);
    } else {
      const airflow = args.airflow;
      const dagBucket = airflowDagBucket(moved, name, args.namePrefix, tags);
      const identity = aws.getCallerIdentityOutput({}, { parent: this });
      const region = aws.getRegionOutput({}, { parent: this });
      const environmentName = `${args.namePrefix}-airflow`;
      new aws.s3.BucketPolicy(
        `${name}-dags`,
        {
          bucket: dagBucket.bucket.id,
          policy: dagBucket.bucket.arn.apply((arn) => policyJson(tlsOnlyBucketPolicy(arn))),
        },
        { ...moved, dependsOn: [dagBucket.publicAccessBlock] },
      );
      const dag = new aws.s3.BucketObjectv2(
        `${name}-dag`,
        {
          bucket: dagBucket.bucket.id,
          key: `dags/${path.basename(BATCH_DAG)}`,
          source: new pulumi.asset.FileAsset(BATCH_DAG),
          tags,
        },
        moved,
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
        { ...moved, dependsOn: [dagBucket.versioning] },
      );

      const sg = new aws.ec2.SecurityGroup(
        `${name}-airflow`,
        { vpcId: airflow.vpcId, description: "MWAA: its own components, and HTTPS out", tags },
        moved,
      );
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-airflow-self`,
        {
          securityGroupId: sg.id,
          referencedSecurityGroupId: sg.id,
          ipProtocol: "-1",
          description: "MWAA components talk to each other (AWS requires a self-referencing rule)",
        },
        moved,
      );
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-airflow-self`,
        {
          securityGroupId: sg.id,
          referencedSecurityGroupId: sg.id,
          ipProtocol: "-1",
          description: "MWAA components talk to each other",
        },
        moved,
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
        moved,
      );

      const { role: executionRole, policy: executionPolicy } = serviceRole(moved, `${name}-airflow`, {
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
              secretsPrefix: airflowSecretNames(args.namePrefix).prefix,
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
          environmentClass: airflow.environmentClass,
          maxWorkers: airflow.maxWorkers,
          minWorkers: 1,
          executionRoleArn: executionRole.arn,
          sourceBucketArn: dagBucket.bucket.arn,
          dagS3Path: "dags/",
          requirementsS3Path: requirements.key,
          requirementsS3ObjectVersion: requirements.versionId,
          webserverAccessMode: airflow.webserverAccess === "private" ? "PRIVATE_ONLY" : "PUBLIC_ONLY",
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
        { ...moved, dependsOn: [executionPolicy, dag, dagBucket.versioning] },
      );
      this.dag = dag;
      this.environment = environment;
      this.dagBucket = dagBucket.bucket;
      this.executionRole = executionRole;
      this.securityGroup = sg;
      this.environmentName = environment.name;
      this.webserverUrl = environment.webserverUrl.apply((u) => (u ? `https://${u}` : undefined));
      this.dagBucketName = dagBucket.bucket.bucket;
    }

    this.registerOutputs({
      environmentName: this.environmentName,
      webserverUrl: this.webserverUrl,
      dagBucketName: this.dagBucketName,
    });
  }
}
