/**
 * Monthly cost of one stack, from its validated config (config.ts), the unit prices (prices.ts) and a usage
 * profile: what the config fixes (brokers, NAT gateways, clusters, environment classes) is exact; what traffic
 * drives (requests, GB, batch hours) comes from the profile, stated next to every line. `npm run cost`.
 */
import type { StackConfig } from "../config";
import { alarmMetricCount } from "../components/observability/alarms";
import { DATABRICKS, PRICES, RegionPrices } from "./prices";

export const HOURS_PER_MONTH = 730;
const DAYS_PER_MONTH = 30;

export interface Usage {
  /** Posts per day; each is three records (pin, geo, user) sent to both paths. */
  postsPerDay: number;
  /** Average size of one record, bytes. */
  recordBytes: number;
  /** Records per ingest request (clients batch; the emulator sends up to 500). */
  recordsPerRequest: number;
  /** Average ingest function run time, ms. */
  functionMs: number;
  /** Hours the daily batch job runs, per day. */
  batchHoursPerDay: number;
  /** Average MWAA workers above the one included in the environment. */
  mwaaExtraWorkers: number;
  /** Traffic through the NAT gateways (MWAA and job clusters reaching APIs and package indexes), GB/month. */
  natGbPerMonth: number;
  /** CloudWatch Logs written by every component, GB/month. */
  logGbPerMonth: number;
}

/** The profiles docs/cost.md prices; any other stack uses dev's unless flags say otherwise. */
export const USAGE: Record<string, Usage> = {
  dev: {
    postsPerDay: 100_000,
    recordBytes: 700,
    recordsPerRequest: 100,
    functionMs: 120,
    batchHoursPerDay: 0.5,
    mwaaExtraWorkers: 0,
    natGbPerMonth: 20,
    logGbPerMonth: 5,
  },
  prod: {
    postsPerDay: 5_000_000,
    recordBytes: 700,
    recordsPerRequest: 100,
    functionMs: 150,
    batchHoursPerDay: 1.5,
    mwaaExtraWorkers: 0.5,
    natGbPerMonth: 200,
    logGbPerMonth: 60,
  },
};

export interface CostLine {
  area: "Network" | "Kafka path" | "Kinesis path" | "Lake" | "Batch" | "Stream" | "Operations";
  item: string;
  /** What was counted, e.g. "2 brokers × 730 h × $0.0496". */
  basis: string;
  monthlyUsd: number;
}

export interface CostEstimate {
  stack: string;
  region: string;
  usage: Usage;
  lines: CostLine[];
  totalUsd: number;
}

/** A unit price as recorded in prices.ts. */
const usd = (n: number) => `$${Number(n.toPrecision(6))}`;
const num = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 2 });

function price<T>(table: Record<string, T>, key: string, what: string): T {
  const p = table[key];
  if (p === undefined)
    throw new Error(
      `no ${what} price for '${key}' in cost/prices.ts (known: ${Object.keys(table).join(", ")})`,
    );
  return p;
}

export function estimateCost(stack: string, config: StackConfig, region: string, usage: Usage): CostEstimate {
  const p: RegionPrices = price(PRICES, region, "region");
  const lines: CostLine[] = [];
  const add = (area: CostLine["area"], item: string, basis: string, monthlyUsd: number) =>
    lines.push({ area, item, basis, monthlyUsd: Math.round(monthlyUsd * 100) / 100 });
  const H = HOURS_PER_MONTH;

  // Network: NAT gateways (and their public IPv4 addresses) only when the stack creates the VPC.
  const azs =
    config.network.existingVpcId !== undefined
      ? config.network.existingPrivateSubnetIds!.length
      : config.network.availabilityZoneCount;
  if (config.network.existingVpcId === undefined) {
    const nats = config.network.natGatewayMode === "single" ? 1 : azs;
    add(
      "Network",
      "NAT gateways",
      `${nats} × ${H} h × ${usd(p.natGatewayHour)}`,
      nats * H * p.natGatewayHour,
    );
    add(
      "Network",
      "NAT public IPv4 addresses",
      `${nats} × ${H} h × ${usd(p.publicIpv4Hour)}`,
      nats * H * p.publicIpv4Hour,
    );
    add(
      "Network",
      "NAT data processed",
      `${num(usage.natGbPerMonth)} GB × ${usd(p.natGatewayPerGb)}`,
      usage.natGbPerMonth * p.natGatewayPerGb,
    );
  }

  const recordsPerMonth = usage.postsPerDay * 3 * DAYS_PER_MONTH;
  const gbPerMonth = (recordsPerMonth * usage.recordBytes) / 1e9;
  const requestsPerMonth = recordsPerMonth / usage.recordsPerRequest;

  // Kafka path.
  const brokers = azs * config.kafka.brokersPerAz;
  const brokerHour = price(p.mskBrokerHour, config.kafka.brokerInstanceType, "MSK broker");
  add(
    "Kafka path",
    `MSK brokers (${config.kafka.brokerInstanceType})`,
    `${brokers} × ${H} h × ${usd(brokerHour)}`,
    brokers * H * brokerHour,
  );
  add(
    "Kafka path",
    "MSK broker storage",
    `${brokers} × ${config.kafka.brokerVolumeGiB} GB × ${usd(p.mskStorageGbMonth)}`,
    brokers * config.kafka.brokerVolumeGiB * p.mskStorageGbMonth,
  );
  const mcus = config.kafka.connectorMcuCount * config.kafka.connectorWorkerCount;
  add(
    "Kafka path",
    "MSK Connect S3 sink",
    `${mcus} MCU × ${H} h × ${usd(p.mskConnectMcuHour)}`,
    mcus * H * p.mskConnectMcuHour,
  );
  add(
    "Kafka path",
    "API Gateway (REST ingest)",
    `${num(requestsPerMonth / 1e6)} M requests × ${usd(p.apiGatewayRestPerMillion)}`,
    (requestsPerMonth / 1e6) * p.apiGatewayRestPerMillion,
  );
  const gbSeconds = requestsPerMonth * (usage.functionMs / 1000) * (config.ingest.functionMemoryMb / 1024);
  add(
    "Kafka path",
    "Lambda ingest function (arm64)",
    `${num(gbSeconds)} GB-s × ${usd(p.lambdaArmGbSecond)} + ${num(requestsPerMonth / 1e6)} M × ${usd(p.lambdaPerMillionRequests)}`,
    gbSeconds * p.lambdaArmGbSecond + (requestsPerMonth / 1e6) * p.lambdaPerMillionRequests,
  );

  // Kinesis path: three streams.
  const extraRetentionHours = Math.max(0, config.kinesis.retentionHours - 24);
  if (config.kinesis.mode === "on-demand") {
    add(
      "Kinesis path",
      "Kinesis on-demand streams",
      `3 × ${H} h × ${usd(p.kinesisOnDemandStreamHour)}`,
      3 * H * p.kinesisOnDemandStreamHour,
    );
    add(
      "Kinesis path",
      "Kinesis data in and out (one reader)",
      `${num(gbPerMonth)} GB × (${usd(p.kinesisOnDemandIngestPerGb)} + ${usd(p.kinesisOnDemandRetrievalPerGb)})`,
      gbPerMonth * (p.kinesisOnDemandIngestPerGb + p.kinesisOnDemandRetrievalPerGb),
    );
    if (extraRetentionHours > 0) {
      const gbRetained = (gbPerMonth / DAYS_PER_MONTH) * (extraRetentionHours / 24);
      add(
        "Kinesis path",
        `Kinesis retention beyond 24 h (${config.kinesis.retentionHours} h)`,
        `${num(gbRetained)} GB-month × ${usd(p.kinesisOnDemandExtendedRetentionGbMonth)}`,
        gbRetained * p.kinesisOnDemandExtendedRetentionGbMonth,
      );
    }
  } else {
    const shards = 3 * config.kinesis.shardCount!;
    add(
      "Kinesis path",
      "Kinesis shards",
      `${shards} × ${H} h × ${usd(p.kinesisShardHour)}`,
      shards * H * p.kinesisShardHour,
    );
    add(
      "Kinesis path",
      "Kinesis PUT payload units",
      `${num(recordsPerMonth / 1e6)} M × ${usd(p.kinesisPutUnitsPerMillion)}`,
      (recordsPerMonth / 1e6) * p.kinesisPutUnitsPerMillion,
    );
    if (extraRetentionHours > 0)
      add(
        "Kinesis path",
        `Kinesis retention beyond 24 h (${config.kinesis.retentionHours} h)`,
        `${shards} × ${H} h × ${usd(p.kinesisExtendedRetentionShardHour)}`,
        shards * H * p.kinesisExtendedRetentionShardHour,
      );
  }
  add(
    "Kinesis path",
    "API Gateway (Kinesis API)",
    `${num(requestsPerMonth / 1e6)} M requests × ${usd(p.apiGatewayRestPerMillion)}`,
    (requestsPerMonth / 1e6) * p.apiGatewayRestPerMillion,
  );

  // Lake: raw topics at steady state (retention), tiered when configured; Delta tables about half of that.
  const rawGbPerDay = gbPerMonth / DAYS_PER_MONTH;
  const retention = config.lake.rawDataRetentionDays;
  const iaAfter = config.lake.rawDataInfrequentAccessDays;
  const standardDays = iaAfter ?? retention;
  add(
    "Lake",
    "S3 raw topics (Standard)",
    `${num(rawGbPerDay * standardDays)} GB × ${usd(p.s3StandardGbMonth)}`,
    rawGbPerDay * standardDays * p.s3StandardGbMonth,
  );
  if (iaAfter !== undefined)
    add(
      "Lake",
      "S3 raw topics (Standard-IA)",
      `${num(rawGbPerDay * (retention - iaAfter))} GB × ${usd(p.s3StandardIaGbMonth)}`,
      rawGbPerDay * (retention - iaAfter) * p.s3StandardIaGbMonth,
    );
  add(
    "Lake",
    "S3 Delta tables (≈ half the raw volume)",
    `${num(rawGbPerDay * retention * 0.5)} GB × ${usd(p.s3StandardGbMonth)}`,
    rawGbPerDay * retention * 0.5 * p.s3StandardGbMonth,
  );

  // Databricks clusters: driver + workers, EC2 on demand (spot makes the batch cheaper) + Jobs Compute DBUs.
  const clusterHour = (nodeType: string) =>
    price(p.ec2Hour, nodeType, "EC2") +
    price(DATABRICKS.dbuPerHour, nodeType, "Databricks DBU") * DATABRICKS.jobsComputePerDbu;
  const batchNodes = config.batch.workers + 1;
  const batchHours = usage.batchHoursPerDay * DAYS_PER_MONTH;
  add(
    "Batch",
    `Databricks batch job (${config.batch.nodeType})`,
    `${batchNodes} nodes × ${num(batchHours)} h × ${usd(clusterHour(config.batch.nodeType))}`,
    batchNodes * batchHours * clusterHour(config.batch.nodeType),
  );
  if (config.airflow.existingEnvironmentName === undefined) {
    const env = price(p.mwaaEnvironmentHour, config.airflow.environmentClass, "MWAA environment");
    const worker = price(p.mwaaWorkerHour, config.airflow.environmentClass, "MWAA worker");
    add("Batch", `MWAA environment (${config.airflow.environmentClass})`, `${H} h × ${usd(env)}`, H * env);
    if (usage.mwaaExtraWorkers > 0)
      add(
        "Batch",
        "MWAA extra workers",
        `${usage.mwaaExtraWorkers} × ${H} h × ${usd(worker)}`,
        usage.mwaaExtraWorkers * H * worker,
      );
  }
  const streamNodes = config.stream.workers + 1;
  add(
    "Stream",
    `Databricks stream job, continuous (${config.stream.nodeType})`,
    `${streamNodes} nodes × ${H} h × ${usd(clusterHour(config.stream.nodeType))}`,
    streamNodes * H * clusterHour(config.stream.nodeType),
  );

  // Operations: keys, secrets, alarms (priced per metric they watch), the dashboard, logs.
  add("Operations", "KMS keys (lake, logs, secrets, alarms)", `4 × ${usd(p.kmsKeyMonth)}`, 4 * p.kmsKeyMonth);
  // WAF on both APIs: one web ACL, four rules (rate, three managed groups); both paths' requests.
  const wafRules = 4;
  add(
    "Operations",
    "WAF on both ingest APIs",
    `${usd(p.wafWebAclMonth)} + ${wafRules} rules × ${usd(p.wafRuleMonth)} + ${num((2 * requestsPerMonth) / 1e6)} M requests × ${usd(p.wafPerMillionRequests)}`,
    p.wafWebAclMonth + wafRules * p.wafRuleMonth + ((2 * requestsPerMonth) / 1e6) * p.wafPerMillionRequests,
  );
  add(
    "Operations",
    "Secrets Manager (Airflow's connection and variable)",
    `2 × ${usd(p.secretMonth)}`,
    2 * p.secretMonth,
  );
  const alarmMetrics = alarmMetricCount(brokers);
  add(
    "Operations",
    "CloudWatch alarms",
    `${alarmMetrics} metrics × ${usd(p.cloudwatchAlarmMetricMonth)}`,
    alarmMetrics * p.cloudwatchAlarmMetricMonth,
  );
  add(
    "Operations",
    "CloudWatch dashboard",
    `1 × ${usd(p.cloudwatchDashboardMonth)}`,
    p.cloudwatchDashboardMonth,
  );
  const storedLogGb = usage.logGbPerMonth * (config.logRetentionDays / DAYS_PER_MONTH);
  add(
    "Operations",
    `CloudWatch Logs (${config.logRetentionDays} days kept)`,
    `${num(usage.logGbPerMonth)} GB × ${usd(p.cloudwatchLogsIngestPerGb)} + ${num(storedLogGb)} GB-month × ${usd(p.cloudwatchLogsStorageGbMonth)}`,
    usage.logGbPerMonth * p.cloudwatchLogsIngestPerGb + storedLogGb * p.cloudwatchLogsStorageGbMonth,
  );

  const totalUsd = Math.round(lines.reduce((n, l) => n + l.monthlyUsd, 0) * 100) / 100;
  return { stack, region, usage, lines, totalUsd };
}

const money = (n: number) =>
  `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** The estimate as a Markdown table with subtotals per area. */
export function costMarkdown(e: CostEstimate): string {
  const rows = ["| Area | Item | Basis | USD / month |", "|---|---|---|---:|"];
  for (const l of e.lines) rows.push(`| ${l.area} | ${l.item} | ${l.basis} | ${money(l.monthlyUsd)} |`);
  const areas = [...new Set(e.lines.map((l) => l.area))];
  const subtotals = areas
    .map((a) => `${a} ${money(e.lines.filter((l) => l.area === a).reduce((n, l) => n + l.monthlyUsd, 0))}`)
    .join(" · ");
  rows.push(`| **Total** | | | **${money(e.totalUsd)}** |`);
  const u = e.usage;
  return [
    `Usage assumed: ${num(u.postsPerDay)} posts/day (${num(u.postsPerDay * 3)} records/day to each path, ${u.recordBytes} B each), ${u.recordsPerRequest} records/request, batch ${u.batchHoursPerDay} h/day, ${num(u.natGbPerMonth)} GB/month through NAT, ${num(u.logGbPerMonth)} GB/month of logs.`,
    "",
    ...rows,
    "",
    `By area: ${subtotals}.`,
  ].join("\n");
}
