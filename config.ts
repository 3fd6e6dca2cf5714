/**
 * Typed stack configuration. `parseStackConfig` is pure (tested without mocks); `loadStackConfig` feeds it
 * the stack's `pulumi.Config`. Every key of the `pinterest-pipeline` namespace is listed in CONFIG_KEYS and
 * documented in docs/configuration.md; an unknown key is an error, so a typo never silently falls back to
 * a default.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import runtimes from "./components/runtimes.json";
import { isPrivateCidr16to20, NAT_GATEWAY_MODES, NatGatewayMode } from "./components/cidr";
import { CLIENT_NAME, NAME_PREFIX, NAME_PREFIX_RULE } from "./components/names";
import { QUALITY_ACTIONS, QUALITY_RULE_IDS, QualityPolicy } from "./components/quality";

export { ipv4ToInt, isPrivateCidr16to20, NAT_GATEWAY_MODES } from "./components/cidr";
export type { NatGatewayMode } from "./components/cidr";

export const CONFIG_NAMESPACE = "pinterest-pipeline";

export const KINESIS_MODES = ["on-demand", "provisioned"] as const;
/** The values CloudWatch Logs accepts for a log group's retention. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;
export const DATABRICKS_RUNTIMES = Object.keys(runtimes.databricksRuntimes);
export const AIRFLOW_VERSIONS = Object.keys(runtimes.mwaaAirflowVersions);

export const MWAA_ENVIRONMENT_CLASSES = [
  "mw1.micro",
  "mw1.small",
  "mw1.medium",
  "mw1.large",
  "mw1.xlarge",
  "mw1.2xlarge",
] as const;
export const WEBSERVER_ACCESS = ["private", "public"] as const;

export type KinesisMode = (typeof KINESIS_MODES)[number];

export interface StackConfig {
  /** Prefix of every physical name (streams, topics, roles). */
  namePrefix: string;
  network: {
    /** Adopt this VPC instead of creating one. */
    existingVpcId?: string;
    /** Private subnets of the adopted VPC (two or more AZs). */
    existingPrivateSubnetIds?: string[];
    vpcCidr: string;
    availabilityZoneCount: number;
    natGatewayMode: NatGatewayMode;
  };
  lake: {
    rawDataRetentionDays: number;
    rawDataInfrequentAccessDays?: number;
    forceDestroy: boolean;
  };
  kinesis: {
    mode: KinesisMode;
    shardCount?: number;
    retentionHours: number;
  };
  kafka: {
    mskKafkaVersion: string;
    brokerInstanceType: string;
    brokersPerAz: number;
    brokerVolumeGiB: number;
    topicPartitions: number;
    topicRetentionHours: number;
    sinkPluginLocation: string;
    /** SHA-256 (hex) the downloaded plugin must have. */
    sinkPluginSha256?: string;
    sinkFlushSize: number;
    sinkRotateIntervalMs: number;
    connectorMcuCount: number;
    connectorWorkerCount: number;
  };
  ingest: {
    throttleRateLimit: number;
    throttleBurstLimit: number;
    /** One API key and usage plan each. */
    clients: string[];
    quotaPerDay: number;
    /** Requests per IP in 5 minutes before WAF blocks it. */
    wafRateLimitPer5Min: number;
    functionMemoryMb: number;
    /** Concurrency reserved for (and capping) the ingest function; undefined: none reserved. */
    functionReservedConcurrency?: number;
  };
  batch: {
    nodeType: string;
    workers: number;
    maxRetries: number;
    timeoutMinutes: number;
    /** The Databricks workspace's cross-account role, granted iam:PassRole on the job's role. */
    crossAccountRoleName?: string;
    /** The Databricks account's id: names the rule sets that let the deployer set the jobs' run_as. */
    databricksAccountId: string;
    /** Lifetime of Airflow's Databricks OAuth secret, days. */
    secretLifetimeDays: number;
  };
  stream: {
    nodeType: string;
    workers: number;
    trigger: string;
  };
  /** Per field rule: null the bad field and keep the row ("null"), or quarantine the row whole ("drop").
   * Rules it does not name null. Both jobs apply it (components/quality.ts). */
  qualityPolicy: QualityPolicy;
  airflow: {
    environmentClass: (typeof MWAA_ENVIRONMENT_CLASSES)[number];
    maxWorkers: number;
    webserverAccess: (typeof WEBSERVER_ACCESS)[number];
    /** Use this MWAA environment instead of creating one (with existingDagBucket). */
    existingEnvironmentName?: string;
    existingDagBucket?: string;
  };
  manageApiGatewayAccount: boolean;
  /** Protect the stateful resources (data, keys, secrets) from deletion and keep them if the stack goes. */
  protectStatefulResources: boolean;
  logRetentionDays: number;
  databricksRuntime: string;
  airflowVersion: string;
  alertEmail?: string;
  tags: Record<string, string>;
}

/** Raw values as `pulumi config` holds them: strings (structured values as JSON text). */
export type RawConfig = Record<string, string | undefined>;

const intText = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const boolText = z.enum(["true", "false"]).transform((v) => v === "true");

const cidrText = z.string().refine(isPrivateCidr16to20);

const jsonText = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "not JSON" });
        return z.NEVER;
      }
    })
    .pipe(schema);

interface KeySpec {
  schema: z.ZodType;
  /** Completes "pinterest-pipeline:<key> ..." when the value is rejected. */
  expected: string;
}

/** Every key this program reads. The order is the order of docs/configuration.md. */
export const CONFIG_KEYS = {
  namePrefix: {
    schema: z.string().regex(NAME_PREFIX),
    expected: `must be ${NAME_PREFIX_RULE}`,
  },
  vpcId: {
    schema: z.string().regex(/^vpc-[0-9a-f]{8,17}$/),
    expected: "must be a VPC id like vpc-0123456789abcdef0",
  },
  privateSubnetIds: {
    schema: jsonText(z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/)).min(2)),
    expected: "must be a list of two or more subnet ids like subnet-0123456789abcdef0",
  },
  vpcCidr: {
    schema: cidrText,
    expected: "must be a private IPv4 CIDR block from /16 to /20 (e.g. 10.20.0.0/16)",
  },
  availabilityZoneCount: { schema: intText(2, 3), expected: "must be an integer from 2 to 3" },
  natGatewayMode: {
    schema: z.enum(NAT_GATEWAY_MODES),
    expected: `must be one of ${NAT_GATEWAY_MODES.join("|")}`,
  },
  logRetentionDays: {
    schema: intText(1, 3653).refine((n) => (LOG_RETENTION_DAYS as readonly number[]).includes(n)),
    expected: `must be one of CloudWatch's retention values (${LOG_RETENTION_DAYS.join(", ")})`,
  },
  rawDataRetentionDays: { schema: intText(1, 3650), expected: "must be an integer from 1 to 3650" },
  rawDataInfrequentAccessDays: { schema: intText(30, 3649), expected: "must be an integer from 30 to 3649" },
  lakeForceDestroy: { schema: boolText, expected: "must be true or false" },
  kinesisMode: { schema: z.enum(KINESIS_MODES), expected: `must be one of ${KINESIS_MODES.join("|")}` },
  kinesisShardCount: { schema: intText(1, 500), expected: "must be an integer from 1 to 500" },
  kinesisRetentionHours: { schema: intText(24, 8760), expected: "must be an integer from 24 to 8760" },
  mskKafkaVersion: {
    schema: z.string().regex(/^[4-9]\.\d+\.x\.kraft$/),
    expected: "must be an MSK KRaft version like 4.1.x.kraft",
  },
  mskBrokerInstanceType: {
    schema: z.string().regex(/^kafka\.[a-z0-9]+\.[a-z0-9]+$/),
    expected: "must be an MSK broker type like kafka.t3.small or kafka.m7g.large",
  },
  mskBrokersPerAz: { schema: intText(1, 4), expected: "must be an integer from 1 to 4" },
  mskBrokerVolumeGiB: { schema: intText(1, 16384), expected: "must be an integer from 1 to 16384" },
  kafkaTopicPartitions: { schema: intText(1, 1000), expected: "must be an integer from 1 to 1000" },
  kafkaTopicRetentionHours: { schema: intText(1, 8760), expected: "must be an integer from 1 to 8760" },
  sinkPluginLocation: {
    schema: z.string().regex(/^(s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+|https:\/\/[^\s]+)\.(zip|jar)$/),
    expected: "must be s3://<bucket>/<key>.zip or an https:// URL of the connector's .zip",
  },
  sinkPluginSha256: {
    schema: z.string().regex(/^[0-9a-f]{64}$/),
    expected: "must be the plugin zip's SHA-256, 64 lowercase hex digits",
  },
  sinkFlushSize: { schema: intText(1, 1000000), expected: "must be an integer from 1 to 1000000" },
  sinkRotateIntervalMs: {
    schema: intText(60000, 86400000),
    expected: "must be an integer from 60000 to 86400000",
  },
  connectorMcuCount: {
    schema: intText(1, 8).refine((n) => [1, 2, 4, 8].includes(n)),
    expected: "must be one of 1, 2, 4, 8",
  },
  connectorWorkerCount: { schema: intText(1, 10), expected: "must be an integer from 1 to 10" },
  ingestThrottleRateLimit: { schema: intText(1, 10000), expected: "must be an integer from 1 to 10000" },
  ingestThrottleBurstLimit: { schema: intText(1, 5000), expected: "must be an integer from 1 to 5000" },
  ingestQuotaPerDay: { schema: intText(1, 1000000000), expected: "must be an integer from 1 to 1000000000" },
  ingestFunctionMemoryMb: { schema: intText(128, 10240), expected: "must be an integer from 128 to 10240" },
  databricksSecretLifetimeDays: { schema: intText(15, 730), expected: "must be an integer from 15 to 730" },
  ingestFunctionReservedConcurrency: {
    schema: intText(1, 1000),
    expected: "must be an integer from 1 to 1000",
  },
  ingestClients: {
    schema: jsonText(
      z
        .array(z.string().regex(CLIENT_NAME))
        .min(1)
        .max(20)
        .refine((a) => new Set(a).size === a.length),
    ),
    expected: 'must be a list of 1-20 unique client names of a-z, 0-9 and \'-\', like ["emulator","web"]',
  },
  ingestWafRateLimit: {
    schema: intText(10, 2000000000),
    expected: "must be an integer from 10 to 2000000000",
  },
  manageApiGatewayAccount: { schema: boolText, expected: "must be true or false" },
  protectStatefulResources: { schema: boolText, expected: "must be true or false" },
  databricksRuntime: {
    schema: z.enum(DATABRICKS_RUNTIMES as [string, ...string[]]),
    expected: `must be one of ${DATABRICKS_RUNTIMES.join("|")}`,
  },
  airflowVersion: {
    schema: z.enum(AIRFLOW_VERSIONS as [string, ...string[]]),
    expected: `must be one of ${AIRFLOW_VERSIONS.join("|")}`,
  },
  batchNodeType: {
    schema: z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/),
    expected: "must be an EC2 node type like m5d.large",
  },
  batchWorkers: { schema: intText(1, 100), expected: "must be an integer from 1 to 100" },
  batchMaxRetries: { schema: intText(0, 10), expected: "must be an integer from 0 to 10" },
  batchTimeoutMinutes: { schema: intText(10, 1440), expected: "must be an integer from 10 to 1440" },
  databricksAccountId: {
    schema: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
    expected: "must be the Databricks account's id, a UUID like 0a1b2c3d-4e5f-6789-abcd-ef0123456789",
  },
  databricksCrossAccountRoleName: {
    schema: z.string().regex(/^[\w+=,.@-]{1,64}$/),
    expected: "must be an IAM role name (1-64 characters of letters, digits and +=,.@_-)",
  },
  streamNodeType: {
    schema: z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/),
    expected: "must be an EC2 node type like m5d.large",
  },
  streamWorkers: { schema: intText(1, 100), expected: "must be an integer from 1 to 100" },
  streamTrigger: {
    schema: z.string().regex(/^\d+(ms|s|m)$/),
    expected: "must be an interval like 10s, 500ms or 1m",
  },
  qualityPolicy: {
    schema: jsonText(
      z.strictObject(
        Object.fromEntries(QUALITY_RULE_IDS.map((rule) => [rule, z.enum(QUALITY_ACTIONS).optional()])),
      ),
    ),
    expected: `must be a JSON object of rule -> ${QUALITY_ACTIONS.join("|")}, rules: ${QUALITY_RULE_IDS.join(", ")}`,
  },
  mwaaEnvironmentClass: {
    schema: z.enum(MWAA_ENVIRONMENT_CLASSES),
    expected: `must be one of ${MWAA_ENVIRONMENT_CLASSES.join("|")}`,
  },
  mwaaMaxWorkers: { schema: intText(1, 25), expected: "must be an integer from 1 to 25" },
  mwaaWebserverAccess: {
    schema: z.enum(WEBSERVER_ACCESS),
    expected: `must be one of ${WEBSERVER_ACCESS.join("|")}`,
  },
  existingMwaaEnvironmentName: {
    schema: z.string().regex(/^[a-zA-Z][0-9a-zA-Z_-]{0,79}$/),
    expected: "must be an MWAA environment name (a letter, then up to 79 letters, digits, '-' and '_')",
  },
  existingMwaaDagBucket: {
    schema: z.string().regex(/^airflow-[a-z0-9][a-z0-9.-]{0,53}[a-z0-9]$/),
    expected: "must be an S3 bucket name starting with 'airflow-' (MWAA requires it)",
  },
  alertEmail: { schema: z.email(), expected: "must be an email address" },
  tags: {
    schema: jsonText(z.record(z.string().min(1).max(128), z.string().max(256))),
    expected: "must be a map of tag names to string values",
  },
} satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;

/**
 * The default of every key that has a fixed one: the one place it is written (docs/configuration.md shows it,
 * test/config.test.ts checks the two agree). Keys without an entry are required, or computed (namePrefix from
 * the stack name, the runtimes from components/runtimes.json).
 */
export const DEFAULTS = {
  vpcCidr: "10.20.0.0/16",
  availabilityZoneCount: 2,
  natGatewayMode: "single",
  logRetentionDays: 30,
  rawDataRetentionDays: 30,
  lakeForceDestroy: false,
  kinesisMode: "on-demand",
  kinesisRetentionHours: 24,
  ingestThrottleRateLimit: 100,
  ingestThrottleBurstLimit: 200,
  mskKafkaVersion: "4.1.x.kraft",
  mskBrokerInstanceType: "kafka.t3.small",
  mskBrokersPerAz: 1,
  mskBrokerVolumeGiB: 20,
  kafkaTopicPartitions: 3,
  kafkaTopicRetentionHours: 168,
  sinkFlushSize: 10000,
  sinkRotateIntervalMs: 600000,
  connectorMcuCount: 1,
  connectorWorkerCount: 1,
  ingestClients: ["emulator"],
  ingestQuotaPerDay: 1000000,
  ingestWafRateLimit: 20000,
  ingestFunctionMemoryMb: 512,
  batchNodeType: "m5d.large",
  batchWorkers: 2,
  batchMaxRetries: 2,
  batchTimeoutMinutes: 120,
  databricksSecretLifetimeDays: 90,
  streamNodeType: "m5d.large",
  streamWorkers: 1,
  streamTrigger: "10s",
  qualityPolicy: {},
  mwaaEnvironmentClass: "mw1.small",
  mwaaMaxWorkers: 2,
  mwaaWebserverAccess: "private",
  manageApiGatewayAccount: true,
  protectStatefulResources: true,
} satisfies { [K in ConfigKey]?: z.output<(typeof CONFIG_KEYS)[K]["schema"]> };

/** Thrown with every problem found, one per line, so a user fixes the stack file in one pass. */
export class StackConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`invalid stack configuration:\n  ${problems.join("\n  ")}`);
    this.name = "StackConfigError";
  }
}

/**
 * Validates raw config (keys without the namespace) for `stack` and applies defaults.
 * Throws StackConfigError listing each bad value as `pinterest-pipeline:<key> <expected>, got '<value>'`.
 */
/** Provider settings the program checks beside its own namespace (parseStackConfig's third argument). */
export interface ProviderSettings {
  /** `databricks:host` from the stack's config. */
  databricksHost?: string;
  /** DATABRICKS_HOST from the environment of `pulumi up`. */
  envDatabricksHost?: string;
}

export function parseStackConfig(raw: RawConfig, stack: string, providers?: ProviderSettings): StackConfig {
  const problems: string[] = [];
  if (providers) {
    const hostProblem = checkDatabricksHost(providers.databricksHost, providers.envDatabricksHost);
    if (hostProblem) problems.push(hostProblem);
  }
  const known = new Set<string>(Object.keys(CONFIG_KEYS));
  for (const key of Object.keys(raw).sort()) {
    if (!known.has(key)) {
      problems.push(`${CONFIG_NAMESPACE}:${key} is not a known key (see docs/configuration.md)`);
    }
  }
  const read = <K extends ConfigKey>(key: K): z.output<(typeof CONFIG_KEYS)[K]["schema"]> | undefined => {
    const value = raw[key];
    if (value === undefined) return undefined;
    const spec: KeySpec = CONFIG_KEYS[key];
    const parsed = spec.schema.safeParse(value);
    if (!parsed.success) {
      problems.push(`${CONFIG_NAMESPACE}:${key} ${spec.expected}, got '${value}'`);
      return undefined;
    }
    return parsed.data as z.output<(typeof CONFIG_KEYS)[K]["schema"]>;
  };

  const defaultPrefix = `pinpipe-${stack}`;
  const namePrefix = read("namePrefix") ?? defaultPrefix;
  if (raw.namePrefix === undefined && !CONFIG_KEYS.namePrefix.schema.safeParse(defaultPrefix).success) {
    problems.push(
      `${CONFIG_NAMESPACE}:namePrefix is required because the default '${defaultPrefix}' (from the stack name) ${CONFIG_KEYS.namePrefix.expected}`,
    );
  }
  const existingVpcId = read("vpcId");
  const existingPrivateSubnetIds = read("privateSubnetIds");
  const vpcCidr = read("vpcCidr") ?? DEFAULTS.vpcCidr;
  const availabilityZoneCount = read("availabilityZoneCount") ?? DEFAULTS.availabilityZoneCount;
  const natGatewayMode = read("natGatewayMode") ?? DEFAULTS.natGatewayMode;
  const logRetentionDays = read("logRetentionDays") ?? DEFAULTS.logRetentionDays;
  const rawDataRetentionDays = read("rawDataRetentionDays") ?? DEFAULTS.rawDataRetentionDays;
  const rawDataInfrequentAccessDays = read("rawDataInfrequentAccessDays");
  const forceDestroy = read("lakeForceDestroy") ?? DEFAULTS.lakeForceDestroy;
  const mode = read("kinesisMode") ?? DEFAULTS.kinesisMode;
  const shardCount = read("kinesisShardCount");
  const retentionHours = read("kinesisRetentionHours") ?? DEFAULTS.kinesisRetentionHours;
  const databricksRuntime = read("databricksRuntime") ?? DATABRICKS_RUNTIMES[0];
  const airflowVersion = read("airflowVersion") ?? AIRFLOW_VERSIONS[0];
  const alertEmail = read("alertEmail");
  const sinkPluginLocation = read("sinkPluginLocation");
  if (raw.sinkPluginLocation === undefined) {
    problems.push(
      `${CONFIG_NAMESPACE}:sinkPluginLocation is required: where Confluent's S3 sink connector zip is (s3://<bucket>/<key>.zip or an https:// URL)`,
    );
  }
  const throttleRateLimit = read("ingestThrottleRateLimit") ?? DEFAULTS.ingestThrottleRateLimit;
  const throttleBurstLimit = read("ingestThrottleBurstLimit") ?? DEFAULTS.ingestThrottleBurstLimit;
  const tags = read("tags") ?? {};

  // Rules between keys, checked only when each key on its own was fine.
  if ((raw.vpcId === undefined) !== (raw.privateSubnetIds === undefined)) {
    problems.push(`${CONFIG_NAMESPACE}:vpcId and ${CONFIG_NAMESPACE}:privateSubnetIds must be set together`);
  }
  if (raw.vpcId !== undefined && (raw.vpcCidr !== undefined || raw.natGatewayMode !== undefined)) {
    problems.push(
      `${CONFIG_NAMESPACE}:vpcCidr and ${CONFIG_NAMESPACE}:natGatewayMode apply only to a created VPC; remove them when vpcId is set`,
    );
  }
  if (mode === "provisioned" && raw.kinesisShardCount === undefined) {
    problems.push(`${CONFIG_NAMESPACE}:kinesisShardCount is required when kinesisMode is provisioned`);
  }
  if (mode === "on-demand" && raw.kinesisShardCount !== undefined) {
    problems.push(`${CONFIG_NAMESPACE}:kinesisShardCount applies only when kinesisMode is provisioned`);
  }
  if (rawDataInfrequentAccessDays !== undefined && rawDataInfrequentAccessDays >= rawDataRetentionDays) {
    problems.push(
      `${CONFIG_NAMESPACE}:rawDataInfrequentAccessDays must be less than rawDataRetentionDays (${rawDataRetentionDays}), got '${rawDataInfrequentAccessDays}'`,
    );
  }
  const kafka: StackConfig["kafka"] = {
    mskKafkaVersion: read("mskKafkaVersion") ?? DEFAULTS.mskKafkaVersion,
    brokerInstanceType: read("mskBrokerInstanceType") ?? DEFAULTS.mskBrokerInstanceType,
    brokersPerAz: read("mskBrokersPerAz") ?? DEFAULTS.mskBrokersPerAz,
    brokerVolumeGiB: read("mskBrokerVolumeGiB") ?? DEFAULTS.mskBrokerVolumeGiB,
    topicPartitions: read("kafkaTopicPartitions") ?? DEFAULTS.kafkaTopicPartitions,
    topicRetentionHours: read("kafkaTopicRetentionHours") ?? DEFAULTS.kafkaTopicRetentionHours,
    sinkPluginLocation: sinkPluginLocation!,
    sinkPluginSha256: read("sinkPluginSha256"),
    sinkFlushSize: read("sinkFlushSize") ?? DEFAULTS.sinkFlushSize,
    sinkRotateIntervalMs: read("sinkRotateIntervalMs") ?? DEFAULTS.sinkRotateIntervalMs,
    connectorMcuCount: read("connectorMcuCount") ?? DEFAULTS.connectorMcuCount,
    connectorWorkerCount: read("connectorWorkerCount") ?? DEFAULTS.connectorWorkerCount,
  };
  const ingest: StackConfig["ingest"] = {
    throttleRateLimit,
    throttleBurstLimit,
    clients: read("ingestClients") ?? DEFAULTS.ingestClients,
    quotaPerDay: read("ingestQuotaPerDay") ?? DEFAULTS.ingestQuotaPerDay,
    wafRateLimitPer5Min: read("ingestWafRateLimit") ?? DEFAULTS.ingestWafRateLimit,
    functionMemoryMb: read("ingestFunctionMemoryMb") ?? DEFAULTS.ingestFunctionMemoryMb,
    functionReservedConcurrency: read("ingestFunctionReservedConcurrency"),
  };
  const batch: StackConfig["batch"] = {
    nodeType: read("batchNodeType") ?? DEFAULTS.batchNodeType,
    workers: read("batchWorkers") ?? DEFAULTS.batchWorkers,
    maxRetries: read("batchMaxRetries") ?? DEFAULTS.batchMaxRetries,
    timeoutMinutes: read("batchTimeoutMinutes") ?? DEFAULTS.batchTimeoutMinutes,
    secretLifetimeDays: read("databricksSecretLifetimeDays") ?? DEFAULTS.databricksSecretLifetimeDays,
    crossAccountRoleName: read("databricksCrossAccountRoleName"),
    databricksAccountId: read("databricksAccountId") ?? "",
  };
  const stream: StackConfig["stream"] = {
    nodeType: read("streamNodeType") ?? DEFAULTS.streamNodeType,
    workers: read("streamWorkers") ?? DEFAULTS.streamWorkers,
    trigger: read("streamTrigger") ?? DEFAULTS.streamTrigger,
  };
  const airflow: StackConfig["airflow"] = {
    environmentClass: read("mwaaEnvironmentClass") ?? DEFAULTS.mwaaEnvironmentClass,
    maxWorkers: read("mwaaMaxWorkers") ?? DEFAULTS.mwaaMaxWorkers,
    webserverAccess: read("mwaaWebserverAccess") ?? DEFAULTS.mwaaWebserverAccess,
    existingEnvironmentName: read("existingMwaaEnvironmentName"),
    existingDagBucket: read("existingMwaaDagBucket"),
  };
  if ((raw.existingMwaaEnvironmentName === undefined) !== (raw.existingMwaaDagBucket === undefined)) {
    problems.push(
      `${CONFIG_NAMESPACE}:existingMwaaEnvironmentName and ${CONFIG_NAMESPACE}:existingMwaaDagBucket must be set together`,
    );
  }
  if (
    raw.existingMwaaEnvironmentName !== undefined &&
    (raw.mwaaEnvironmentClass !== undefined ||
      raw.mwaaMaxWorkers !== undefined ||
      raw.mwaaWebserverAccess !== undefined)
  ) {
    problems.push(
      `${CONFIG_NAMESPACE}:mwaaEnvironmentClass, mwaaMaxWorkers and mwaaWebserverAccess apply only to a created environment; remove them when existingMwaaEnvironmentName is set`,
    );
  }
  if (raw.databricksAccountId === undefined) {
    problems.push(
      `${CONFIG_NAMESPACE}:databricksAccountId is required: the Databricks account's id (the account console shows it), to let the deploying principal set each job's run_as to the job's own service principal (docs/deploy-checklist.md)`,
    );
  }
  if (raw.databricksCrossAccountRoleName === undefined) {
    problems.push(
      `${CONFIG_NAMESPACE}:databricksCrossAccountRoleName is required: the Databricks workspace's cross-account role, which launches the jobs' clusters and must be allowed iam:PassRole on their roles (the stack grants it; docs/deploy-checklist.md)`,
    );
  }
  const manageApiGatewayAccount = read("manageApiGatewayAccount") ?? DEFAULTS.manageApiGatewayAccount;
  const protectStatefulResources = read("protectStatefulResources") ?? DEFAULTS.protectStatefulResources;
  const qualityPolicy = read("qualityPolicy") ?? DEFAULTS.qualityPolicy;
  if (throttleBurstLimit < throttleRateLimit) {
    problems.push(
      `${CONFIG_NAMESPACE}:ingestThrottleBurstLimit must be at least ingestThrottleRateLimit (${throttleRateLimit}), got '${throttleBurstLimit}'`,
    );
  }
  if (problems.length > 0) throw new StackConfigError(problems);

  return {
    namePrefix,
    network: { existingVpcId, existingPrivateSubnetIds, vpcCidr, availabilityZoneCount, natGatewayMode },
    lake: { rawDataRetentionDays, rawDataInfrequentAccessDays, forceDestroy },
    kinesis: { mode, shardCount, retentionHours },
    kafka,
    ingest,
    batch,
    stream,
    qualityPolicy,
    airflow,
    manageApiGatewayAccount,
    protectStatefulResources,
    logRetentionDays,
    databricksRuntime,
    airflowVersion,
    alertEmail,
    tags,
  };
}

/** Reads this stack's `pinterest-pipeline:*` values and validates them. */
export function loadStackConfig(): StackConfig {
  const raw: RawConfig = {};
  const prefix = `${CONFIG_NAMESPACE}:`;
  const all = pulumi.runtime.allConfig();
  for (const [key, value] of Object.entries(all)) {
    if (key.startsWith(prefix)) raw[key.slice(prefix.length)] = value;
  }
  return parseStackConfig(raw, pulumi.getStack(), {
    databricksHost: all["databricks:host"],
    envDatabricksHost: process.env.DATABRICKS_HOST,
  });
}

/** An AWS workspace's URL (commercial, GovCloud or DoD domains), with nothing after the host. */
export const DATABRICKS_HOST_URL =
  /^https:\/\/[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9-]+)*\.cloud\.databricks\.(com|us|mil)\/?$/;

/**
 * `databricks:host` belongs in the stack file, so a reviewer sees which workspace a stack deploys to. The
 * provider also reads DATABRICKS_HOST from the environment; when both are set they must agree, or an `up`
 * could land in a workspace the stack file does not name. Returns the problem, or null.
 */
export function checkDatabricksHost(
  configured: string | undefined,
  fromEnv: string | undefined,
): string | null {
  if (configured === undefined || configured === "")
    return (
      "databricks:host is required in the stack file: the workspace's URL, like " +
      "https://dbc-0a1b2c3d-4e5f.cloud.databricks.com (pulumi config set databricks:host <url>; docs/deploy-checklist.md)"
    );
  if (!DATABRICKS_HOST_URL.test(configured))
    return `databricks:host must be an AWS workspace URL like https://<workspace>.cloud.databricks.com with no path, got '${configured}'`;
  const norm = (url: string) => url.replace(/\/+$/, "").toLowerCase();
  if (fromEnv && norm(fromEnv) !== norm(configured))
    return `databricks:host is ${configured} but DATABRICKS_HOST in the environment is ${fromEnv}: unset one, or make them agree`;
  return null;
}
