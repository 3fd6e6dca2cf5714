/**
 * The ingest edge (components/ingestEdge.ts) under the recording mocks: a key and a bounded usage plan per
 * client over both stages, WAF with the managed groups and a rate rule on both stages, logged with the key
 * redacted to an encrypted aws-waf-logs-* group.
 */
import { strict as assert } from "node:assert";
import { IngestEdge, IngestEdgeArgs, validateIngestEdgeArgs } from "../components/ingestEdge";
import { installMocks, promiseOf, RecordingMocks, settle } from "../synth/mocks";

const STAGES = [
  {
    label: "kafka",
    apiId: "api-k",
    stageName: "v1",
    stageArn: "arn:aws:apigateway:eu-west-1::/restapis/api-k/stages/v1",
  },
  {
    label: "kinesis",
    apiId: "api-s",
    stageName: "v1",
    stageArn: "arn:aws:apigateway:eu-west-1::/restapis/api-s/stages/v1",
  },
];

function args(overrides: Partial<IngestEdgeArgs> = {}): IngestEdgeArgs {
  return {
    namePrefix: "pp",
    stages: STAGES,
    clients: ["emulator", "web"],
    rateLimit: 50,
    burstLimit: 100,
    quotaPerDay: 1000,
    wafRateLimitPer5Min: 2000,
    logRetentionDays: 14,
    logKmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/logs",
    tags: {},
    ...overrides,
  };
}

describe("IngestEdge (mocks)", () => {
  let mocks: RecordingMocks;
  let edge: IngestEdge;
  before(async () => {
    mocks = await installMocks();
    edge = new IngestEdge("pp", args());
    await promiseOf(edge.apiKeyIds);
    await settle(mocks);
  });

  it("gives each client its own key and usage plan over both stages, bounded by rate, burst and quota", async () => {
    const keys = mocks.ofType("aws:apigateway/apiKey:ApiKey");
    const plans = mocks.ofType("aws:apigateway/usagePlan:UsagePlan");
    const links = mocks.ofType("aws:apigateway/usagePlanKey:UsagePlanKey");
    assert.deepEqual(keys.map((k) => k.inputs.name).sort(), ["pp-emulator", "pp-web"]);
    assert.equal(plans.length, 2);
    for (const plan of plans) {
      assert.deepEqual(plan.inputs.apiStages, [
        { apiId: "api-k", stage: "v1" },
        { apiId: "api-s", stage: "v1" },
      ]);
      // Two clients share the stage's 50/s and 100 burst.
      assert.deepEqual(plan.inputs.throttleSettings, { rateLimit: 25, burstLimit: 50 });
      assert.deepEqual(plan.inputs.quotaSettings, { limit: 1000, period: "DAY" });
    }
    // Each key is in exactly its own plan: revoking one leaves the others working.
    for (const client of ["emulator", "web"]) {
      const key = keys.find((k) => k.inputs.name === `pp-${client}`)!;
      const plan = plans.find((p) => p.inputs.name === `pp-${client}`)!;
      assert.deepEqual(
        links.filter((l) => l.inputs.keyId === key.id).map((l) => l.inputs.usagePlanId),
        [plan.id],
      );
    }
    const values = await promiseOf(edge.apiKeys);
    assert.deepEqual(Object.keys(values).sort(), ["emulator", "web"]);
    assert.equal(await (edge.apiKeys as unknown as { isSecret: Promise<boolean> }).isSecret, true);
  });

  it("puts both stages behind one web ACL: a per-IP rate rule and AWS's managed groups, oversize bodies only counted", () => {
    const [acl] = mocks.ofType("aws:wafv2/webAcl:WebAcl");
    assert.equal(acl.inputs.scope, "REGIONAL");
    assert.deepEqual(acl.inputs.defaultAction, { allow: {} });
    const rules = acl.inputs.rules as Array<{
      name: string;
      priority: number;
      action?: unknown;
      overrideAction?: unknown;
      statement: {
        rateBasedStatement?: { limit: number; aggregateKeyType: string; evaluationWindowSec: number };
        managedRuleGroupStatement?: { vendorName: string; name: string; ruleActionOverrides: unknown[] };
      };
    }>;
    assert.deepEqual(rules[0].statement.rateBasedStatement, {
      limit: 2000,
      aggregateKeyType: "IP",
      evaluationWindowSec: 300,
    });
    assert.deepEqual(rules[0].action, { block: {} });
    const groups = rules.filter((r) => r.statement.managedRuleGroupStatement);
    assert.deepEqual(
      groups.map((g) => g.statement.managedRuleGroupStatement!.name),
      [
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesCommonRuleSet",
      ],
    );
    for (const g of groups) assert.deepEqual(g.overrideAction, { none: {} });
    // Ingest batches are up to 4 MiB: the common set's 8 KB body rule would refuse most of them.
    assert.deepEqual(groups[2].statement.managedRuleGroupStatement!.ruleActionOverrides, [
      { name: "SizeRestrictions_BODY", actionToUse: { count: {} } },
      { name: "CrossSiteScripting_BODY", actionToUse: { count: {} } },
    ]);
    assert.equal(new Set(rules.map((r) => r.priority)).size, rules.length, "priorities are unique");
    const associations = mocks.ofType("aws:wafv2/webAclAssociation:WebAclAssociation");
    assert.deepEqual(
      associations.map((a) => a.inputs.resourceArn),
      STAGES.map((s) => s.stageArn),
    );
    for (const a of associations) assert.equal(a.inputs.webAclArn, acl.state.arn);
  });

  it("logs WAF to an encrypted aws-waf-logs-* group without the API key", () => {
    const group = mocks.ofType("aws:cloudwatch/logGroup:LogGroup")[0];
    assert.match(String(group.inputs.name), /^aws-waf-logs-/);
    assert.equal(group.inputs.kmsKeyId, "arn:aws:kms:eu-west-1:123456789012:key/logs");
    const [logging] = mocks.ofType("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration");
    assert.deepEqual(logging.inputs.redactedFields, [{ singleHeader: { name: "x-api-key" } }]);
    assert.deepEqual(logging.inputs.logDestinationConfigs, [group.state.arn]);
  });

  it("refuses duplicate or bad client names and a rate under WAF's minimum", () => {
    assert.throws(() => validateIngestEdgeArgs({ ...args(), clients: [] }), /at least one client/);
    assert.throws(() => validateIngestEdgeArgs({ ...args(), clients: ["a", "a"] }), /unique/);
    assert.throws(() => validateIngestEdgeArgs({ ...args(), clients: ["Web"] }), /client name 'Web'/);
    assert.throws(() => validateIngestEdgeArgs({ ...args(), wafRateLimitPer5Min: 9 }), /at least 10/);
  });
});
