/**
 * The cost estimate (cost/): docs/cost.md shows what the estimator computes from today's stack files, the
 * config-driven counts follow the config (NAT gateways, brokers, shards, MWAA), and a price the table lacks
 * is a clear error rather than a zero.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { parseStackConfig, StackConfig } from "../config";
import { COST_DOC, DOC_STACKS, estimateStack, renderCostDoc } from "../cost/cli";
import { estimateCost, HOURS_PER_MONTH, USAGE } from "../cost/estimate";
import { PRICES } from "../cost/prices";

const PLUGIN = "s3://plugins/kafka-connect-s3.zip";
const config = (raw: Record<string, string> = {}): StackConfig =>
  parseStackConfig(
    {
      sinkPluginLocation: PLUGIN,
      databricksCrossAccountRoleName: "dbx",
      databricksAccountId: "0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d",
      ...raw,
    },
    "t",
  );
const line = (e: ReturnType<typeof estimateCost>, item: string) => {
  const found = e.lines.find((l) => l.item.startsWith(item));
  assert.ok(found, `a line '${item}' in ${e.lines.map((l) => l.item).join(", ")}`);
  return found;
};
const P = PRICES["eu-west-1"];

describe("cost estimate", () => {
  it("docs/cost.md holds the current dev and prod estimates (npm run cost -- --write-docs)", () => {
    const doc = fs.readFileSync(COST_DOC, "utf8");
    assert.equal(
      renderCostDoc(
        doc,
        DOC_STACKS.map((s) => estimateStack(s)),
      ),
      doc,
    );
  });

  it("prices what the config fixes: NAT gateways, brokers and their disks, MCUs, clusters", () => {
    const dev = estimateStack("dev");
    const prod = estimateStack("prod");
    assert.equal(
      line(dev, "NAT gateways").monthlyUsd,
      Math.round(1 * HOURS_PER_MONTH * P.natGatewayHour * 100) / 100,
    );
    assert.equal(line(prod, "NAT gateways").basis, `3 × 730 h × $${P.natGatewayHour}`);
    assert.equal(line(prod, "MSK brokers").basis, `3 × 730 h × $${P.mskBrokerHour["kafka.m7g.large"]}`);
    assert.equal(line(prod, "MSK broker storage").basis, "3 × 500 GB × $0.11");
    assert.equal(line(prod, "MSK Connect").basis, `4 MCU × 730 h × $${P.mskConnectMcuHour}`);
    assert.match(line(prod, "Databricks batch job").basis, /^5 nodes × 45 h/);
    assert.match(line(prod, "Kinesis shards").basis, /^12 × 730 h/);
    assert.ok(!dev.lines.some((l) => l.item.startsWith("Kinesis shards")), "dev is on-demand");
    const sum = prod.lines.reduce((n, l) => n + l.monthlyUsd, 0);
    assert.ok(Math.abs(sum - prod.totalUsd) < 0.01);
    assert.ok(prod.totalUsd > dev.totalUsd);
  });

  it("follows the config: an adopted VPC has no NAT lines, a shared MWAA no environment line, traffic scales", () => {
    const own = estimateCost("t", config(), "eu-west-1", USAGE.dev);
    const adopted = estimateCost(
      "t",
      config({
        vpcId: "vpc-0123456789abcdef0",
        privateSubnetIds: '["subnet-0123456789abcdef0","subnet-0123456789abcdef1"]',
        existingMwaaEnvironmentName: "shared",
        existingMwaaDagBucket: "airflow-shared",
      }),
      "eu-west-1",
      USAGE.dev,
    );
    assert.ok(own.lines.some((l) => l.area === "Network"));
    assert.ok(!adopted.lines.some((l) => l.area === "Network"));
    assert.ok(!adopted.lines.some((l) => l.item.startsWith("MWAA")));
    const busy = estimateCost("t", config(), "eu-west-1", {
      ...USAGE.dev,
      postsPerDay: USAGE.dev.postsPerDay * 10,
    });
    assert.ok(
      Math.abs(line(busy, "API Gateway (REST").monthlyUsd - 10 * line(own, "API Gateway (REST").monthlyUsd) <
        0.1,
    );
    assert.equal(
      line(busy, "MSK brokers").monthlyUsd,
      line(own, "MSK brokers").monthlyUsd,
      "brokers do not scale with traffic",
    );
  });

  it("refuses to guess a price it does not have", () => {
    assert.throws(
      () => estimateCost("t", config({ mskBrokerInstanceType: "kafka.m5.24xlarge" }), "eu-west-1", USAGE.dev),
      /^Error: no MSK broker price for 'kafka\.m5\.24xlarge' in cost\/prices\.ts \(known: kafka\.t3\.small, /,
    );
    assert.throws(
      () => estimateCost("t", config(), "ap-south-2", USAGE.dev),
      /no region price for 'ap-south-2'/,
    );
  });
});
