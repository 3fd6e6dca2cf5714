/**
 * KinesisIngest: the streaming path's front door. Three KMS-encrypted Kinesis streams (KinesisStreams,
 * streams.ts) and an API Gateway REST API in front of them by direct service integration, no Lambda
 * (KinesisRestApi, restApi.ts), with the original's paths and bodies (api.ts), JSON Schema request validation,
 * an API key and usage-plan throttling, access logs and readable gateway errors. The API's role may put
 * records to and describe exactly the three streams.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EVENT_KINDS, EventKind } from "../events";
import { checkNameMap, STREAM_NAME } from "../names";
import { KinesisRestApi } from "./restApi";
import { KinesisStreams } from "./streams";

export { kinesisApiPolicy, KinesisRestApi } from "./restApi";
export type { KinesisRestApiArgs } from "./restApi";
export { KinesisStreams } from "./streams";
export type { KinesisStreamsArgs } from "./streams";

export interface KinesisIngestArgs {
  /** The stream of each record kind (components/names.ts `streamNames`). Required. */
  streams: Record<EventKind, string>;
  /** "on-demand" or "provisioned" (config `kinesisMode`). */
  mode: "on-demand" | "provisioned";
  /** Shards per stream; required with "provisioned", not allowed with "on-demand". */
  shardCount?: number;
  /** Hours the streams keep records (config `kinesisRetentionHours`). */
  retentionHours: pulumi.Input<number>;
  /** KMS key for server-side encryption. Default: AWS's managed key for Kinesis (AWS_MANAGED_KINESIS_KEY). */
  kmsKeyArn?: pulumi.Input<string>;
  /** Retention of the API's access logs (config `logRetentionDays`). */
  logRetentionDays: pulumi.Input<number>;
  /** KMS key encrypting the access log group (the stack's logs key). */
  logKmsKeyArn: pulumi.Input<string>;
  /** Steady requests per second (config `ingestThrottleRateLimit`). */
  throttleRateLimit: pulumi.Input<number>;
  /** Burst above the steady rate (config `ingestThrottleBurstLimit`). */
  throttleBurstLimit: pulumi.Input<number>;
  /** The stage waits for this (the account's API Gateway CloudWatch role). Default: none. */
  apiGatewayAccount?: pulumi.Resource;
  /** Tags for every resource. Default: none. */
  tags?: Record<string, string>;
}

/** AWS's managed key for Kinesis: the streams' encryption when no key of ours is given. */
export const AWS_MANAGED_KINESIS_KEY = "alias/aws/kinesis";

export function validateKinesisIngestArgs(
  args: Pick<KinesisIngestArgs, "streams" | "mode" | "shardCount">,
): void {
  checkNameMap("streams", args.streams, STREAM_NAME);
  const mode = args.mode;
  if (mode === "provisioned" && args.shardCount === undefined)
    throw new Error("shardCount is required when mode is provisioned");
  if (mode === "on-demand" && args.shardCount !== undefined)
    throw new Error("shardCount and mode on-demand are mutually exclusive");
  if (args.shardCount !== undefined && (!Number.isInteger(args.shardCount) || args.shardCount < 1)) {
    throw new Error(`shardCount must be a positive integer, got ${args.shardCount}`);
  }
}

export class KinesisIngest extends pulumi.ComponentResource {
  /** The stream of each record kind. */
  public readonly streamNames: Record<EventKind, string>;
  public readonly streamArns: pulumi.Output<string[]>;
  /** Base URL; clients PUT to `<url>/streams/<stream>/record(s)`. */
  public readonly apiUrl: pulumi.Output<string>;
  /** The API and its stage: the edge (keys, usage plans, WAF) attaches to them. */
  public readonly api: aws.apigateway.RestApi;
  public readonly stage: aws.apigateway.Stage;
  /** The three streams, in EVENT_KINDS order. */
  public readonly streams: aws.kinesis.Stream[];
  /** Each kind's stream name: read by kind, never by position. */
  public readonly streamNameOf: Record<EventKind, pulumi.Output<string>>;
  /** What the alarms and the dashboard watch (CloudWatch dimensions). */
  public readonly metrics: { apiName: pulumi.Output<string>; apiStage: pulumi.Output<string> };
  /** The role API Gateway assumes to call Kinesis. */
  public readonly role: aws.iam.Role;
  /** The two children: the streams, and the REST API in front of them. */
  public readonly dataStreams: KinesisStreams;
  public readonly restApi: KinesisRestApi;

  constructor(name: string, args: KinesisIngestArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pinterest-pipeline:ingest:KinesisIngest", name, {}, opts);
    validateKinesisIngestArgs(args);
    const tags = args.tags ?? {};

    const dataStreams = new KinesisStreams(
      name,
      {
        streams: args.streams,
        mode: args.mode,
        shardCount: args.shardCount,
        retentionHours: args.retentionHours,
        kmsKeyArn: args.kmsKeyArn ?? AWS_MANAGED_KINESIS_KEY,
        tags,
      },
      { parent: this },
    );
    const restApi = new KinesisRestApi(
      name,
      {
        streamArns: dataStreams.arns,
        kmsKeyArn: args.kmsKeyArn,
        logRetentionDays: args.logRetentionDays,
        logKmsKeyArn: args.logKmsKeyArn,
        throttleRateLimit: args.throttleRateLimit,
        throttleBurstLimit: args.throttleBurstLimit,
        apiGatewayAccount: args.apiGatewayAccount,
        tags,
      },
      { parent: this },
    );

    this.dataStreams = dataStreams;
    this.restApi = restApi;
    this.streamNames = { ...args.streams };
    this.streamArns = dataStreams.arns;
    this.streams = dataStreams.streams;
    this.streamNameOf = Object.fromEntries(
      EVENT_KINDS.map((k) => [k, dataStreams.streamOf[k].name]),
    ) as Record<EventKind, pulumi.Output<string>>;
    this.api = restApi.api;
    this.stage = restApi.stage;
    this.role = restApi.role;
    this.apiUrl = restApi.url;
    this.metrics = { apiName: restApi.api.name, apiStage: restApi.stage.stageName };
    this.registerOutputs({ streamNames: this.streamNames, streamArns: this.streamArns, apiUrl: this.apiUrl });
  }
}
