/**
 * StreamLakehouse: the real-time half. A continuous Databricks job runs jobs/notebooks/stream.py (which calls
 * pinterest_jobs.stream: the batch's cleaning on each micro-batch, merged exactly once into Delta) on a job
 * cluster whose instance profile may read exactly the three streams and write only the stream's tables and
 * checkpoints in the lake.
 */
import * as databricks from "@pulumi/databricks";
import * as pulumi from "@pulumi/pulumi";
import { PolicyStatement } from "../defaults";
import {
  JobCode,
  jobClusterPolicy,
  jobInstanceProfile,
  jobRunSettings,
  lakeJobStatements,
} from "../databricksJobs";
import { EVENT_KINDS, EventKind } from "../events";
import { LAKE_PREFIXES } from "../lake";
import { checkNameMap, STREAM_NAME } from "../names";
import { QualityPolicy, qualityPolicyParameter } from "../quality";

/** The stream's tables and checkpoints in the lake: its role may write only here. */
export const STREAM_TABLES_PREFIX = `${LAKE_PREFIXES.delta}stream/`;
export const STREAM_CHECKPOINT_PREFIX = `${LAKE_PREFIXES.checkpoints}stream/`;
export const TRIGGER_PATTERN = /^(available-now|\d+(ms|s|m))$/;

export interface StreamLakehouseArgs {
  namePrefix: string;
  code: JobCode;
  /** The stream of each record kind. */
  streams: Record<EventKind, string>;
  streamArns: pulumi.Input<string[]>;
  /** Key the streams are encrypted with (the cluster decrypts records with it). */
  streamKmsKeyArn: pulumi.Input<string>;
  lakeBucketName: pulumi.Input<string>;
  lakeBucketArn: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string>;
  region: pulumi.Input<string>;
  sparkVersion: string;
  /** Node type of the stream's cluster (config `streamNodeType`). */
  nodeType: string;
  /** Workers of the stream's cluster (config `streamWorkers`). */
  workers: number;
  /** Micro-batch interval, "10s", "500ms", "1m" (config `streamTrigger`). */
  trigger: string;
  /** Per field rule, null the field or drop the row (config key `qualityPolicy`, resolved). */
  qualityPolicy: QualityPolicy;
  alertEmail?: string;
  databricksCrossAccountRoleName?: string;
  tags?: Record<string, string>;
}

export function validateStreamLakehouseArgs(args: Omit<StreamLakehouseArgs, "code">): void {
  checkNameMap("streams", args.streams, STREAM_NAME);
  const trigger = args.trigger;
  if (!TRIGGER_PATTERN.test(trigger) || trigger === "available-now") {
    throw new Error(`trigger must be an interval like 10s, 500ms or 1m, got '${trigger}'`);
  }
  const workers = args.workers;
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be >= 1, got ${workers}`);
}

/** Read-only access to exactly the given streams (what Databricks' kinesis source calls), and their key. */
export function kinesisReadStatements(streamArns: string[], kmsKeyArn: string): PolicyStatement[] {
  return [
    {
      Sid: "ReadStackStreams",
      Effect: "Allow",
      Action: [
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
      ],
      Resource: streamArns,
    },
    { Sid: "DecryptStreamRecords", Effect: "Allow", Action: ["kms:Decrypt"], Resource: kmsKeyArn },
  ];
}

export class StreamLakehouse extends pulumi.ComponentResource {
  public readonly jobId: pulumi.Output<string>;
  /** The Databricks job itself. */
  public readonly job: databricks.Job;
  public readonly jobUrl: pulumi.Output<string>;
  /** Location of each cleaned table, and of the quarantine. */
  public readonly tables: pulumi.Output<Record<EventKind | "quarantine", string>>;
  public readonly checkpointLocation: pulumi.Output<string>;

  constructor(name: string, args: StreamLakehouseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pinterest-pipeline:lakehouse:StreamLakehouse", name, {}, opts);
    validateStreamLakehouseArgs(args);
    const tags = args.tags ?? {};

    const { instanceProfileArn, runnerMayUse } = jobInstanceProfile(this, `${name}-stream`, {
      description: "Databricks stream job cluster: reads the three streams, writes the stream's Delta tables",
      statements: pulumi
        .all([args.streamArns, args.streamKmsKeyArn, args.lakeBucketArn, args.kmsKeyArn])
        .apply(([streams, streamKey, bucket, key]) => [
          ...kinesisReadStatements(streams, streamKey),
          ...lakeJobStatements(bucket, key, {
            read: [],
            write: [STREAM_TABLES_PREFIX, STREAM_CHECKPOINT_PREFIX],
          }),
        ]),
      crossAccountRoleName: args.databricksCrossAccountRoleName,
      runnerId: args.code.runners.stream.id,
      tags,
    });
    const cluster = {
      sparkVersion: args.sparkVersion,
      nodeType: args.nodeType,
      workers: args.workers,
      // A continuous job on spot would lose its cluster at every reclaim.
      spot: false,
      tags,
    };
    const { policyId, runnerMayUsePolicy } = jobClusterPolicy(this, `${args.namePrefix}-stream`, {
      runner: args.code.runners.stream,
      instanceProfileArn,
      cluster,
    });

    const lake = pulumi.interpolate`s3://${args.lakeBucketName}`;
    const out = pulumi.interpolate`${lake}/${STREAM_TABLES_PREFIX.replace(/\/$/, "")}`;
    this.checkpointLocation = pulumi.interpolate`${lake}/${STREAM_CHECKPOINT_PREFIX.replace(/\/$/, "")}`;
    const job = new databricks.Job(
      `${name}-stream`,
      {
        name: `${args.namePrefix}-stream`,
        description:
          "Continuous: the three Kinesis streams -> cleaned Delta tables, exactly once (jobs/src/pinterest_jobs/stream.py).",
        continuous: { pauseStatus: "UNPAUSED", taskRetryMode: "ON_FAILURE" },
        ...jobRunSettings({
          clusterKey: "stream",
          runner: args.code.runners.stream,
          policyId,
          alertEmail: args.alertEmail,
          cluster: { ...cluster, instanceProfileArn },
        }),
        tasks: [
          {
            taskKey: "stream",
            jobClusterKey: "stream",
            notebookTask: {
              notebookPath: args.code.notebookPaths.stream,
              source: "WORKSPACE",
              baseParameters: {
                streams: JSON.stringify(args.streams),
                region: args.region,
                out,
                checkpoint: this.checkpointLocation,
                trigger: args.trigger,
                quality_policy: qualityPolicyParameter(args.qualityPolicy),
              },
            },
          },
        ],
        tags,
      },
      // A job runs as the runner: it starts (the stream's at once, being continuous) only once the runner may
      // read the code and use the instance profile.
      { parent: this, dependsOn: [...args.code.readyToRun, runnerMayUse, runnerMayUsePolicy] },
    );

    this.job = job;
    this.jobId = job.id;
    this.jobUrl = job.url;
    this.tables = out.apply(
      (root) =>
        Object.fromEntries([...EVENT_KINDS, "quarantine"].map((t) => [t, `${root}/${t}`])) as Record<
          EventKind | "quarantine",
          string
        >,
    );
    this.registerOutputs({
      jobId: this.jobId,
      jobUrl: this.jobUrl,
      tables: this.tables,
      checkpointLocation: this.checkpointLocation,
    });
  }
}
