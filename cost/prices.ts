/**
 * The unit prices the cost estimate uses: public on-demand list prices in USD, for the regions the stacks
 * run in. They were recorded by hand (PRICES_RECORDED) from AWS's and Databricks' pricing pages and are not
 * fetched live: check the AWS Pricing Calculator before you budget, and update this table when they change.
 */
export const PRICES_RECORDED = "2026-11-26";

export interface RegionPrices {
  /** EC2 and its network. */
  natGatewayHour: number;
  natGatewayPerGb: number;
  publicIpv4Hour: number;
  /** On-demand Linux, per instance-hour (Databricks cluster nodes). */
  ec2Hour: Record<string, number>;
  /** MSK provisioned, per broker-hour; storage per GB-month. */
  mskBrokerHour: Record<string, number>;
  mskStorageGbMonth: number;
  mskConnectMcuHour: number;
  kinesisOnDemandStreamHour: number;
  kinesisOnDemandIngestPerGb: number;
  kinesisOnDemandRetrievalPerGb: number;
  kinesisShardHour: number;
  kinesisPutUnitsPerMillion: number;
  /** Per shard-hour (provisioned) for retention beyond 24 h, up to 7 days. */
  kinesisExtendedRetentionShardHour: number;
  /** Per GB-month (on-demand) for retention beyond 24 h. */
  kinesisOnDemandExtendedRetentionGbMonth: number;
  apiGatewayRestPerMillion: number;
  /** AWS WAF (https://aws.amazon.com/waf/pricing/): per web ACL-month, per rule-month, per million requests. */
  wafWebAclMonth: number;
  wafRuleMonth: number;
  wafPerMillionRequests: number;
  lambdaArmGbSecond: number;
  lambdaPerMillionRequests: number;
  /** MWAA: environment-hour per class, and per additional worker-hour. */
  mwaaEnvironmentHour: Record<string, number>;
  mwaaWorkerHour: Record<string, number>;
  s3StandardGbMonth: number;
  s3StandardIaGbMonth: number;
  kmsKeyMonth: number;
  secretMonth: number;
  cloudwatchAlarmMetricMonth: number;
  cloudwatchDashboardMonth: number;
  cloudwatchLogsIngestPerGb: number;
  cloudwatchLogsStorageGbMonth: number;
}

/** Databricks on AWS, Premium tier: Jobs Compute per DBU, and DBUs per hour of each node type. */
export const DATABRICKS = {
  jobsComputePerDbu: 0.15,
  dbuPerHour: { "m5d.large": 0.34, "m5d.xlarge": 0.69, "m5d.2xlarge": 1.37, "i3.xlarge": 1.0 } as Record<
    string,
    number
  >,
};

export const PRICES: Record<string, RegionPrices> = {
  "eu-west-1": {
    natGatewayHour: 0.048,
    natGatewayPerGb: 0.048,
    publicIpv4Hour: 0.005,
    ec2Hour: { "m5d.large": 0.126, "m5d.xlarge": 0.252, "m5d.2xlarge": 0.504, "i3.xlarge": 0.344 },
    mskBrokerHour: {
      "kafka.t3.small": 0.0496,
      "kafka.m5.large": 0.228,
      "kafka.m7g.large": 0.2226,
      "kafka.m7g.xlarge": 0.4452,
    },
    mskStorageGbMonth: 0.11,
    mskConnectMcuHour: 0.121,
    kinesisOnDemandStreamHour: 0.044,
    kinesisOnDemandIngestPerGb: 0.088,
    kinesisOnDemandRetrievalPerGb: 0.044,
    kinesisShardHour: 0.0165,
    kinesisPutUnitsPerMillion: 0.0154,
    kinesisExtendedRetentionShardHour: 0.022,
    kinesisOnDemandExtendedRetentionGbMonth: 0.11,
    apiGatewayRestPerMillion: 3.5,
    wafWebAclMonth: 5.0,
    wafRuleMonth: 1.0,
    wafPerMillionRequests: 0.6,
    lambdaArmGbSecond: 0.0000133334,
    lambdaPerMillionRequests: 0.2,
    mwaaEnvironmentHour: {
      "mw1.micro": 0.28,
      "mw1.small": 0.54,
      "mw1.medium": 0.81,
      "mw1.large": 1.09,
      "mw1.xlarge": 2.18,
      "mw1.2xlarge": 4.36,
    },
    mwaaWorkerHour: {
      "mw1.micro": 0.03,
      "mw1.small": 0.06,
      "mw1.medium": 0.12,
      "mw1.large": 0.24,
      "mw1.xlarge": 0.48,
      "mw1.2xlarge": 0.96,
    },
    s3StandardGbMonth: 0.023,
    s3StandardIaGbMonth: 0.0125,
    kmsKeyMonth: 1.0,
    secretMonth: 0.4,
    cloudwatchAlarmMetricMonth: 0.1,
    cloudwatchDashboardMonth: 3.0,
    cloudwatchLogsIngestPerGb: 0.57,
    cloudwatchLogsStorageGbMonth: 0.03,
  },
};
