/**
 * Observability under Pulumi mocks: one alarm per failure the runbook (docs/operations.md) covers, each on the
 * metric and dimensions AWS publishes it under and notifying the stack's encrypted, TLS-only topic; the e-mail
 * subscription; the dashboard. Mocks cannot prove that CloudWatch accepts the metric math or that the metrics
 * carry data: the names and dimensions are checked against AWS's documented ones here.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { BATCH_DAG } from "../components/batchLakehouse";
import { PolicyDocument } from "../components/defaults";
import { alarmSpecs, DEFAULT_THRESHOLDS, Observability, Watched } from "../components/observability";
import { dashboardBody, secretExpiryNoticeAt } from "../components/observability/alarms";
import { installMocks, parseJson, promiseOf, RecordedResource, RecordingMocks, settle } from "../synth/mocks";

const WATCHED: Watched = {
  apis: [
    { label: "kafka", apiName: "pp-api-1", stage: "v1" },
    { label: "kinesis", apiName: "pp-kinesis-api-1", stage: "v1" },
  ],
  ingestFunctionName: "pp-ingest",
  streams: { pin: "pp-pin", geo: "pp-geo", user: "pp-user" },
  mskClusterName: "pp-cluster",
  brokerCount: 3,
  connectorName: "pp-s3-sink",
  airflowEnvironmentName: "pp-airflow",
  batchDagId: "pinterest_batch_daily",
};

const EXPECTED_ALARMS = [
  "kafka-api-5xx",
  "kafka-api-4xx",
  "kinesis-api-5xx",
  "kinesis-api-4xx",
  "ingest-fn-errors",
  "ingest-fn-throttles",
  "kinesis-write-throttles",
  "kinesis-iterator-age",
  "stream-job-stopped",
  "msk-disk",
  "connector-failed-tasks",
  "connector-not-running",
  "batch-run-failed",
];

describe("Observability (mocks)", () => {
  let mocks: RecordingMocks;
  let obs: Observability;
  before(async () => {
    mocks = await installMocks();
    obs = new Observability("pp", { namePrefix: "pp", watched: WATCHED, alertEmail: "oncall@example.com" });
    await promiseOf(obs.dashboardName);
    await settle(mocks);
  });

  const alarm = (id: string): RecordedResource => {
    const found = mocks
      .ofType("aws:cloudwatch/metricAlarm:MetricAlarm")
      .filter((a) => a.inputs.name === `pp-${id}`);
    assert.equal(found.length, 1, `alarm pp-${id}`);
    return found[0];
  };

  it("creates exactly the expected resources", () => {
    const component = mocks.resources.find((r) => r.type === "pinterest-pipeline:ops:Observability")!;
    const counts: Record<string, number> = {};
    for (const r of mocks.resources.filter((x) => x.parent === component.urn))
      counts[r.type] = (counts[r.type] ?? 0) + 1;
    assert.deepEqual(counts, {
      "aws:kms/key:Key": 1,
      "aws:sns/topic:Topic": 1,
      "aws:sns/topicPolicy:TopicPolicy": 1,
      "aws:sns/topicSubscription:TopicSubscription": 1,
      "aws:cloudwatch/metricAlarm:MetricAlarm": EXPECTED_ALARMS.length,
      "aws:cloudwatch/dashboard:Dashboard": 1,
    });
    // Registration order under mocks is not the program's order.
    assert.deepEqual(
      mocks
        .ofType("aws:cloudwatch/metricAlarm:MetricAlarm")
        .map((a) => a.inputs.name)
        .sort(),
      EXPECTED_ALARMS.map((id) => `pp-${id}`).sort(),
    );
  });

  it("notifies an encrypted, TLS-only topic that only this account's alarms may publish to, and e-mails it", async () => {
    const topic = mocks.ofType("aws:sns/topic:Topic")[0];
    const key = mocks.ofType("aws:kms/key:Key")[0];
    assert.equal(topic.inputs.kmsMasterKeyId, key.state.arn);
    assert.equal(key.inputs.enableKeyRotation, true);
    const keyPolicy = parseJson<PolicyDocument>(key.inputs.policy);
    for (const s of keyPolicy.Statement)
      for (const action of ([] as string[]).concat(s.Action)) assert.ok(!action.includes("*"), action);
    const cw = keyPolicy.Statement.find((s) => JSON.stringify(s.Principal).includes("cloudwatch"))!;
    assert.deepEqual(cw.Action, ["kms:GenerateDataKey", "kms:Decrypt"]);
    const policy = parseJson<PolicyDocument>(
      mocks.ofType("aws:sns/topicPolicy:TopicPolicy")[0].inputs.policy,
    );
    const publish = policy.Statement.find((s) => s.Effect === "Allow")!;
    assert.deepEqual(publish.Principal, { Service: "cloudwatch.amazonaws.com" });
    assert.deepEqual(publish.Condition, {
      StringEquals: { "aws:SourceAccount": "123456789012" },
      ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:pp-*" },
    });
    const deny = policy.Statement.find((s) => s.Effect === "Deny")!;
    assert.deepEqual(deny.Condition, { Bool: { "aws:SecureTransport": "false" } });
    const sub = mocks.ofType("aws:sns/topicSubscription:TopicSubscription")[0];
    assert.deepEqual([sub.inputs.protocol, sub.inputs.endpoint], ["email", "oncall@example.com"]);
    assert.equal(sub.inputs.topic, await promiseOf(obs.alarmTopicArn));
    for (const a of mocks.ofType("aws:cloudwatch/metricAlarm:MetricAlarm")) {
      assert.deepEqual(a.inputs.alarmActions, [topic.state.arn], `${String(a.inputs.name)} notifies`);
      assert.deepEqual(a.inputs.okActions, [topic.state.arn]);
    }
  });

  it("watches the APIs' 5xx and 4xx rates and the function's errors and throttles", () => {
    const a = alarm("kafka-api-5xx");
    assert.deepEqual(
      [
        a.inputs.namespace,
        a.inputs.metricName,
        a.inputs.statistic,
        a.inputs.comparisonOperator,
        a.inputs.threshold,
      ],
      ["AWS/ApiGateway", "5XXError", "Average", "GreaterThanThreshold", 0.01],
    );
    assert.deepEqual(a.inputs.dimensions, { ApiName: "pp-api-1", Stage: "v1" });
    assert.deepEqual(alarm("kinesis-api-4xx").inputs.dimensions, {
      ApiName: "pp-kinesis-api-1",
      Stage: "v1",
    });
    assert.equal(alarm("kinesis-api-4xx").inputs.threshold, 0.1);
    for (const [id, metric] of [
      ["ingest-fn-errors", "Errors"],
      ["ingest-fn-throttles", "Throttles"],
    ]) {
      const fn = alarm(id);
      assert.deepEqual([fn.inputs.namespace, fn.inputs.metricName], ["AWS/Lambda", metric]);
      assert.deepEqual(fn.inputs.dimensions, { FunctionName: "pp-ingest" });
    }
  });

  it("watches all three streams for write throttles and lag, and alarms when nothing reads them", () => {
    type Query = {
      id: string;
      expression?: string;
      metric?: { namespace: string; metricName: string; dimensions: Record<string, string>; stat: string };
    };
    const queries = (id: string) => alarm(id).inputs.metricQueries as Query[];
    const streamsOf = (id: string) =>
      queries(id).flatMap((q) => (q.metric ? [q.metric.dimensions.StreamName] : []));
    for (const id of ["kinesis-write-throttles", "kinesis-iterator-age", "stream-job-stopped"])
      assert.deepEqual(streamsOf(id), ["pp-pin", "pp-geo", "pp-user"], id);
    assert.equal(queries("kinesis-iterator-age")[0].expression, "MAX([m0, m1, m2])");
    assert.equal(alarm("kinesis-iterator-age").inputs.threshold, 600_000);
    const stopped = alarm("stream-job-stopped");
    assert.equal(queries("stream-job-stopped")[0].expression, "MIN([FILL(m0, 0), FILL(m1, 0), FILL(m2, 0)])");
    assert.equal(queries("stream-job-stopped")[1].metric!.metricName, "GetRecords.Success");
    assert.deepEqual(
      [stopped.inputs.comparisonOperator, stopped.inputs.threshold, stopped.inputs.treatMissingData],
      ["LessThanThreshold", 1, "breaching"],
    );
  });

  it("watches every broker's disk, the connector's tasks and the daily DAG's failed runs", () => {
    const disk = alarm("msk-disk").inputs.metricQueries as Array<{
      metric?: { dimensions: Record<string, string> };
    }>;
    assert.deepEqual(
      disk.flatMap((q) => (q.metric ? [q.metric.dimensions] : [])),
      ["1", "2", "3"].map((b) => ({ "Cluster Name": "pp-cluster", "Broker ID": b })),
    );
    assert.equal(alarm("msk-disk").inputs.threshold, 80);
    const errored = alarm("connector-failed-tasks");
    assert.deepEqual(
      [errored.inputs.namespace, errored.inputs.metricName],
      ["AWS/KafkaConnect", "ErroredTaskCount"],
    );
    assert.deepEqual(errored.inputs.dimensions, { ConnectorName: "pp-s3-sink" });
    assert.equal(alarm("connector-not-running").inputs.treatMissingData, "breaching");
    const failed = alarm("batch-run-failed");
    assert.deepEqual(
      [failed.inputs.namespace, failed.inputs.metricName, failed.inputs.statistic],
      ["AmazonMWAA", "DAGDurationFailed", "SampleCount"],
    );
    assert.deepEqual(failed.inputs.dimensions, { Environment: "pp-airflow", DAG: "pinterest_batch_daily" });
    assert.match(fs.readFileSync(BATCH_DAG, "utf8"), /^DAG_ID = "pinterest_batch_daily"$/m, "the DAG's id");
  });

  it("draws a dashboard with every alarm and a row per stage", async () => {
    const dash = mocks.ofType("aws:cloudwatch/dashboard:Dashboard")[0];
    assert.equal(dash.inputs.dashboardName, "pp");
    const body = JSON.parse(String(dash.inputs.dashboardBody)) as {
      widgets: Array<{
        type: string;
        x: number;
        width: number;
        properties: { title: string; alarms?: string[] };
      }>;
    };
    const alarmArns = mocks.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => a.state.arn);
    assert.deepEqual([...body.widgets[0].properties.alarms!].sort(), alarmArns.sort());
    const titles = body.widgets.map((w) => w.properties.title);
    for (const t of [
      "kafka API",
      "kinesis API",
      "Kafka ingest function",
      "MSK data disk",
      "S3 sink connector",
      "Kinesis records in",
      "iterator age",
      "Daily batch",
    ])
      assert.ok(
        titles.some((x) => x.includes(t)),
        `a widget for ${t} in ${titles.join(", ")}`,
      );
    for (const w of body.widgets) assert.ok(w.x + w.width <= 24, `${w.properties.title} fits the grid`);
    assert.match(await promiseOf(obs.dashboardUrl), /region=eu-west-1#dashboards\/dashboard\/pp$/);
  });

  it("has no subscription without an address, and rejects a cluster without brokers", async () => {
    const m = await installMocks();
    new Observability("q", { namePrefix: "q", watched: WATCHED });
    await settle(m);
    assert.equal(m.ofType("aws:sns/topicSubscription:TopicSubscription").length, 0);
    assert.throws(
      () => alarmSpecs({ ...WATCHED, brokerCount: 0 }),
      /^Error: brokerCount must be at least 1, got 0$/,
    );
  });

  it("has a runbook entry for every alarm (docs/operations.md)", () => {
    const runbook = fs.readFileSync(path.join(__dirname, "..", "docs", "operations.md"), "utf8");
    for (const spec of alarmSpecs(WATCHED))
      assert.match(runbook, new RegExp(`^\\| \`${spec.id}\` \\|`, "m"), spec.id);
  });

  it("takes thresholds, and a one-broker cluster's disk alarm is a plain metric", () => {
    const specs = alarmSpecs({ ...WATCHED, brokerCount: 1 }, { ...DEFAULT_THRESHOLDS, mskDiskPercent: 70 });
    const disk = specs.find((s) => s.id === "msk-disk")!;
    assert.equal(disk.expression, undefined);
    assert.equal(disk.threshold, 70);
    const body = JSON.parse(dashboardBody(WATCHED as never, ["arn:a"], "eu-west-1")) as {
      widgets: unknown[];
    };
    assert.ok(body.widgets.length >= 8);
  });
});

describe("Observability: notices before credentials end (mocks)", () => {
  it("tells the alarm topic 14 days before a secret ends, through a role only EventBridge Scheduler of this account may assume", async () => {
    const mocks = await installMocks();
    const obs = new Observability("pp", {
      namePrefix: "pp",
      watched: WATCHED,
      expiringSecrets: [{ label: "airflow-secret", expireTime: "2027-04-01T00:00:00Z" }],
    });
    await promiseOf(obs.dashboardName);
    await settle(mocks);
    const [schedule] = mocks.ofType("aws:scheduler/schedule:Schedule");
    assert.equal(schedule.inputs.scheduleExpression, "at(2027-03-18T00:00:00)");
    assert.equal(schedule.inputs.scheduleExpressionTimezone, "UTC");
    const target = schedule.inputs.target as { arn: string; roleArn: string; input: string };
    assert.equal(target.arn, await promiseOf(obs.alarmTopicArn));
    assert.match(
      (JSON.parse(target.input) as { notice: string }).notice,
      /airflow-secret ends at 2027-04-01T00:00:00Z/,
    );
    const role = mocks.ofType("aws:iam/role:Role").find((r) => r.name === "pp-expiry-notices")!;
    const trust = parseJson<PolicyDocument>(role.inputs.assumeRolePolicy).Statement[0];
    assert.deepEqual(trust.Principal, { Service: "scheduler.amazonaws.com" });
    assert.deepEqual(trust.Condition, {
      StringEquals: { "aws:SourceAccount": "123456789012" },
      ArnEquals: { "aws:SourceArn": "arn:aws:scheduler:eu-west-1:123456789012:schedule-group/default" },
    });
    const policy = parseJson<PolicyDocument>(
      mocks.ofType("aws:iam/rolePolicy:RolePolicy").find((r) => r.name === "pp-expiry-notices")!.inputs
        .policy,
    );
    assert.deepEqual(
      policy.Statement.map((s) => s.Action),
      ["sns:Publish", ["kms:GenerateDataKey", "kms:Decrypt"]],
    );
    // The topic's key lets the account's publishers use it through SNS only.
    const key = parseJson<PolicyDocument>(mocks.ofType("aws:kms/key:Key")[0].inputs.policy);
    const viaSns = key.Statement.find((s) => s.Sid === "AccountPublishesThroughSns")!;
    assert.equal(viaSns.Condition!.StringEquals["kms:ViaService"], "sns.eu-west-1.amazonaws.com");
    assert.throws(() => secretExpiryNoticeAt("soon", 14), /not an RFC 3339 time/);
  });
});
