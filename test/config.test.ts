import { strict as assert } from "node:assert";
import * as path from "node:path";
import * as fs from "node:fs";
import {
  CONFIG_KEYS,
  CONFIG_NAMESPACE,
  DEFAULTS,
  parseStackConfig,
  RawConfig,
  StackConfigError,
} from "../config";
import { readStackFile } from "../synth/synth";
import { QUALITY_RULE_IDS } from "../components/quality";

const ROOT = path.resolve(__dirname, "..");

const PLUGIN = "s3://artifacts-bucket/plugins/s3-sink.zip";
/** The keys every stack must set. */
const REQUIRED = {
  sinkPluginLocation: PLUGIN,
  databricksCrossAccountRoleName: "dbx-cross-account",
  databricksAccountId: "0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d",
};

/** The problems parseStackConfig reports for `raw` (plus the required keys), or [] when it accepts it. */
function problemsOf(raw: RawConfig, stack = "dev"): string[] {
  try {
    parseStackConfig({ ...REQUIRED, ...raw }, stack);
    return [];
  } catch (err) {
    assert.ok(err instanceof StackConfigError, String(err));
    return err.problems;
  }
}

function stackValues(stack: string): RawConfig {
  const { config } = readStackFile(ROOT, stack);
  return Object.fromEntries(
    Object.entries(config)
      .filter(([k]) => k.startsWith(`${CONFIG_NAMESPACE}:`))
      .map(([k, v]) => [k.slice(CONFIG_NAMESPACE.length + 1), v]),
  );
}

describe("stack configuration", () => {
  it("applies documented defaults to a config holding only the required keys", () => {
    assert.deepEqual(parseStackConfig(REQUIRED, "dev"), {
      namePrefix: "pinpipe-dev",
      network: {
        existingVpcId: undefined,
        existingPrivateSubnetIds: undefined,
        vpcCidr: "10.20.0.0/16",
        availabilityZoneCount: 2,
        natGatewayMode: "single",
      },
      lake: { rawDataRetentionDays: 30, rawDataInfrequentAccessDays: undefined, forceDestroy: false },
      kinesis: { mode: "on-demand", shardCount: undefined, retentionHours: 24 },
      kafka: {
        mskKafkaVersion: "4.1.x.kraft",
        brokerInstanceType: "kafka.t3.small",
        brokersPerAz: 1,
        brokerVolumeGiB: 20,
        topicPartitions: 3,
        topicRetentionHours: 168,
        sinkPluginLocation: PLUGIN,
        sinkPluginSha256: undefined,
        sinkFlushSize: 10000,
        sinkRotateIntervalMs: 600000,
        connectorMcuCount: 1,
        connectorWorkerCount: 1,
      },
      ingest: {
        throttleRateLimit: 100,
        throttleBurstLimit: 200,
        clients: ["emulator"],
        quotaPerDay: 1000000,
        wafRateLimitPer5Min: 20000,
        functionMemoryMb: 512,
        functionReservedConcurrency: undefined,
      },
      batch: {
        nodeType: "m5d.large",
        workers: 2,
        maxRetries: 2,
        timeoutMinutes: 120,
        secretLifetimeDays: 90,
        crossAccountRoleName: "dbx-cross-account",
        databricksAccountId: "0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d",
      },
      stream: { nodeType: "m5d.large", workers: 1, trigger: "10s" },
      airflow: {
        environmentClass: "mw1.small",
        maxWorkers: 2,
        webserverAccess: "private",
        existingEnvironmentName: undefined,
        existingDagBucket: undefined,
      },
      manageApiGatewayAccount: true,
      protectStatefulResources: true,
      qualityPolicy: {},
      logRetentionDays: 30,
      databricksRuntime: "17.3.x-scala2.13",
      airflowVersion: "2.10.3",
      alertEmail: undefined,
      tags: {},
    });
  });

  it("accepts the dev and prod stack files, which differ in config only", () => {
    const dev = parseStackConfig(stackValues("dev"), "dev");
    const prod = parseStackConfig(stackValues("prod"), "prod");
    assert.equal(dev.network.natGatewayMode, "single");
    assert.equal(prod.network.natGatewayMode, "per-az");
    assert.equal(prod.kinesis.mode, "provisioned");
    assert.equal(prod.kinesis.shardCount, 4);
    assert.equal(dev.lake.forceDestroy, true);
    assert.equal(prod.lake.forceDestroy, false);
    assert.equal(prod.lake.rawDataInfrequentAccessDays, 30);
  });

  const badValues: Array<[string, string, string]> = [
    ["kinesisMode", "x", "pinterest-pipeline:kinesisMode must be one of on-demand|provisioned, got 'x'"],
    ["natGatewayMode", "dual", "pinterest-pipeline:natGatewayMode must be one of single|per-az, got 'dual'"],
    [
      "namePrefix",
      "Pin_Pipe",
      "pinterest-pipeline:namePrefix must be 2-20 characters of a-z, 0-9 and '-', starting with a letter, got 'Pin_Pipe'",
    ],
    [
      "vpcCidr",
      "10.20.0.0/8",
      "pinterest-pipeline:vpcCidr must be a private IPv4 CIDR block from /16 to /20 (e.g. 10.20.0.0/16), got '10.20.0.0/8'",
    ],
    [
      "vpcCidr",
      "52.0.0.0/16",
      "pinterest-pipeline:vpcCidr must be a private IPv4 CIDR block from /16 to /20 (e.g. 10.20.0.0/16), got '52.0.0.0/16'",
    ],
    [
      "availabilityZoneCount",
      "1",
      "pinterest-pipeline:availabilityZoneCount must be an integer from 2 to 3, got '1'",
    ],
    [
      "availabilityZoneCount",
      "two",
      "pinterest-pipeline:availabilityZoneCount must be an integer from 2 to 3, got 'two'",
    ],
    [
      "logRetentionDays",
      "10",
      "pinterest-pipeline:logRetentionDays must be one of CloudWatch's retention values (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653), got '10'",
    ],
    [
      "rawDataRetentionDays",
      "0",
      "pinterest-pipeline:rawDataRetentionDays must be an integer from 1 to 3650, got '0'",
    ],
    [
      "rawDataInfrequentAccessDays",
      "7",
      "pinterest-pipeline:rawDataInfrequentAccessDays must be an integer from 30 to 3649, got '7'",
    ],
    ["lakeForceDestroy", "yes", "pinterest-pipeline:lakeForceDestroy must be true or false, got 'yes'"],
    [
      "kinesisRetentionHours",
      "12",
      "pinterest-pipeline:kinesisRetentionHours must be an integer from 24 to 8760, got '12'",
    ],
    [
      "databricksRuntime",
      "13.3.x-scala2.12",
      "pinterest-pipeline:databricksRuntime must be one of 17.3.x-scala2.13, got '13.3.x-scala2.12'",
    ],
    ["airflowVersion", "2.4.3", "pinterest-pipeline:airflowVersion must be one of 2.10.3, got '2.4.3'"],
    ["alertEmail", "oncall", "pinterest-pipeline:alertEmail must be an email address, got 'oncall'"],
    [
      "batchNodeType",
      "large",
      "pinterest-pipeline:batchNodeType must be an EC2 node type like m5d.large, got 'large'",
    ],
    ["batchWorkers", "0", "pinterest-pipeline:batchWorkers must be an integer from 1 to 100, got '0'"],
    ["batchMaxRetries", "11", "pinterest-pipeline:batchMaxRetries must be an integer from 0 to 10, got '11'"],
    [
      "batchTimeoutMinutes",
      "5",
      "pinterest-pipeline:batchTimeoutMinutes must be an integer from 10 to 1440, got '5'",
    ],
    [
      "databricksCrossAccountRoleName",
      "role/with/slashes",
      "pinterest-pipeline:databricksCrossAccountRoleName must be an IAM role name (1-64 characters of letters, digits and +=,.@_-), got 'role/with/slashes'",
    ],
    [
      "streamNodeType",
      "big",
      "pinterest-pipeline:streamNodeType must be an EC2 node type like m5d.large, got 'big'",
    ],
    ["streamWorkers", "0", "pinterest-pipeline:streamWorkers must be an integer from 1 to 100, got '0'"],
    [
      "streamTrigger",
      "available-now",
      "pinterest-pipeline:streamTrigger must be an interval like 10s, 500ms or 1m, got 'available-now'",
    ],
    [
      "qualityPolicy",
      '{"age.too_old":"drop"}',
      `pinterest-pipeline:qualityPolicy must be a JSON object of rule -> null|drop, rules: ${QUALITY_RULE_IDS.join(", ")}, got '{"age.too_old":"drop"}'`,
    ],
    [
      "qualityPolicy",
      '{"age.out_of_range":"skip"}',
      `pinterest-pipeline:qualityPolicy must be a JSON object of rule -> null|drop, rules: ${QUALITY_RULE_IDS.join(", ")}, got '{"age.out_of_range":"skip"}'`,
    ],
    [
      "mwaaEnvironmentClass",
      "mw1.huge",
      "pinterest-pipeline:mwaaEnvironmentClass must be one of mw1.micro|mw1.small|mw1.medium|mw1.large|mw1.xlarge|mw1.2xlarge, got 'mw1.huge'",
    ],
    ["mwaaMaxWorkers", "26", "pinterest-pipeline:mwaaMaxWorkers must be an integer from 1 to 25, got '26'"],
    [
      "mwaaWebserverAccess",
      "open",
      "pinterest-pipeline:mwaaWebserverAccess must be one of private|public, got 'open'",
    ],
    ["tags", "[1]", "pinterest-pipeline:tags must be a map of tag names to string values, got '[1]'"],
    [
      "tags",
      "{not json",
      "pinterest-pipeline:tags must be a map of tag names to string values, got '{not json'",
    ],
  ];
  for (const [key, value, message] of badValues) {
    it(`rejects ${key}='${value}' with its exact message`, () => {
      assert.deepEqual(problemsOf({ [key]: value }), [message]);
    });
  }

  it("rejects a bad shard count and a shard count without provisioned mode", () => {
    assert.deepEqual(problemsOf({ kinesisMode: "provisioned", kinesisShardCount: "0" }), [
      "pinterest-pipeline:kinesisShardCount must be an integer from 1 to 500, got '0'",
    ]);
    assert.deepEqual(problemsOf({ kinesisMode: "provisioned" }), [
      "pinterest-pipeline:kinesisShardCount is required when kinesisMode is provisioned",
    ]);
    assert.deepEqual(problemsOf({ kinesisShardCount: "2" }), [
      "pinterest-pipeline:kinesisShardCount applies only when kinesisMode is provisioned",
    ]);
  });

  it("requires an adopted VPC to come with its private subnets, and nothing for a created VPC beside it", () => {
    assert.deepEqual(problemsOf({ vpcId: "vpc-0123456789abcdef0" }), [
      "pinterest-pipeline:vpcId and pinterest-pipeline:privateSubnetIds must be set together",
    ]);
    assert.deepEqual(problemsOf({ vpcId: "vpc-12", privateSubnetIds: '["subnet-1"]' }), [
      "pinterest-pipeline:vpcId must be a VPC id like vpc-0123456789abcdef0, got 'vpc-12'",
      "pinterest-pipeline:privateSubnetIds must be a list of two or more subnet ids like subnet-0123456789abcdef0, got '[\"subnet-1\"]'",
    ]);
    assert.deepEqual(
      problemsOf({
        vpcId: "vpc-0123456789abcdef0",
        privateSubnetIds: '["subnet-0123456789abcdef0","subnet-0fedcba9876543210"]',
        vpcCidr: "10.1.0.0/16",
      }),
      [
        "pinterest-pipeline:vpcCidr and pinterest-pipeline:natGatewayMode apply only to a created VPC; remove them when vpcId is set",
      ],
    );
    const adopted = parseStackConfig(
      {
        vpcId: "vpc-0123456789abcdef0",
        privateSubnetIds: '["subnet-0123456789abcdef0","subnet-0fedcba9876543210"]',
        ...REQUIRED,
      },
      "dev",
    );
    assert.deepEqual(adopted.network.existingPrivateSubnetIds, [
      "subnet-0123456789abcdef0",
      "subnet-0fedcba9876543210",
    ]);
  });

  it("requires the connector's location, the workspace's cross-account role and a burst no lower than the rate", () => {
    assert.deepEqual(
      (() => {
        try {
          parseStackConfig({}, "dev");
          return [];
        } catch (err) {
          return (err as StackConfigError).problems;
        }
      })(),
      [
        "pinterest-pipeline:sinkPluginLocation is required: where Confluent's S3 sink connector zip is (s3://<bucket>/<key>.zip or an https:// URL)",
        "pinterest-pipeline:databricksAccountId is required: the Databricks account's id (the account console shows it), to let the deploying principal set each job's run_as to the job's own service principal (docs/deploy-checklist.md)",
        "pinterest-pipeline:databricksCrossAccountRoleName is required: the Databricks workspace's cross-account role, which launches the jobs' clusters and must be allowed iam:PassRole on their roles (the stack grants it; docs/deploy-checklist.md)",
      ],
    );
    assert.deepEqual(problemsOf({ ingestThrottleRateLimit: "300" }), [
      "pinterest-pipeline:ingestThrottleBurstLimit must be at least ingestThrottleRateLimit (300), got '200'",
    ]);
  });

  it("requires databricks:host in the stack file, an AWS workspace URL, agreeing with DATABRICKS_HOST", () => {
    const hostProblems = (databricksHost?: string, envDatabricksHost?: string) => {
      try {
        parseStackConfig(REQUIRED, "dev", { databricksHost, envDatabricksHost });
        return [];
      } catch (err) {
        return (err as StackConfigError).problems;
      }
    };
    assert.deepEqual(hostProblems(undefined, "https://dbc-1.cloud.databricks.com"), [
      "databricks:host is required in the stack file: the workspace's URL, like https://dbc-0a1b2c3d-4e5f.cloud.databricks.com (pulumi config set databricks:host <url>; docs/deploy-checklist.md)",
    ]);
    assert.deepEqual(hostProblems("dbc-1.cloud.databricks.com"), [
      "databricks:host must be an AWS workspace URL like https://<workspace>.cloud.databricks.com with no path, got 'dbc-1.cloud.databricks.com'",
    ]);
    assert.equal(hostProblems("https://adb-1.2.azuredatabricks.net").length, 1);
    assert.equal(hostProblems("https://dbc-1.cloud.databricks.com/?o=1").length, 1);
    assert.deepEqual(
      hostProblems("https://dbc-1.cloud.databricks.com", "https://dbc-2.cloud.databricks.com"),
      [
        "databricks:host is https://dbc-1.cloud.databricks.com but DATABRICKS_HOST in the environment is https://dbc-2.cloud.databricks.com: unset one, or make them agree",
      ],
    );
    assert.deepEqual(
      hostProblems("https://dbc-1.cloud.databricks.com", "https://DBC-1.cloud.databricks.com/"),
      [],
    );
    assert.deepEqual(hostProblems("https://my-team.cloud.databricks.us"), []);
    // Both stack files name their workspace.
    for (const stack of ["dev", "prod"]) {
      const { config } = readStackFile(ROOT, stack);
      assert.deepEqual(hostProblems(config["databricks:host"]), [], stack);
    }
  });

  it("rejects tiering at or after expiry", () => {
    assert.deepEqual(problemsOf({ rawDataRetentionDays: "30", rawDataInfrequentAccessDays: "30" }), [
      "pinterest-pipeline:rawDataInfrequentAccessDays must be less than rawDataRetentionDays (30), got '30'",
    ]);
  });

  it("rejects unknown keys, so a typo never falls back to a default", () => {
    assert.deepEqual(problemsOf({ existingMwaaEnvironmentName: "shared" }), [
      "pinterest-pipeline:existingMwaaEnvironmentName and pinterest-pipeline:existingMwaaDagBucket must be set together",
    ]);
    assert.deepEqual(problemsOf({ existingMwaaDagBucket: "my-dags" }), [
      "pinterest-pipeline:existingMwaaDagBucket must be an S3 bucket name starting with 'airflow-' (MWAA requires it), got 'my-dags'",
      "pinterest-pipeline:existingMwaaEnvironmentName and pinterest-pipeline:existingMwaaDagBucket must be set together",
    ]);
    assert.deepEqual(
      problemsOf({
        existingMwaaEnvironmentName: "shared",
        existingMwaaDagBucket: "airflow-shared",
        mwaaMaxWorkers: "3",
      }),
      [
        "pinterest-pipeline:mwaaEnvironmentClass, mwaaMaxWorkers and mwaaWebserverAccess apply only to a created environment; remove them when existingMwaaEnvironmentName is set",
      ],
    );
    assert.deepEqual(problemsOf({ kinesisMod: "provisioned" }), [
      "pinterest-pipeline:kinesisMod is not a known key (see docs/configuration.md)",
    ]);
  });

  it("asks for namePrefix when the stack name cannot make one", () => {
    assert.deepEqual(problemsOf({}, "Team_Stack"), [
      "pinterest-pipeline:namePrefix is required because the default 'pinpipe-Team_Stack' (from the stack name) must be 2-20 characters of a-z, 0-9 and '-', starting with a letter",
    ]);
    assert.equal(parseStackConfig({ namePrefix: "team", ...REQUIRED }, "Team_Stack").namePrefix, "team");
  });

  it("reports every problem at once, one per line", () => {
    const problems = problemsOf({ kinesisMode: "x", natGatewayMode: "y", alertEmail: "z" });
    assert.equal(problems.length, 3);
    assert.throws(() => parseStackConfig({ kinesisMode: "x", natGatewayMode: "y", ...REQUIRED }, "dev"), {
      message:
        "invalid stack configuration:\n  pinterest-pipeline:natGatewayMode must be one of single|per-az, got 'y'\n  pinterest-pipeline:kinesisMode must be one of on-demand|provisioned, got 'x'",
    });
  });

  it("docs/configuration.md lists every key, and shows each default the config table holds", () => {
    const doc = fs.readFileSync(path.join(ROOT, "docs", "configuration.md"), "utf8");
    // The first table: | `key` | type | default | meaning |, cells split on unescaped pipes.
    const rows = new Map<string, string[]>();
    for (const line of doc.split("\n")) {
      const m = /^\| `([A-Za-z0-9:]+)` \|/.exec(line);
      if (!m || rows.has(m[1])) continue;
      rows.set(
        m[1],
        line.split(/(?<!\\)\|/).map((c) => c.trim()),
      );
    }
    assert.deepEqual(
      Object.keys(CONFIG_KEYS).filter((k) => !rows.has(k)),
      [],
      "keys the docs do not list",
    );
    const shown = (v: string | number | boolean | object) =>
      `\`${typeof v === "object" ? JSON.stringify(v) : String(v)}\``;
    for (const [key, value] of Object.entries(DEFAULTS)) {
      const cell = rows.get(key)![3];
      assert.equal(cell, shown(value), `${key}: the docs' default`);
    }
  });
});
