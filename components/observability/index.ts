/**
 * Observability: the stack's CloudWatch alarms (alarms.ts says which and why), an encrypted SNS topic they
 * notify (with an e-mail subscription when an address is configured), and one dashboard per stack.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyJson } from "../defaults";
import { serviceRole } from "../serviceRole";
import {
  AlarmThresholds,
  alarmKeyPolicy,
  alarmSpecs,
  noticePublisherPolicy,
  schedulerTrustPolicy,
  secretExpiryNoticeAt,
  alarmTopicPolicy,
  dashboardBody,
  DEFAULT_THRESHOLDS,
  Watched,
} from "./alarms";

export { DEFAULT_THRESHOLDS, alarmSpecs } from "./alarms";
export type { AlarmSpec, AlarmThresholds, Watched } from "./alarms";

/** Days before a credential ends that the alarm topic is told: two weeks to rotate it. Not a setting. */
export const EXPIRY_NOTICE_DAYS = 14;

export interface ObservabilityArgs {
  /** Prefix of the alarm names, the topic and the dashboard (the stack's namePrefix). */
  namePrefix: string;
  /** What to watch: the names CloudWatch knows the stack's resources by. */
  watched: Watched;
  /** Where alarm notifications go (e-mail; the address confirms the subscription). Default: no subscriber. */
  alertEmail?: string;
  /** Default: DEFAULT_THRESHOLDS (1% 5xx, 10% 4xx, 10 minutes of stream lag, 80% MSK disk). */
  thresholds?: Partial<AlarmThresholds>;
  /** Credentials that end: the alarm topic is told EXPIRY_NOTICE_DAYS before each ends. */
  expiringSecrets?: Array<{ label: string; expireTime: pulumi.Input<string> }>;
  tags?: Record<string, string>;
}

export class Observability extends pulumi.ComponentResource {
  public readonly alarmTopicArn: pulumi.Output<string>;
  /** Names of the alarms, in alarms.ts's order. */
  public readonly alarmNames: pulumi.Output<string[]>;
  public readonly dashboardName: pulumi.Output<string>;
  public readonly dashboardUrl: pulumi.Output<string>;

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pinterest-pipeline:ops:Observability", name, {}, opts);
    const tags = args.tags ?? {};
    const parent = { parent: this };
    const identity = aws.getCallerIdentityOutput({}, parent);
    const partition = aws.getPartitionOutput({}, parent);
    const region = aws.getRegionOutput({}, parent).region;
    const specs = alarmSpecs(args.watched, { ...DEFAULT_THRESHOLDS, ...args.thresholds });

    const key = new aws.kms.Key(
      `${name}-alarms`,
      {
        description: `Encrypts the ${name} alarm notifications`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: pulumi
          .all([identity.accountId, partition.partition, region])
          .apply(([account, p, r]) => policyJson(alarmKeyPolicy(account, p, r))),
        tags,
      },
      parent,
    );
    const topic = new aws.sns.Topic(
      `${name}-alarms`,
      { name: `${args.namePrefix}-alarms`, kmsMasterKeyId: key.arn, tags },
      parent,
    );
    new aws.sns.TopicPolicy(
      `${name}-alarms`,
      {
        arn: topic.arn,
        policy: pulumi
          .all([topic.arn, identity.accountId, region, partition.partition])
          .apply(([arn, account, r, p]) =>
            policyJson(
              alarmTopicPolicy(arn, account, `arn:${p}:cloudwatch:${r}:${account}:alarm:${args.namePrefix}-`),
            ),
          ),
      },
      parent,
    );
    if (args.alertEmail !== undefined) {
      new aws.sns.TopicSubscription(
        `${name}-alarms-email`,
        { topic: topic.arn, protocol: "email", endpoint: args.alertEmail },
        parent,
      );
    }

    const alarms = specs.map(
      (spec) =>
        new aws.cloudwatch.MetricAlarm(
          `${name}-${spec.id}`,
          {
            name: `${args.namePrefix}-${spec.id}`,
            alarmDescription: spec.description,
            comparisonOperator: spec.comparison,
            threshold: spec.threshold,
            evaluationPeriods: spec.evaluationPeriods,
            datapointsToAlarm: spec.datapointsToAlarm,
            treatMissingData: spec.treatMissingData,
            alarmActions: [topic.arn],
            okActions: [topic.arn],
            ...(spec.expression === undefined && spec.metrics.length === 1
              ? {
                  namespace: spec.metrics[0].namespace,
                  metricName: spec.metrics[0].metricName,
                  dimensions: spec.metrics[0].dimensions,
                  statistic: spec.metrics[0].stat,
                  period: spec.periodSeconds,
                }
              : {
                  metricQueries: [
                    {
                      id: "e",
                      expression: spec.expression,
                      label: spec.id,
                      returnData: true,
                    },
                    ...spec.metrics.map((m, i) => ({
                      id: `m${i}`,
                      returnData: false,
                      metric: {
                        namespace: m.namespace,
                        metricName: m.metricName,
                        dimensions: m.dimensions,
                        stat: m.stat,
                        period: spec.periodSeconds,
                      },
                    })),
                  ],
                }),
            tags,
          },
          parent,
        ),
    );

    // Secrets that end get a one-time schedule that tells the alarm topic ahead of the end; rotating the
    // secret moves its end, and so the notice.
    const expiring = args.expiringSecrets ?? [];
    if (expiring.length > 0) {
      const { role: noticeRole, policy: noticePolicy } = serviceRole(this, `${name}-expiry-notices`, {
        description: "EventBridge Scheduler: tells the alarm topic before a credential ends",
        trust: pulumi
          .all([identity.accountId, region, partition.partition])
          .apply(([account, r, p]) => schedulerTrustPolicy(account, r, p)),
        policy: pulumi.all([topic.arn, key.arn, region]).apply(([t, k, r]) => noticePublisherPolicy(t, k, r)),
        tags,
      });
      const days = EXPIRY_NOTICE_DAYS;
      for (const secret of expiring) {
        new aws.scheduler.Schedule(
          `${name}-${secret.label}-expiry`,
          {
            name: `${args.namePrefix}-${secret.label}-expiry`,
            description: `${days} days before ${secret.label} ends`,
            scheduleExpression: pulumi.output(secret.expireTime).apply((t) => secretExpiryNoticeAt(t, days)),
            scheduleExpressionTimezone: "UTC",
            flexibleTimeWindow: { mode: "OFF" },
            actionAfterCompletion: "NONE",
            target: {
              arn: topic.arn,
              roleArn: noticeRole.arn,
              input: pulumi.output(secret.expireTime).apply((t) =>
                JSON.stringify({
                  notice: `${args.namePrefix}: ${secret.label} ends at ${t}`,
                  action: "rotate it now: docs/operations.md, Rotate secrets",
                }),
              ),
            },
          },
          { parent: this, dependsOn: [noticePolicy] },
        );
      }
    }

    const w = args.watched;
    const dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName: args.namePrefix,
        dashboardBody: pulumi
          .all([
            pulumi.all(w.apis.map((a) => pulumi.all([a.apiName, a.stage]))),
            w.ingestFunctionName,
            pulumi.all(w.streams),
            w.mskClusterName,
            w.connectorName,
            w.airflowEnvironmentName,
            pulumi.all(alarms.map((a) => a.arn)),
            region,
          ])
          .apply(([apis, fn, streams, cluster, connector, airflow, alarmArns, r]) =>
            dashboardBody(
              {
                apis: apis.map(([apiName, stage], i) => ({ label: w.apis[i].label, apiName, stage })),
                ingestFunctionName: fn,
                streams,
                mskClusterName: cluster,
                brokerCount: w.brokerCount,
                connectorName: connector,
                airflowEnvironmentName: airflow,
                batchDagId: w.batchDagId,
              },
              alarmArns,
              r,
            ),
          ),
      },
      parent,
    );

    this.alarmTopicArn = topic.arn;
    this.alarmNames = pulumi.all(alarms.map((a) => a.name));
    this.dashboardName = dashboard.dashboardName;
    this.dashboardUrl = pulumi.interpolate`https://console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${dashboard.dashboardName}`;
    this.registerOutputs({
      alarmTopicArn: this.alarmTopicArn,
      alarmNames: this.alarmNames,
      dashboardName: this.dashboardName,
      dashboardUrl: this.dashboardUrl,
    });
  }
}
