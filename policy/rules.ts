/**
 * The guardrails: one policy per rule, modelled on AWS Security Hub's foundational best practices (FSBP) and
 * cdk-nag's AwsSolutions pack, for every resource type the program creates. Each policy names the control
 * it follows in its description. Rules read resource inputs (`props`) as `pulumi preview` hands them over;
 * a rule over several resources (a bucket and its companions) links them through the engine's property
 * dependencies, so it also holds in a first preview, where ids are not known yet.
 */
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";

import { NAMED_TYPES, STATEFUL_TYPES } from "./resourceClasses";

export type Rule = ResourceValidationPolicy | StackValidationPolicy;

type Props = Record<string, unknown>;

interface Statement {
  Effect?: string;
  Principal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** A property as text for messages and comparisons (objects as JSON). */
const text = (v: unknown): string => (typeof v === "string" ? v : (JSON.stringify(v) ?? ""));

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Statements of a policy document given as JSON text or as an object; [] when absent. */
export function statements(doc: unknown): Statement[] {
  if (doc === undefined || doc === null || doc === "") return [];
  const parsed = (typeof doc === "string" ? JSON.parse(doc) : doc) as { Statement?: Statement | Statement[] };
  return list(parsed.Statement);
}

/** A resource-level rule for one resource type. */
function forType(
  type: string,
  name: string,
  description: string,
  check: (props: Props, report: (message: string) => void, args: ResourceValidationArgs) => void,
): ResourceValidationPolicy {
  return {
    name,
    description,
    validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
      if (args.type !== type) return;
      check(args.props as Props, (message) => report(message), args);
    },
  };
}

/**
 * The resources whose `prop` input refers to `target`: by the engine's property dependency, or (where there
 * is none, as offline) by value, the target's `identifiers` props. Values are read only in that case: in a
 * preview they may be unknown, and reading an unknown value stops the policy.
 */
function companions(
  resources: PolicyResource[],
  type: string,
  prop: string,
  target: PolicyResource,
  identifiers: string[],
): PolicyResource[] {
  return resources.filter((r) => {
    if (r.type !== type) return false;
    const deps = r.propertyDependencies?.[prop];
    if (deps && deps.length > 0) return deps.some((d) => d.urn === target.urn);
    const value: unknown = r.props[prop];
    return value !== undefined && identifiers.some((key) => target.props[key] === value);
  });
}

/** A bucket rule: each bucket of the stack has a companion of `type` that `ok` accepts. */
function everyBucketHas(
  name: string,
  description: string,
  type: string,
  ok: (companion: Props) => boolean,
  missing: string,
): StackValidationPolicy {
  return {
    name,
    description,
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
      for (const bucket of args.resources.filter((r) => r.type === "aws:s3/bucket:Bucket")) {
        const found = companions(args.resources, type, "bucket", bucket, ["bucket", "id"]);
        if (!found.some((c) => ok(c.props))) report(`bucket '${bucket.name}' ${missing}`, bucket.urn);
      }
    },
  };
}

/** Allow statements of an IAM policy document whose actions contain a wildcard. */
export function wildcardActions(doc: unknown): string[] {
  const bad: string[] = [];
  for (const s of statements(doc)) {
    if (s.Effect !== "Allow") continue;
    if (s.NotAction !== undefined) bad.push(`NotAction ${JSON.stringify(s.NotAction)}`);
    for (const a of list(s.Action)) if (a.includes("*")) bad.push(a);
  }
  return bad;
}

/**
 * Actions AWS does not scope to a resource (their service authorisation reference lists no resource type),
 * which may therefore be allowed on "*". Everything else must name its resources.
 */
export const ACTIONS_WITHOUT_RESOURCES = new Set([
  "ec2:DescribeNetworkInterfaces",
  "ec2:DescribeSubnets",
  "ec2:DescribeSecurityGroups",
  "ec2:DescribeVpcs",
  "ec2:CreateNetworkInterface",
  "ec2:DeleteNetworkInterface",
  "ec2:AssignPrivateIpAddresses",
  "ec2:UnassignPrivateIpAddresses",
  "s3:GetAccountPublicAccessBlock",
  "logs:DescribeLogGroups",
  "cloudwatch:PutMetricData",
  "kafka-cluster:DescribeCluster",
  "sts:GetCallerIdentity",
]);

/** Allow statements on Resource "*" for actions that can be scoped. */
export function unscopedActions(doc: unknown): string[] {
  const bad: string[] = [];
  for (const s of statements(doc)) {
    if (s.Effect !== "Allow") continue;
    if (!list(s.Resource).includes("*")) continue;
    for (const a of list(s.Action)) if (!ACTIONS_WITHOUT_RESOURCES.has(a)) bad.push(a);
  }
  return bad;
}

const OPEN_CIDRS = new Set(["0.0.0.0/0", "::/0"]);
const SUPPORTED_LAMBDA_RUNTIMES = new Set([
  "nodejs20.x",
  "nodejs22.x",
  "python3.11",
  "python3.12",
  "python3.13",
]);

export const RULES: Rule[] = [
  // --- IAM ---------------------------------------------------------------------------------------------
  ...(
    [
      ["aws:iam/rolePolicy:RolePolicy", "policy", ""],
      ["aws:iam/policy:Policy", "policy", "-managed"],
    ] as const
  ).flatMap(([type, prop, suffix]) => [
    forType(
      type,
      `iam-no-wildcard-actions${suffix}`,
      "IAM policies allow named actions only, never 's3:*' or '*' (FSBP IAM.1/IAM.21, AwsSolutions-IAM5).",
      (props, report) => {
        const bad = wildcardActions(props[prop]);
        if (bad.length > 0) report(`allows wildcard actions: ${bad.join(", ")}`);
      },
    ),
    forType(
      type,
      `iam-resources-scoped${suffix}`,
      "IAM policies name the resources they grant; Resource '*' only for actions AWS cannot scope (AwsSolutions-IAM5).",
      (props, report) => {
        const bad = unscopedActions(props[prop]);
        if (bad.length > 0) report(`allows ${bad.join(", ")} on every resource ('*'); name the ARNs`);
      },
    ),
  ]),
  forType(
    "aws:iam/role:Role",
    "iam-role-no-managed-policies",
    "Roles carry their own least-privilege policies, not AWS managed ones (AwsSolutions-IAM4).",
    (props, report) => {
      const arns = list(props.managedPolicyArns as string[] | undefined);
      if (arns.length > 0) report(`attaches managed policies: ${arns.join(", ")}`);
    },
  ),
  forType(
    "aws:iam/role:Role",
    "iam-role-trust-scoped",
    "Roles are assumable by named services or accounts only, never by Principal '*', and without inline wildcard grants.",
    (props, report) => {
      for (const s of statements(props.assumeRolePolicy)) {
        if (s.Effect !== "Allow") continue;
        const principal = JSON.stringify(s.Principal ?? null);
        if (s.Principal === "*" || /"AWS":"\*"/.test(principal))
          report("trust policy lets any principal ('*') assume the role");
      }
      for (const inline of list(props.inlinePolicies as Array<{ policy?: string }> | undefined)) {
        const bad = wildcardActions(inline.policy);
        if (bad.length > 0) report(`inline policy allows wildcard actions: ${bad.join(", ")}`);
      }
    },
  ),
  forType(
    "aws:iam/user:User",
    "iam-no-users",
    "No IAM users, hence no long-lived access keys: people and CI use roles (FSBP IAM.2, AwsSolutions-IAM).",
    (_props, report) => report("creates an IAM user; use a role (CI assumes one through OIDC)"),
  ),
  forType(
    "aws:iam/accessKey:AccessKey",
    "iam-no-access-keys",
    "No long-lived access keys in the stack (FSBP IAM.3/IAM.4).",
    (_props, report) => report("creates a long-lived access key"),
  ),

  // --- KMS -----------------------------------------------------------------------------------------------
  forType(
    "aws:kms/key:Key",
    "kms-rotation-enabled",
    "Customer managed keys rotate yearly (FSBP KMS.4, AwsSolutions-KMS5).",
    (props, report) => {
      if (props.enableKeyRotation !== true) report("key rotation is not enabled");
    },
  ),
  forType(
    "aws:kms/key:Key",
    "kms-key-policy-no-wildcards",
    "Key policies name their actions (no 'kms:*') and never grant Principal '*' without a condition.",
    (props, report) => {
      for (const s of statements(props.policy)) {
        if (s.Effect !== "Allow") continue;
        for (const a of list(s.Action)) if (a.includes("*")) report(`key policy allows wildcard action ${a}`);
        if ((s.Principal === "*" || JSON.stringify(s.Principal).includes('"*"')) && s.Condition === undefined)
          report("key policy allows any principal without a condition");
      }
    },
  ),

  // --- S3 ------------------------------------------------------------------------------------------------
  everyBucketHas(
    "s3-encrypted",
    "Buckets encrypt every object by default, with SSE-KMS or SSE-S3 (FSBP S3.4 legacy, AwsSolutions-S).",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    (c) =>
      list(c.rules as Array<{ applyServerSideEncryptionByDefault?: { sseAlgorithm?: string } }>).some((r) =>
        ["aws:kms", "aws:kms:dsse", "AES256"].includes(
          r.applyServerSideEncryptionByDefault?.sseAlgorithm ?? "",
        ),
      ),
    "has no default encryption",
  ),
  everyBucketHas(
    "s3-versioned",
    "Buckets keep object versions, so an overwrite or delete can be undone (FSBP S3.14).",
    "aws:s3/bucketVersioning:BucketVersioning",
    (c) => (c.versioningConfiguration as { status?: string } | undefined)?.status === "Enabled",
    "is not versioned",
  ),
  everyBucketHas(
    "s3-public-access-blocked",
    "Buckets block every form of public access (FSBP S3.8, AwsSolutions-S2).",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    (c) =>
      c.blockPublicAcls === true &&
      c.blockPublicPolicy === true &&
      c.ignorePublicAcls === true &&
      c.restrictPublicBuckets === true,
    "does not block all public access (all four settings)",
  ),
  everyBucketHas(
    "s3-tls-only",
    "Bucket policies deny requests without TLS (FSBP S3.5, AwsSolutions-S10).",
    "aws:s3/bucketPolicy:BucketPolicy",
    (c) =>
      statements(c.policy).some(
        (s) => s.Effect === "Deny" && String(s.Condition?.Bool?.["aws:SecureTransport"]) === "false",
      ),
    "has no policy denying requests without TLS",
  ),
  everyBucketHas(
    "s3-acls-disabled",
    "Buckets disable ACLs: the owner owns every object and access is by policy (FSBP S3.12).",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    (c) => (c.rule as { objectOwnership?: string } | undefined)?.objectOwnership === "BucketOwnerEnforced",
    "does not enforce bucket-owner ownership (ACLs stay enabled)",
  ),
  everyBucketHas(
    "s3-access-logged",
    "Buckets log server access (FSBP S3.9, AwsSolutions-S1).",
    "aws:s3/bucketLogging:BucketLogging",
    (c) => c.targetBucket !== undefined,
    "has no server access logging",
  ),

  // --- Kinesis -----------------------------------------------------------------------------------------
  forType(
    "aws:kinesis/stream:Stream",
    "kinesis-encrypted",
    "Kinesis streams encrypt records at rest with KMS (FSBP Kinesis.1, AwsSolutions-KDS3).",
    (props, report) => {
      if (props.encryptionType !== "KMS") report("records are not encrypted at rest (encryptionType KMS)");
      if (props.encryptionType === "KMS" && !props.kmsKeyId) report("encryptionType KMS without a key");
    },
  ),

  // --- MSK and MSK Connect -------------------------------------------------------------------------------
  forType(
    "aws:msk/cluster:Cluster",
    "msk-encrypted-in-transit",
    "MSK brokers speak TLS only, to clients and to each other (FSBP MSK.1).",
    (props, report) => {
      const t = (
        props.encryptionInfo as { encryptionInTransit?: { clientBroker?: string; inCluster?: boolean } }
      )?.encryptionInTransit;
      // The provider's defaults are TLS and true; only an explicit weaker setting is a violation.
      if (t?.clientBroker !== undefined && t.clientBroker !== "TLS")
        report(`clientBroker is ${t.clientBroker}, not TLS`);
      if (t?.inCluster === false) report("in-cluster traffic is not encrypted");
    },
  ),
  forType(
    "aws:msk/cluster:Cluster",
    "msk-iam-auth-only",
    "MSK clients authenticate with IAM; unauthenticated access is off (FSBP MSK.4 style).",
    (props, report) => {
      const auth = props.clientAuthentication as
        { sasl?: { iam?: boolean }; unauthenticated?: boolean } | undefined;
      if (auth?.sasl?.iam !== true) report("IAM client authentication is not enabled");
      if (auth?.unauthenticated !== false) report("unauthenticated access is not explicitly disabled");
    },
  ),
  forType(
    "aws:msk/cluster:Cluster",
    "msk-private",
    "MSK brokers are not reachable from the internet (FSBP MSK.2 style), encrypt at rest with our key, and log.",
    (props, report) => {
      const info = props.brokerNodeGroupInfo as { connectivityInfo?: { publicAccess?: { type?: string } } };
      const publicAccess = info?.connectivityInfo?.publicAccess?.type;
      if (publicAccess !== undefined && publicAccess !== "DISABLED")
        report(`public access is ${publicAccess}`);
      const enc = props.encryptionInfo as { encryptionAtRestKmsKeyArn?: string } | undefined;
      if (!enc?.encryptionAtRestKmsKeyArn)
        report("data at rest is not encrypted with a customer managed key");
      const logs = props.loggingInfo as
        { brokerLogs?: { cloudwatchLogs?: { enabled?: boolean } } } | undefined;
      if (logs?.brokerLogs?.cloudwatchLogs?.enabled !== true) report("broker logs are not delivered");
    },
  ),
  forType(
    "aws:mskconnect/connector:Connector",
    "mskconnect-secure",
    "Connectors reach Kafka over TLS with IAM auth and deliver their worker logs.",
    (props, report) => {
      const enc = props.kafkaClusterEncryptionInTransit as { encryptionType?: string } | undefined;
      if (enc?.encryptionType !== "TLS") report("connector to Kafka traffic is not TLS");
      const auth = props.kafkaClusterClientAuthentication as { authenticationType?: string } | undefined;
      if (auth?.authenticationType !== "IAM") report("connector does not authenticate with IAM");
      const logs = props.logDelivery as
        { workerLogDelivery?: { cloudwatchLogs?: { enabled?: boolean } } } | undefined;
      if (logs?.workerLogDelivery?.cloudwatchLogs?.enabled !== true) report("worker logs are not delivered");
    },
  ),

  // --- API Gateway ---------------------------------------------------------------------------------------
  forType(
    "aws:apigateway/stage:Stage",
    "apigw-access-logged",
    "API stages write access logs (FSBP APIGateway.1 style, AwsSolutions-APIG1).",
    (props, report) => {
      const s = props.accessLogSettings as { destinationArn?: string; format?: string } | undefined;
      if (!s?.destinationArn || !s.format) report("the stage writes no access logs");
    },
  ),
  {
    name: "apigw-throttled",
    description:
      "Every API stage has stage-wide throttling and metrics (AwsSolutions-APIG3 style: no unbounded API).",
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
      const settings = args.resources.filter(
        (r) => r.type === "aws:apigateway/methodSettings:MethodSettings" && r.props.methodPath === "*/*",
      );
      for (const stage of args.resources.filter((r) => r.type === "aws:apigateway/stage:Stage")) {
        // MethodSettings name the stage through stageName (a dependency on it), or by API and stage name.
        const ofStage = settings.filter((m) => {
          const deps = m.propertyDependencies?.stageName;
          if (deps && deps.length > 0) return deps.some((d) => d.urn === stage.urn);
          return m.props.restApi === stage.props.restApi && m.props.stageName === stage.props.stageName;
        });
        const ok = ofStage.some((m) => {
          const s = m.props.settings as
            | { throttlingRateLimit?: number; throttlingBurstLimit?: number; metricsEnabled?: boolean }
            | undefined;
          return (
            (s?.throttlingRateLimit ?? -1) > 0 &&
            (s?.throttlingBurstLimit ?? -1) > 0 &&
            s?.metricsEnabled === true
          );
        });
        if (!ok)
          report(
            `stage '${stage.name}' has no stage-wide throttling with metrics (MethodSettings */*)`,
            stage.urn,
          );
      }
    },
  },
  forType(
    "aws:apigateway/method:Method",
    "apigw-authenticated",
    "Every API method requires an API key or an authorizer (AwsSolutions-APIG4, COG4).",
    (props, report) => {
      if (props.httpMethod === "OPTIONS") return;
      if (props.apiKeyRequired !== true && (props.authorization ?? "NONE") === "NONE")
        report(`${text(props.httpMethod)} requires neither an API key nor an authorizer`);
    },
  ),
  forType(
    "aws:apigateway/methodSettings:MethodSettings",
    "apigw-no-data-trace",
    "Execution logs never contain request or response bodies (dataTraceEnabled off): they carry user data.",
    (props, report) => {
      if ((props.settings as { dataTraceEnabled?: boolean } | undefined)?.dataTraceEnabled === true)
        report("dataTraceEnabled logs full request and response bodies");
    },
  ),

  // --- Lambda --------------------------------------------------------------------------------------------
  forType(
    "aws:lambda/function:Function",
    "lambda-in-vpc-supported-runtime",
    "Functions run in the VPC on a supported runtime (FSBP Lambda.2, Lambda.3; AwsSolutions-L1).",
    (props, report) => {
      const vpc = props.vpcConfig as { subnetIds?: string[] } | undefined;
      if (!vpc || list(vpc.subnetIds).length === 0) report("the function does not run in the VPC");
      if (props.runtime !== undefined && !SUPPORTED_LAMBDA_RUNTIMES.has(text(props.runtime)))
        report(`runtime ${text(props.runtime)} is not one of ${[...SUPPORTED_LAMBDA_RUNTIMES].join(", ")}`);
    },
  ),
  forType(
    "aws:lambda/permission:Permission",
    "lambda-not-public",
    "Function permissions name a service and the source ARN, never everyone (FSBP Lambda.1).",
    (props, report) => {
      if (props.principal === "*") report("anyone may invoke the function");
      if (text(props.principal ?? "").endsWith(".amazonaws.com") && !props.sourceArn && !props.sourceAccount)
        report("a service may invoke the function on behalf of any account (no sourceArn)");
    },
  ),

  // --- Networking ----------------------------------------------------------------------------------------
  forType(
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "sg-no-open-ingress",
    "No security group admits the internet (FSBP EC2.18/EC2.19, AwsSolutions-EC23).",
    (props, report) => {
      const cidr = text(props.cidrIpv4 ?? props.cidrIpv6 ?? "");
      if (OPEN_CIDRS.has(cidr)) report(`admits ${cidr}`);
    },
  ),
  forType(
    "aws:ec2/securityGroup:SecurityGroup",
    "sg-no-open-ingress-inline",
    "No security group admits the internet through inline rules either (FSBP EC2.18/EC2.19).",
    (props, report) => {
      for (const rule of list(props.ingress as Array<{ cidrBlocks?: string[]; ipv6CidrBlocks?: string[] }>)) {
        for (const c of [...list(rule.cidrBlocks), ...list(rule.ipv6CidrBlocks)])
          if (OPEN_CIDRS.has(c)) report(`admits ${c}`);
      }
    },
  ),
  forType(
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "default-sg-closed",
    "The VPC's default security group allows nothing (FSBP EC2.2).",
    (props, report) => {
      if (list(props.ingress as unknown[]).length > 0 || list(props.egress as unknown[]).length > 0)
        report("the default security group has rules");
    },
  ),
  {
    name: "vpc-flow-logs",
    description: "Every VPC the stack creates logs its traffic (FSBP EC2.6).",
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
      for (const vpc of args.resources.filter((r) => r.type === "aws:ec2/vpc:Vpc")) {
        const logs = companions(args.resources, "aws:ec2/flowLog:FlowLog", "vpcId", vpc, ["id"]);
        if (logs.length === 0) report(`VPC '${vpc.name}' has no flow log`, vpc.urn);
      }
    },
  },

  // --- MWAA ----------------------------------------------------------------------------------------------
  forType(
    "aws:mwaa/environment:Environment",
    "mwaa-private-and-logged",
    "Airflow's webserver is private and every Airflow component logs (FSBP MWAA.1-4 style).",
    (props, report) => {
      // MWAA's default is PRIVATE_ONLY.
      const access = props.webserverAccessMode ?? "PRIVATE_ONLY";
      if (access !== "PRIVATE_ONLY") report(`webserver access is ${text(access)}, not PRIVATE_ONLY`);
      const logging = (props.loggingConfiguration ?? {}) as Record<string, { enabled?: boolean } | undefined>;
      for (const component of [
        "dagProcessingLogs",
        "schedulerLogs",
        "taskLogs",
        "webserverLogs",
        "workerLogs",
      ])
        if (logging[component]?.enabled !== true) report(`${component} are not enabled`);
    },
  ),

  // --- Secrets, logs, alarms -----------------------------------------------------------------------------
  forType(
    "aws:secretsmanager/secret:Secret",
    "secrets-cmk-encrypted",
    "Secrets are encrypted with a customer managed key, so key policy and CloudTrail govern their use (AwsSolutions-SMG).",
    (props, report) => {
      if (!props.kmsKeyId) report("the secret uses the default aws/secretsmanager key");
    },
  ),
  forType(
    "aws:cloudwatch/logGroup:LogGroup",
    "log-retention-set",
    "Log groups keep logs for a set time, never forever and never unset (FSBP CloudWatch.16 style).",
    (props, report) => {
      const days = Number(props.retentionInDays ?? 0);
      if (!(days > 0)) report("no retention set: logs are kept (and paid for) forever");
    },
  ),
  forType(
    "aws:sns/topic:Topic",
    "sns-encrypted",
    "SNS topics encrypt messages with KMS (AwsSolutions-SNS2).",
    (props, report) => {
      if (!props.kmsMasterKeyId) report("the topic is not encrypted");
    },
  ),
  {
    name: "sns-tls-only",
    description: "SNS topics deny publishing without TLS (AwsSolutions-SNS3).",
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
      for (const topic of args.resources.filter((r) => r.type === "aws:sns/topic:Topic")) {
        const policies = companions(args.resources, "aws:sns/topicPolicy:TopicPolicy", "arn", topic, [
          "arn",
          "id",
        ]);
        const ok = policies.some((p) =>
          statements(p.props.policy).some(
            (s) => s.Effect === "Deny" && String(s.Condition?.Bool?.["aws:SecureTransport"]) === "false",
          ),
        );
        if (!ok) report(`topic '${topic.name}' has no policy denying requests without TLS`, topic.urn);
      }
    },
  },
  forType(
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "alarm-notifies",
    "Every alarm notifies someone (an alarm without an action wakes nobody).",
    (props, report) => {
      if (list(props.alarmActions as string[] | undefined).length === 0)
        report("the alarm has no alarm action");
    },
  ),

  // --- Databricks ----------------------------------------------------------------------------------------
  forType(
    "databricks:index/job:Job",
    "databricks-job-clusters-secure",
    "Job clusters are single-user (dedicated), encrypt local disks, pin a runtime and reach S3 through an instance profile.",
    (props, report) => {
      const clusters = list(props.jobClusters as Array<{ jobClusterKey?: string; newCluster?: Props }>);
      if (list(props.tasks as Array<{ existingClusterId?: string }>).some((t) => t.existingClusterId))
        report("a task runs on a shared all-purpose cluster (existingClusterId)");
      for (const c of clusters) {
        const n = c.newCluster ?? {};
        const key = c.jobClusterKey ?? "?";
        if (
          !["SINGLE_USER", "DATA_SECURITY_MODE_DEDICATED", "USER_ISOLATION"].includes(
            text(n.dataSecurityMode),
          )
        )
          report(`cluster ${key}: access mode ${text(n.dataSecurityMode)} has no user isolation`);
        if (n.enableLocalDiskEncryption !== true) report(`cluster ${key}: local disks are not encrypted`);
        if (!/^\d+\.\d+\.x-/.test(text(n.sparkVersion ?? "")))
          report(`cluster ${key}: runtime ${text(n.sparkVersion)} is not pinned`);
        if (!(n.awsAttributes as { instanceProfileArn?: string } | undefined)?.instanceProfileArn)
          report(`cluster ${key}: no instance profile (S3 access would need keys)`);
        const conf = JSON.stringify(n.sparkConf ?? {});
        if (/fs\.s3a\.(access|secret)\.key/.test(conf)) report(`cluster ${key}: S3 keys in the Spark config`);
      }
    },
  ),
  forType(
    "databricks:index/job:Job",
    "databricks-job-operable",
    "Jobs run as a service principal, time out, and e-mail someone when they fail.",
    (props, report) => {
      if (!(props.runAs as { servicePrincipalName?: string } | undefined)?.servicePrincipalName)
        report("the job does not run as a service principal");
      const continuous = props.continuous !== undefined;
      if (!continuous && !(Number(props.timeoutSeconds ?? 0) > 0)) report("the job has no timeout");
      const failures = (props.emailNotifications as { onFailures?: string[] } | undefined)?.onFailures;
      if (list(failures).length === 0)
        report("nobody is told when the job fails (emailNotifications.onFailures)");
    },
  ),
  // --- Lifecycle (resource options, not inputs) ----------------------------------------------------------
  {
    name: "stateful-resources-protected",
    description:
      "What holds data, keys or secrets is protected from deletion (Pulumi `protect`), unless this stack's " +
      "policy config (policy/config.<stack>.json) declares it disposable with requireProtection: false.",
    configSchema: { properties: { requireProtection: { type: "boolean", default: true } } },
    validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
      if (!STATEFUL_TYPES.has(args.type)) return;
      if (args.getConfig<{ requireProtection?: boolean }>().requireProtection === false) return;
      if (!args.opts.protect)
        report(
          `${args.type} is not protected: set pinterest-pipeline:protectStatefulResources, or declare the stack disposable in its policy config`,
        );
    },
  },
  {
    name: "named-resources-replaced-delete-first",
    description:
      "A resource whose name the program sets is replaced delete-first (deleteBeforeReplace), or its replacement fails on the name still in use.",
    validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
      const key = NAMED_TYPES.get(args.type);
      if (key === undefined || (args.props as Props)[key] === undefined) return;
      if (args.opts.deleteBeforeReplace !== true)
        report(`${args.type} has a fixed ${key} but is not replaced delete-first`);
    },
  },
];
