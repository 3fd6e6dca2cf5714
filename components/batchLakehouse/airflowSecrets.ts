/**
 * AirflowSecrets: what the DAG reads from Secrets Manager through MWAA's secrets backend (with a new
 * environment or an existing one). The batch job's id, as the Airflow Variable the DAG templates, and the
 * Databricks connection, whose credential is Airflow's service principal's OAuth secret, stored as a
 * Pulumi secret. Both are encrypted with the secrets key.
 */
import * as aws from "@pulumi/aws";
import * as databricks from "@pulumi/databricks";
import * as pulumi from "@pulumi/pulumi";
import { movedInto } from "../moved";

/** Airflow names the DAG reads (dags/pinterest_batch.py). */
export const JOB_ID_VARIABLE = "pinterest_batch_job_id";
export const DATABRICKS_CONNECTION = "databricks_default";

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

export interface AirflowSecretsArgs {
  /** Prefix of the secrets' names (airflowSecretNames) and of the job and principal they describe. */
  namePrefix: string;
  /** The batch job's id: the Variable's value. */
  jobId: pulumi.Input<string>;
  /** Airflow's service principal (its application id) and its OAuth secret: the connection's credential. */
  clientId: pulumi.Input<string>;
  clientSecret: pulumi.Input<string>;
  /** KMS key of the secrets, usable through Secrets Manager only. */
  secretsKmsKeyArn: pulumi.Input<string>;
  tags: Record<string, string>;
}

export class AirflowSecrets extends pulumi.ComponentResource {
  /** The Airflow Variable holding the job id (airflow/<prefix>/variables/pinterest_batch_job_id). */
  public readonly jobIdVariable: aws.secretsmanager.Secret;
  /** The Databricks connection (airflow/<prefix>/connections/databricks_default). */
  public readonly connection: aws.secretsmanager.Secret;

  constructor(name: string, args: AirflowSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pinterest-pipeline:lakehouse:AirflowSecrets", name, {}, opts);
    // Created under BatchLakehouse before this component existed: aliased to keep their URNs.
    const moved = movedInto(this, opts?.parent);
    const { tags } = args;
    const workspace = databricks.getCurrentConfigOutput({}, { parent: this });
    const secretNames = airflowSecretNames(args.namePrefix);

    const variable = new aws.secretsmanager.Secret(
      `${name}-job-id`,
      {
        name: secretNames.jobIdVariable,
        description: `Airflow Variable ${JOB_ID_VARIABLE}: id of the ${args.namePrefix}-batch Databricks job`,
        kmsKeyId: args.secretsKmsKeyArn,
        recoveryWindowInDays: 7,
        tags,
      },
      moved,
    );
    new aws.secretsmanager.SecretVersion(
      `${name}-job-id`,
      { secretId: variable.id, secretString: args.jobId },
      moved,
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
      moved,
    );
    new aws.secretsmanager.SecretVersion(
      `${name}-databricks-connection`,
      {
        secretId: connection.id,
        secretString: pulumi.secret(
          pulumi
            .all([workspace.host, args.clientId, args.clientSecret])
            .apply(([host, id, secret]) => databricksConnectionJson(host, id, secret)),
        ),
      },
      moved,
    );

    this.jobIdVariable = variable;
    this.connection = connection;
    this.registerOutputs({ jobIdVariableName: variable.name, connectionName: connection.name });
  }
}
