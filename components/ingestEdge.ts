/**
 * The public edge in front of both ingest APIs: a key per client, each in its own usage plan (rate, burst
 * and daily quota over both stages), so one leaked key is revoked alone and one client cannot starve the
 * others; and one regional WAF web ACL on both stages (AWS's managed common, known-bad-inputs and
 * IP-reputation rule groups, and a per-IP rate rule), logging to an encrypted log group with the key redacted.
 *
 * The common rule set blocks bodies over 8 KB (SizeRestrictions_BODY); ingest bodies are batches up to 4 MiB,
 * so that one rule only counts, and the size limits stay with API Gateway (10 MB) and the REST ingest (4 MiB).
 * Sources: docs/cloud-contracts.md ("Edge").
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CLIENT_NAME, CLIENT_NAME_RULE } from "./names";

export interface EdgeStage {
  /** Short label used in names ("kafka", "kinesis"). */
  label: string;
  apiId: pulumi.Input<string>;
  stageName: pulumi.Input<string>;
  /** `arn:aws:apigateway:<region>::/restapis/<id>/stages/<name>`. */
  stageArn: pulumi.Input<string>;
}

export interface IngestEdgeArgs {
  namePrefix: string;
  stages: EdgeStage[];
  /** One API key and usage plan per name. */
  clients: string[];
  rateLimit: number;
  burstLimit: number;
  quotaPerDay: number;
  /** Requests per IP in any 5 minutes before WAF blocks it (at least 10). */
  wafRateLimitPer5Min: number;
  logRetentionDays: number;
  logKmsKeyArn: pulumi.Input<string>;
  tags: Record<string, string>;
}

/** The managed rule groups, in priority order; `count` lists rules that only count (see the header). */
export const MANAGED_RULE_GROUPS = [
  { name: "AWSManagedRulesAmazonIpReputationList", count: [] as string[] },
  { name: "AWSManagedRulesKnownBadInputsRuleSet", count: [] as string[] },
  // Bodies are batches up to 4 MiB (the 8 KB rule), and posts are user text that may hold HTML-like words,
  // which are stored, never rendered (the body XSS rule): those two only count.
  { name: "AWSManagedRulesCommonRuleSet", count: ["SizeRestrictions_BODY", "CrossSiteScripting_BODY"] },
];

const metric = (name: string) => ({
  cloudwatchMetricsEnabled: true,
  metricName: name.replace(/[^A-Za-z0-9_-]/g, "-"),
  sampledRequestsEnabled: true,
});

/** Each client's rate and burst: an equal share of the stage's (at least 1). */
export function clientShare(args: Pick<IngestEdgeArgs, "rateLimit" | "burstLimit" | "clients">): {
  rateLimit: number;
  burstLimit: number;
} {
  const n = args.clients.length;
  return {
    rateLimit: Math.max(1, Math.floor(args.rateLimit / n)),
    burstLimit: Math.max(1, Math.floor(args.burstLimit / n)),
  };
}

export function validateIngestEdgeArgs(
  args: Pick<IngestEdgeArgs, "clients" | "wafRateLimitPer5Min" | "stages">,
): void {
  if (args.clients.length === 0) throw new Error("at least one client is needed");
  if (new Set(args.clients).size !== args.clients.length) throw new Error("client names must be unique");
  for (const c of args.clients)
    if (!CLIENT_NAME.test(c)) throw new Error(`client name '${c}' must be ${CLIENT_NAME_RULE}`);
  if (args.wafRateLimitPer5Min < 10)
    throw new Error("wafRateLimitPer5Min must be at least 10 (WAF's minimum)");
  if (args.stages.length === 0) throw new Error("at least one stage is needed");
}

export class IngestEdge extends pulumi.ComponentResource {
  /** Per client, the key it sends as x-api-key (secret). */
  public readonly apiKeys: pulumi.Output<Record<string, string>>;
  public readonly apiKeyIds: pulumi.Output<Record<string, string>>;
  public readonly usagePlans: Record<string, aws.apigateway.UsagePlan>;
  public readonly webAcl: aws.wafv2.WebAcl;

  constructor(name: string, args: IngestEdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pinterest-pipeline:api:IngestEdge", name, {}, opts);
    validateIngestEdgeArgs(args);
    const parent = { parent: this };
    const tags = args.tags;

    const keys: Record<string, aws.apigateway.ApiKey> = {};
    this.usagePlans = {};
    for (const client of args.clients) {
      const key = new aws.apigateway.ApiKey(
        `${name}-${client}`,
        { name: `${args.namePrefix}-${client}`, description: `Ingest client ${client}`, tags },
        parent,
      );
      const plan = new aws.apigateway.UsagePlan(
        `${name}-${client}`,
        {
          name: `${args.namePrefix}-${client}`,
          description: `Ingest client ${client}: both APIs, its own rate and daily quota`,
          apiStages: args.stages.map((s) => ({ apiId: s.apiId, stage: s.stageName })),
          // The stage's limits are shared by every client: each plan gets its share, so one client at its
          // own limit cannot use up the others' (API Gateway applies the plan's and the stage's limits both).
          throttleSettings: clientShare(args),
          quotaSettings: { limit: args.quotaPerDay, period: "DAY" },
          tags,
        },
        parent,
      );
      new aws.apigateway.UsagePlanKey(
        `${name}-${client}`,
        { keyId: key.id, keyType: "API_KEY", usagePlanId: plan.id },
        parent,
      );
      keys[client] = key;
      this.usagePlans[client] = plan;
    }

    this.webAcl = new aws.wafv2.WebAcl(
      `${name}-ingest`,
      {
        name: `${args.namePrefix}-ingest`,
        description: "Both ingest APIs: AWS managed rule groups and a per-IP rate limit",
        scope: "REGIONAL",
        defaultAction: { allow: {} },
        rules: [
          {
            name: "rate-per-ip",
            priority: 0,
            action: { block: {} },
            statement: {
              rateBasedStatement: {
                limit: args.wafRateLimitPer5Min,
                aggregateKeyType: "IP",
                evaluationWindowSec: 300,
              },
            },
            visibilityConfig: metric(`${args.namePrefix}-rate-per-ip`),
          },
          ...MANAGED_RULE_GROUPS.map((group, i) => ({
            name: group.name,
            priority: i + 1,
            overrideAction: { none: {} },
            statement: {
              managedRuleGroupStatement: {
                vendorName: "AWS",
                name: group.name,
                ruleActionOverrides: group.count.map((rule) => ({ name: rule, actionToUse: { count: {} } })),
              },
            },
            visibilityConfig: metric(`${args.namePrefix}-${group.name}`),
          })),
        ],
        visibilityConfig: metric(`${args.namePrefix}-ingest`),
        tags,
      },
      parent,
    );
    args.stages.forEach((stage) => {
      new aws.wafv2.WebAclAssociation(
        `${name}-${stage.label}`,
        { resourceArn: stage.stageArn, webAclArn: this.webAcl.arn },
        parent,
      );
    });
    // WAF writes only to log groups named aws-waf-logs-*; the API key header is never logged.
    const wafLogs = new aws.cloudwatch.LogGroup(
      `${name}-waf`,
      {
        name: `aws-waf-logs-${args.namePrefix}-ingest`,
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.logKmsKeyArn,
        tags,
      },
      parent,
    );
    new aws.wafv2.WebAclLoggingConfiguration(
      `${name}-waf`,
      {
        resourceArn: this.webAcl.arn,
        logDestinationConfigs: [wafLogs.arn],
        redactedFields: [{ singleHeader: { name: "x-api-key" } }],
      },
      parent,
    );

    this.apiKeys = pulumi.secret(
      pulumi.all(Object.fromEntries(Object.entries(keys).map(([c, k]) => [c, k.value]))),
    );
    this.apiKeyIds = pulumi.all(Object.fromEntries(Object.entries(keys).map(([c, k]) => [c, k.id])));
    this.registerOutputs({ apiKeyIds: this.apiKeyIds, webAclArn: this.webAcl.arn });
  }
}
