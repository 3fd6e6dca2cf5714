/**
 * KinesisStreams: the streaming path's data streams, one per record kind, KMS-encrypted, on-demand or with a
 * fixed shard count. A child of KinesisIngest; its streams were created under KinesisIngest before it
 * existed and keep that URN by alias (components/moved.ts).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EVENT_KINDS, EventKind } from "../events";
import { movedInto } from "../moved";
import { STREAM_MAX_RECORD_SIZE_KIB } from "./api";

export interface KinesisStreamsArgs {
  /** The stream of each record kind (components/names.ts `streamNames`). */
  streams: Record<EventKind, string>;
  mode: "on-demand" | "provisioned";
  /** Shards per stream; used only with "provisioned". */
  shardCount?: number;
  /** Hours the streams keep records. */
  retentionHours: pulumi.Input<number>;
  /** KMS key for server-side encryption (an ARN or an alias). */
  kmsKeyArn: pulumi.Input<string>;
  tags: Record<string, string>;
}

export class KinesisStreams extends pulumi.ComponentResource {
  /** The streams, in EVENT_KINDS order. */
  public readonly streams: aws.kinesis.Stream[];
  /** Each kind's stream: read by kind, never by position. */
  public readonly streamOf: Record<EventKind, aws.kinesis.Stream>;
  /** Their ARNs, in EVENT_KINDS order. */
  public readonly arns: pulumi.Output<string[]>;

  constructor(name: string, args: KinesisStreamsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pinterest-pipeline:ingest:KinesisStreams", name, {}, opts);
    const moved = movedInto(this, opts?.parent);
    const provisioned = args.mode === "provisioned";

    this.streams = EVENT_KINDS.map(
      (kind) =>
        new aws.kinesis.Stream(
          `${name}-${kind}`,
          {
            name: args.streams[kind],
            streamModeDetails: { streamMode: provisioned ? "PROVISIONED" : "ON_DEMAND" },
            ...(provisioned ? { shardCount: args.shardCount } : {}),
            retentionPeriod: args.retentionHours,
            maxRecordSizeInKib: STREAM_MAX_RECORD_SIZE_KIB,
            encryptionType: "KMS",
            kmsKeyId: args.kmsKeyArn,
            shardLevelMetrics: [
              "IncomingRecords",
              "WriteProvisionedThroughputExceeded",
              "IteratorAgeMilliseconds",
            ],
            tags: args.tags,
          },
          moved,
        ),
    );
    this.streamOf = Object.fromEntries(EVENT_KINDS.map((k, i) => [k, this.streams[i]])) as Record<
      EventKind,
      aws.kinesis.Stream
    >;
    this.arns = pulumi.all(this.streams.map((s) => s.arn));
    this.registerOutputs({ arns: this.arns });
  }
}
