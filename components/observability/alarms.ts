/**
 * What the stack alarms on and what its dashboard shows, as plain data: the Observability component only
 * turns these into CloudWatch resources. Metric names and dimensions are AWS's (AWS/ApiGateway, AWS/Lambda,
 * AWS/Kinesis, AWS/Kafka, AWS/KafkaConnect, AmazonMWAA); docs/operations.md says what to do for each alarm.
 */
import { KEY_ADMIN_ACTIONS } from "../keyPolicies";
import * as pulumi from "@pulumi/pulumi";
import type { EventKind } from "../events";
import type { PolicyDocument } from "../defaults";

type Dimensions = Record<string, pulumi.Input<string>>;

export interface MetricRef {
  namespace: string;
  metricName: string;
  dimensions: Dimensions;
  stat: "Sum" | "Average" | "Maximum" | "Minimum" | "SampleCount";
}

/** One alarm: a single metric, or an expression over several (ids m0, m1, ...). */
export interface AlarmSpec {
  /** Suffix of the alarm's name and logical name, e.g. "kafka-api-5xx". */
  id: string;
  description: string;
  metrics: MetricRef[];
  /** Metric math over m0..mN; absent for a single metric. */
  expression?: string;
  comparison: "GreaterThanThreshold" | "GreaterThanOrEqualToThreshold" | "LessThanThreshold";
  threshold: number;
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  /** "breaching" where silence is the failure (nothing read, nothing succeeded). */
  treatMissingData: "notBreaching" | "breaching";
}

export interface AlarmThresholds {
  /** Share of API requests answered 5xx over 5 minutes. Default 0.01 (1%). */
  api5xxRate: number;
  /** Share of API requests answered 4xx over 5 minutes. Default 0.10 (10%): clients sending bad data. */
  api4xxRate: number;
  /** Age of the oldest unread Kinesis record. Default 600 s: the stream job is 10 minutes behind. */
  iteratorAgeSeconds: number;
  /** MSK data-log disk use per broker, percent. Default 80. */
  mskDiskPercent: number;
}

export const DEFAULT_THRESHOLDS: AlarmThresholds = {
  api5xxRate: 0.01,
  api4xxRate: 0.1,
  iteratorAgeSeconds: 600,
  mskDiskPercent: 80,
};

export interface WatchedApi {
  /** "kafka" or "kinesis": part of the alarm ids. */
  label: string;
  apiName: pulumi.Input<string>;
  stage: pulumi.Input<string>;
}

export interface Watched {
  apis: WatchedApi[];
  ingestFunctionName: pulumi.Input<string>;
  streams: Record<EventKind, pulumi.Input<string>>;
  mskClusterName: pulumi.Input<string>;
  brokerCount: number;
  connectorName: pulumi.Input<string>;
  airflowEnvironmentName: pulumi.Input<string>;
  /** The daily batch DAG's id (dags/pinterest_batch.py). */
  batchDagId: string;
}

const FIVE_MINUTES = 300;

type AlarmShape = Pick<
  AlarmSpec,
  "comparison" | "threshold" | "evaluationPeriods" | "datapointsToAlarm" | "treatMissingData"
>;

function fiveMinuteAlarm(
  shape: AlarmShape,
  id: string,
  description: string,
  metrics: MetricRef[],
  expression?: string,
): AlarmSpec {
  return {
    id,
    description,
    metrics,
    ...(expression !== undefined ? { expression } : {}),
    ...shape,
    periodSeconds: FIVE_MINUTES,
  };
}

/** Fires on any occurrence in a five-minute period (errors, throttles, failed tasks). */
const anyOccurrence = (id: string, description: string, metrics: MetricRef[], expression?: string) =>
  fiveMinuteAlarm(
    {
      comparison: "GreaterThanThreshold",
      threshold: 0,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
    },
    id,
    description,
    metrics,
    expression,
  );

/** Fires after fifteen minutes below one, silence included (nothing read, nothing running). */
const silentFor15Minutes = (id: string, description: string, metrics: MetricRef[], expression?: string) =>
  fiveMinuteAlarm(
    {
      comparison: "LessThanThreshold",
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: "breaching",
    },
    id,
    description,
    metrics,
    expression,
  );

/** Every alarm of a stack, in a stable order. */
export function alarmSpecs(w: Watched, t: AlarmThresholds = DEFAULT_THRESHOLDS): AlarmSpec[] {
  if (w.brokerCount < 1) throw new Error(`brokerCount must be at least 1, got ${w.brokerCount}`);
  const specs: AlarmSpec[] = [];
  for (const api of w.apis) {
    const dims = { ApiName: api.apiName, Stage: api.stage };
    specs.push(
      {
        id: `${api.label}-api-5xx`,
        description: `More than ${t.api5xxRate * 100}% of ${api.label} API requests failed on our side (5xx) in two of three 5-minute periods.`,
        metrics: [{ namespace: "AWS/ApiGateway", metricName: "5XXError", dimensions: dims, stat: "Average" }],
        comparison: "GreaterThanThreshold",
        threshold: t.api5xxRate,
        periodSeconds: FIVE_MINUTES,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        treatMissingData: "notBreaching",
      },
      {
        id: `${api.label}-api-4xx`,
        description: `More than ${t.api4xxRate * 100}% of ${api.label} API requests were refused (4xx) for three 5-minute periods: a client sends bad data, a wrong key, or is throttled.`,
        metrics: [{ namespace: "AWS/ApiGateway", metricName: "4XXError", dimensions: dims, stat: "Average" }],
        comparison: "GreaterThanThreshold",
        threshold: t.api4xxRate,
        periodSeconds: FIVE_MINUTES,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: "notBreaching",
      },
    );
  }
  const fn = { FunctionName: w.ingestFunctionName };
  specs.push(
    anyOccurrence(
      "ingest-fn-errors",
      "The Kafka ingest function raised errors (not answered 4xx/5xx: crashed or timed out).",
      [{ namespace: "AWS/Lambda", metricName: "Errors", dimensions: fn, stat: "Sum" }],
    ),
    anyOccurrence(
      "ingest-fn-throttles",
      "The Kafka ingest function was throttled (account or reserved concurrency reached).",
      [{ namespace: "AWS/Lambda", metricName: "Throttles", dimensions: fn, stat: "Sum" }],
    ),
  );
  const streams = Object.values<pulumi.Input<string>>(w.streams).map((s) => ({ StreamName: s }));
  const each = (metricName: string, stat: MetricRef["stat"]): MetricRef[] =>
    streams.map((dimensions) => ({ namespace: "AWS/Kinesis", metricName, dimensions, stat }));
  const ids = streams.map((_, i) => `m${i}`);
  specs.push(
    anyOccurrence(
      "kinesis-write-throttles",
      "Kinesis refused writes for lack of capacity on one of the three streams (raise shards, or use on-demand).",
      each("WriteProvisionedThroughputExceeded", "Sum"),
      `SUM([${ids.map((id) => `FILL(${id}, 0)`).join(", ")}])`,
    ),
    {
      id: "kinesis-iterator-age",
      description: `The stream job is more than ${t.iteratorAgeSeconds} s behind on one of the three streams.`,
      metrics: each("GetRecords.IteratorAgeMilliseconds", "Maximum"),
      expression: `MAX([${ids.join(", ")}])`,
      comparison: "GreaterThanThreshold",
      threshold: t.iteratorAgeSeconds * 1000,
      periodSeconds: FIVE_MINUTES,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: "notBreaching",
    },
    silentFor15Minutes(
      "stream-job-stopped",
      "Nothing has read one of the three Kinesis streams for 15 minutes: the stream job is stopped or failing.",
      each("GetRecords.Success", "Sum"),
      `MIN([${ids.map((id) => `FILL(${id}, 0)`).join(", ")}])`,
    ),
  );
  const brokers = Array.from({ length: w.brokerCount }, (_, i) => String(i + 1));
  specs.push({
    id: "msk-disk",
    description: `A Kafka broker's data disk is over ${t.mskDiskPercent}% full (shorten retention or grow the volume).`,
    metrics: brokers.map((broker) => ({
      namespace: "AWS/Kafka",
      metricName: "KafkaDataLogsDiskUsed",
      dimensions: { "Cluster Name": w.mskClusterName, "Broker ID": broker },
      stat: "Maximum",
    })),
    ...(brokers.length > 1 ? { expression: `MAX([${brokers.map((_, i) => `m${i}`).join(", ")}])` } : {}),
    comparison: "GreaterThanThreshold",
    threshold: t.mskDiskPercent,
    periodSeconds: FIVE_MINUTES,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    treatMissingData: "notBreaching",
  });
  const connector = { ConnectorName: w.connectorName };
  specs.push(
    anyOccurrence(
      "connector-failed-tasks",
      "A task of the S3 sink connector failed: Kafka records stop reaching the lake.",
      [
        {
          namespace: "AWS/KafkaConnect",
          metricName: "ErroredTaskCount",
          dimensions: connector,
          stat: "Maximum",
        },
      ],
    ),
    silentFor15Minutes(
      "connector-not-running",
      "The S3 sink connector has had no running task for 15 minutes.",
      [
        {
          namespace: "AWS/KafkaConnect",
          metricName: "RunningTaskCount",
          dimensions: connector,
          stat: "Maximum",
        },
      ],
    ),
  );
  specs.push({
    id: "batch-run-failed",
    description: `A run of the daily batch DAG ${w.batchDagId} failed (after its retries): the day's silver and gold tables are stale.`,
    metrics: [
      {
        namespace: "AmazonMWAA",
        metricName: "DAGDurationFailed",
        dimensions: { Environment: w.airflowEnvironmentName, DAG: w.batchDagId },
        stat: "SampleCount",
      },
    ],
    comparison: "GreaterThanOrEqualToThreshold",
    threshold: 1,
    periodSeconds: 3600,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: "notBreaching",
  });
  return specs;
}

/** How many metrics the alarms watch (CloudWatch bills an alarm per metric): for the cost estimate. */
export function alarmMetricCount(brokerCount: number): number {
  const none = "";
  const watched: Watched = {
    apis: [
      { label: "kafka", apiName: none, stage: none },
      { label: "kinesis", apiName: none, stage: none },
    ],
    ingestFunctionName: none,
    streams: { pin: none, geo: none, user: none },
    mskClusterName: none,
    brokerCount,
    connectorName: none,
    airflowEnvironmentName: none,
    batchDagId: none,
  };
  return alarmSpecs(watched).reduce((n, a) => n + a.metrics.length, 0);
}

/** CloudWatch's JSON for a metric widget line: [namespace, name, dimName, dimValue, ..., {stat}]. */
function line(m: MetricRef, label?: string): unknown[] {
  const dims = Object.entries(m.dimensions).flatMap(([k, v]) => [k, v]);
  return [m.namespace, m.metricName, ...dims, { stat: m.stat, ...(label ? { label } : {}) }];
}

interface Widget {
  type: "metric" | "alarm" | "text";
  x: number;
  y: number;
  width: number;
  height: number;
  properties: Record<string, unknown>;
}

/**
 * The stack's dashboard body (CloudWatch dashboard JSON), once every name is known: the alarms' state on
 * top, then one row per stage in the order data flows.
 */
export function dashboardBody(w: pulumi.Unwrap<Watched>, alarmArns: string[], region: string): string {
  const widgets: Widget[] = [];
  let y = 0;
  const row = (
    items: Array<Omit<Widget, "x" | "y" | "width" | "height"> & { width?: number }>,
    height = 6,
  ) => {
    let x = 0;
    for (const item of items) {
      const width = item.width ?? Math.floor(24 / items.length);
      widgets.push({ ...item, x, y, width, height });
      x += width;
    }
    y += height;
  };
  const metric = (title: string, metrics: unknown[][], extra: Record<string, unknown> = {}) => ({
    type: "metric" as const,
    properties: { title, region, view: "timeSeries", stacked: false, period: 300, metrics, ...extra },
  });
  row([{ type: "alarm", width: 24, properties: { title: "Alarms", alarms: alarmArns } }], 4);
  row(
    w.apis.map((api) => {
      const dims = { ApiName: api.apiName, Stage: api.stage };
      const m = (metricName: string, stat: MetricRef["stat"]) =>
        line({ namespace: "AWS/ApiGateway", metricName, dimensions: dims, stat });
      return metric(`${api.label} API: requests and errors`, [
        m("Count", "Sum"),
        m("4XXError", "Sum"),
        m("5XXError", "Sum"),
      ]);
    }),
  );
  const fn = { FunctionName: w.ingestFunctionName };
  const lambda = (metricName: string, stat: MetricRef["stat"]) =>
    line({ namespace: "AWS/Lambda", metricName, dimensions: fn, stat });
  row([
    metric("Kafka ingest function", [
      lambda("Invocations", "Sum"),
      lambda("Errors", "Sum"),
      lambda("Throttles", "Sum"),
    ]),
    metric("Kafka ingest function duration (ms)", [
      lambda("Duration", "Average"),
      lambda("Duration", "Maximum"),
    ]),
  ]);
  const kafka = (broker: string) =>
    line(
      {
        namespace: "AWS/Kafka",
        metricName: "KafkaDataLogsDiskUsed",
        dimensions: { "Cluster Name": w.mskClusterName, "Broker ID": broker },
        stat: "Maximum",
      },
      `broker ${broker}`,
    );
  const connector = (metricName: string, stat: MetricRef["stat"]) =>
    line({ namespace: "AWS/KafkaConnect", metricName, dimensions: { ConnectorName: w.connectorName }, stat });
  row([
    metric(
      "MSK data disk used (%)",
      Array.from({ length: w.brokerCount }, (_, i) => kafka(String(i + 1))),
      { yAxis: { left: { min: 0, max: 100 } } },
    ),
    metric("S3 sink connector tasks", [
      connector("RunningTaskCount", "Maximum"),
      connector("ErroredTaskCount", "Maximum"),
    ]),
    metric("S3 sink connector records sent", [connector("SinkRecordSendRate", "Average")]),
  ]);
  const kinesis = (metricName: string, stat: MetricRef["stat"]) =>
    Object.entries(w.streams).map(([kind, name]) =>
      line({ namespace: "AWS/Kinesis", metricName, dimensions: { StreamName: name }, stat }, kind),
    );
  row([
    metric("Kinesis records in", kinesis("IncomingRecords", "Sum")),
    metric("Stream job lag: iterator age (ms)", kinesis("GetRecords.IteratorAgeMilliseconds", "Maximum")),
    metric("Kinesis write throttles", kinesis("WriteProvisionedThroughputExceeded", "Sum")),
  ]);
  const dag = (metricName: string) =>
    line({
      namespace: "AmazonMWAA",
      metricName,
      dimensions: { Environment: w.airflowEnvironmentName, DAG: w.batchDagId },
      stat: "Maximum",
    });
  row([
    metric(
      `Daily batch (${w.batchDagId}) run duration (ms)`,
      [dag("DAGDurationSuccess"), dag("DAGDurationFailed")],
      {
        period: 86400,
        view: "bar",
      },
    ),
  ]);
  return JSON.stringify({ widgets });
}

/**
 * The alarm topic's policy: CloudWatch alarms of this account may publish, and nobody may use it without TLS.
 */
export function alarmTopicPolicy(
  topicArn: string,
  accountId: string,
  alarmArnPrefix: string,
): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "CloudWatchAlarmsPublish",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: topicArn,
        Condition: {
          StringEquals: { "aws:SourceAccount": accountId },
          ArnLike: { "aws:SourceArn": `${alarmArnPrefix}*` },
        },
      },
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:SetTopicAttributes"],
        Resource: topicArn,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  };
}

/**
 * The alarm topic's key: the account administers it (IAM decides who in the account may); CloudWatch may
 * encrypt alarm notifications and SNS decrypt them for delivery (AWS's documented grant for encrypted topics).
 */
export function alarmKeyPolicy(accountId: string, partition = "aws", region?: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountAdministersKey",
        Effect: "Allow",
        Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
        Action: KEY_ADMIN_ACTIONS,
        Resource: "*",
      },
      {
        Sid: "CloudWatchAlarmsEncrypt",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
      // The account's own publishers (the secret-expiry notices' role), through SNS only.
      ...(region !== undefined
        ? [
            {
              Sid: "AccountPublishesThroughSns",
              Effect: "Allow" as const,
              Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
              Action: ["kms:GenerateDataKey", "kms:Decrypt"],
              Resource: "*",
              Condition: {
                StringEquals: {
                  "kms:CallerAccount": accountId,
                  "kms:ViaService": `sns.${region}.amazonaws.com`,
                },
              },
            },
          ]
        : []),
    ],
  };
}

/**
 * When to tell the alarm topic that a secret ends: `daysBefore` days before `expireTime` (RFC 3339), as
 * EventBridge Scheduler's one-time `at(yyyy-mm-ddThh:mm:ss)` in UTC.
 */
export function secretExpiryNoticeAt(expireTime: string, daysBefore: number): string {
  const end = Date.parse(expireTime);
  if (Number.isNaN(end)) throw new Error(`not an RFC 3339 time: '${expireTime}'`);
  return `at(${new Date(end - daysBefore * 86400000).toISOString().slice(0, 19)})`;
}

/** EventBridge Scheduler may assume the notices' role, for this account's schedules only. */
export function schedulerTrustPolicy(accountId: string, region: string, partition = "aws"): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "scheduler.amazonaws.com" },
        Action: "sts:AssumeRole",
        // The schedule group's ARN, as Scheduler's confused-deputy page requires (not a schedule's).
        Condition: {
          StringEquals: { "aws:SourceAccount": accountId },
          ArnEquals: {
            "aws:SourceArn": `arn:${partition}:scheduler:${region}:${accountId}:schedule-group/default`,
          },
        },
      },
    ],
  };
}

/** The notices' role: publish to the alarm topic, with its key through SNS. */
export function noticePublisherPolicy(topicArn: string, keyArn: string, region: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "PublishNotices", Effect: "Allow", Action: "sns:Publish", Resource: topicArn },
      {
        Sid: "EncryptThroughSns",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: keyArn,
        Condition: { StringEquals: { "kms:ViaService": `sns.${region}.amazonaws.com` } },
      },
    ],
  };
}
