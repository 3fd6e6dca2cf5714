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
  Sid?: string;
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
  declare(name, [type]);
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

/** Both bucket types of @pulumi/aws (v7's Bucket and the deprecated BucketV2). */
export const BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];

/** The deprecated V2 twin of a bucket companion type, where @pulumi/aws has one. */
const V2_COMPANIONS: Record<string, string> = {
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  "aws:s3/bucketVersioning:BucketVersioning": "aws:s3/bucketVersioningV2:BucketVersioningV2",
  "aws:s3/bucketLogging:BucketLogging": "aws:s3/bucketLoggingV2:BucketLoggingV2",
  "aws:s3/bucketAcl:BucketAcl": "aws:s3/bucketAclV2:BucketAclV2",
};

/**
 * A bucket rule: each bucket of the stack, of either bucket type, satisfies it through its own (deprecated)
 * inline setting, if `inline` reads one, or through a companion resource of `types` (or their V2 twins)
 * that `ok` accepts.
 */
function everyBucketHas(
  name: string,
  description: string,
  types: string[],
  ok: (companion: Props) => boolean,
  missing: string,
  inline?: (bucket: Props) => boolean,
): StackValidationPolicy {
  const companionTypes = types.flatMap((t) => (V2_COMPANIONS[t] ? [t, V2_COMPANIONS[t]] : [t]));
  declare(name, [...BUCKET_TYPES, ...companionTypes]);
  return {
    name,
    description,
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
      for (const bucket of args.resources.filter((r) => BUCKET_TYPES.includes(r.type))) {
        if (inline?.(bucket.props as Props)) continue;
        const found = companionTypes.flatMap((t) =>
          companions(args.resources, t, "bucket", bucket, ["bucket", "id"]),
        );
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

/**
 * Types no rule needs to judge, each with why: they hold no data, grant nothing and open nothing by
 * themselves (what they wire together is judged where it lands).
 */
export const NEUTRAL_TYPES: Record<string, string> = {
  "aws:apigateway/deployment:Deployment": "a snapshot of the API's methods, judged on the methods",
  "aws:apigateway/integration:Integration":
    "where a method sends a request; the role it uses is judged as a role",
  "aws:apigateway/integrationResponse:IntegrationResponse": "maps an integration's answer",
  "aws:apigateway/methodResponse:MethodResponse": "declares a method's answer",
  "aws:apigateway/requestValidator:RequestValidator": "turns validation on; judged through the methods",
  "aws:apigateway/resource:Resource": "a path of the API; its methods are judged",
  "aws:apigateway/response:Response": "a gateway error answer's shape",
  "aws:apigateway/apiKey:ApiKey": "a client's key, held by API Gateway; its use is judged on the usage plans",
  "aws:apigateway/usagePlanKey:UsagePlanKey": "links a key to a plan",
  "aws:apigateway/account:Account": "points API Gateway at its logging role, judged as a role",
  "aws:cloudwatch/dashboard:Dashboard": "graphs of metrics, no data of its own",
  "aws:ec2/eip:Eip": "the NAT gateway's address; nothing listens on it",
  "aws:ec2/internetGateway:InternetGateway":
    "egress for the public subnets; ingress is judged on security groups",
  "aws:ec2/natGateway:NatGateway": "egress only; nothing can reach in through it",
  "aws:ec2/routeTable:RouteTable": "routes between subnets, NAT and the internet gateway",
  "aws:ec2/routeTableAssociation:RouteTableAssociation": "puts a subnet on a route table",
  "aws:ec2/route:Route": "one route of a route table (awsx's Vpc makes its routes this way)",
  "aws:ec2/subnet:Subnet": "an address range of the judged VPC",
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "egress; the ingress side is judged",
  "aws:iam/instanceProfile:InstanceProfile": "wraps a role, judged as a role",
  "aws:msk/configuration:Configuration": "broker settings of the judged cluster",
  "aws:mskconnect/customPlugin:CustomPlugin": "the connector's code, from the stack's own bucket",
  "aws:mskconnect/workerConfiguration:WorkerConfiguration": "worker settings",
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "expiry and tiering",
  "aws:s3/bucketObjectv2:BucketObjectv2": "an object in a judged bucket",
  "aws:secretsmanager/secretVersion:SecretVersion": "a value of a judged secret",
  "aws:sns/topicSubscription:TopicSubscription": "who is told; the topic is judged",
  "databricks:index/instanceProfile:InstanceProfile": "registers a judged role with the workspace",
  "databricks:index/permissions:Permissions": "workspace grants to the stack's own service principals",
  "databricks:index/accessControlRuleSet:AccessControlRuleSet":
    "lets the deploying principal set run_as to the stack's own runners",
  "databricks:index/servicePrincipal:ServicePrincipal": "an identity; its secret is judged",
  "databricks:index/servicePrincipalRole:ServicePrincipalRole": "lets a principal use an instance profile",
};

/** Per rule, the resource types it judges: what the per-type tests cover and `pack-judges-every-type` knows. */
export const RULE_TYPES = new Map<string, readonly string[]>();

function declare(name: string, types: readonly string[]): void {
  RULE_TYPES.set(name, [...new Set([...(RULE_TYPES.get(name) ?? []), ...types])]);
}

/**
 * A resource-level rule over several types: `sources` reads, per type, the values the rule judges (policy
 * documents, attached ARNs, ...) and `check` judges them.
 */
function forTypes(
  name: string,
  description: string,
  sources: Record<string, (props: Props) => unknown[]>,
  check: (values: unknown[], report: (message: string) => void, args: ResourceValidationArgs) => void,
): ResourceValidationPolicy {
  declare(name, Object.keys(sources));
  return {
    name,
    description,
    validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
      const read = sources[args.type];
      if (!read) return;
      const values = read(args.props as Props).filter((v) => v !== undefined && v !== null && v !== "");
      if (values.length === 0) return;
      check(values, (message) => report(message), args);
    },
  };
}

const policyOf = (p: Props) => [p.policy];

/** Identity policies: what a principal may do. Every type of @pulumi/aws that holds one. */
export const IDENTITY_POLICY_DOCUMENTS: Record<string, (props: Props) => unknown[]> = {
  "aws:iam/rolePolicy:RolePolicy": policyOf,
  "aws:iam/policy:Policy": policyOf,
  "aws:iam/userPolicy:UserPolicy": policyOf,
  "aws:iam/groupPolicy:GroupPolicy": policyOf,
  "aws:iam/role:Role": (p) =>
    list(p.inlinePolicies as Array<{ policy?: unknown }> | undefined).map((i) => i.policy),
  "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy": (p) => [p.inlinePolicy],
};

/** Resource policies: who may act on the resource they sit on. */
export const RESOURCE_POLICY_DOCUMENTS: Record<string, (props: Props) => unknown[]> = {
  "aws:s3/bucketPolicy:BucketPolicy": policyOf,
  "aws:s3/bucket:Bucket": policyOf,
  "aws:s3/bucketV2:BucketV2": policyOf,
  "aws:kms/key:Key": policyOf,
  "aws:kms/keyPolicy:KeyPolicy": policyOf,
  "aws:sns/topic:Topic": policyOf,
  "aws:sns/topicPolicy:TopicPolicy": policyOf,
  "aws:sqs/queue:Queue": policyOf,
  "aws:sqs/queuePolicy:QueuePolicy": policyOf,
  "aws:secretsmanager/secretPolicy:SecretPolicy": policyOf,
  "aws:ec2/vpcEndpoint:VpcEndpoint": policyOf,
  "aws:vpc/endpointPolicy:EndpointPolicy": policyOf,
  "aws:kinesis/resourcePolicy:ResourcePolicy": policyOf,
  "aws:apigateway/restApi:RestApi": policyOf,
  "aws:apigateway/restApiPolicy:RestApiPolicy": policyOf,
  "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": (p) => [p.policyDocument],
  "aws:ecr/repositoryPolicy:RepositoryPolicy": policyOf,
};

export const ALL_POLICY_DOCUMENTS = { ...IDENTITY_POLICY_DOCUMENTS, ...RESOURCE_POLICY_DOCUMENTS };

/** Every way @pulumi/aws attaches a managed policy to a principal. */
export const POLICY_ATTACHMENTS: Record<string, (props: Props) => unknown[]> = {
  "aws:iam/role:Role": (p) => list(p.managedPolicyArns as unknown[] | undefined),
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (p) => [p.policyArn],
  "aws:iam/userPolicyAttachment:UserPolicyAttachment": (p) => [p.policyArn],
  "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": (p) => [p.policyArn],
  "aws:iam/policyAttachment:PolicyAttachment": (p) => [p.policyArn],
  "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": (p) =>
    list(p.policyArns as unknown[] | undefined),
  "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": (p) =>
    list(p.policyArns as unknown[] | undefined),
  "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": (p) =>
    list(p.policyArns as unknown[] | undefined),
};

/** Resources that are, or make, a credential that lives until someone deletes it. */
export const LONG_LIVED_CREDENTIAL_TYPES = [
  "aws:iam/user:User",
  "aws:iam/accessKey:AccessKey",
  "aws:iam/userLoginProfile:UserLoginProfile",
  "aws:iam/sshKey:SshKey",
  "aws:iam/serviceSpecificCredential:ServiceSpecificCredential",
  "aws:iam/signingCertificate:SigningCertificate",
  "databricks:index/token:Token",
  "databricks:index/oboToken:OboToken",
];

/**
 * ARNs in Allow statements that mean every resource of a kind: account '*', or a resource part that is only a
 * wildcard ('*', 'role/*', 'key/*', 'log-group:*'), like 'arn:aws:s3:::*' or 'arn:aws:iam::123:role/*'.
 */
export function wildcardResources(doc: unknown): string[] {
  const bad: string[] = [];
  for (const s of statements(doc)) {
    if (s.Effect !== "Allow") continue;
    for (const r of list(s.Resource)) {
      if (typeof r !== "string" || !r.startsWith("arn:")) continue;
      const parts = r.split(":");
      const account = parts[4] ?? "";
      const resource = parts.slice(5).join(":");
      if (account === "*" || /^(\*|[A-Za-z-]+[/:]\*|\*\/\*)$/.test(resource)) bad.push(r);
    }
  }
  return bad;
}

/**
 * Services documented to send aws:SourceArn when they assume a role (docs/cloud-contracts.md, "Trust
 * conditions"). Lambda is not among them: its page says the key applies to its resource policy only.
 */
export const SERVICES_SENDING_SOURCE_ARN = new Set([
  "kafkaconnect.amazonaws.com",
  "airflow.amazonaws.com",
  "airflow-env.amazonaws.com",
  "vpc-flow-logs.amazonaws.com",
  "scheduler.amazonaws.com",
]);

/** Condition keys of a statement, lower-cased (IAM compares them case-insensitively). */
const conditionKeys = (s: Statement): string[] =>
  Object.values(s.Condition ?? {}).flatMap((block) => Object.keys(block).map((k) => k.toLowerCase()));

const KEY_USE_ACTIONS = /^kms:(Encrypt|Decrypt|ReEncrypt|GenerateDataKey|CreateGrant|\*)/;

/** True when a key-policy statement lets its principal use the key (not only administer it). */
const usesKey = (s: Statement): boolean => list(s.Action).some((a) => KEY_USE_ACTIONS.test(a));

/** True when a policy document denies requests made without TLS. */
const deniesPlainHttp = (doc: unknown): boolean =>
  statements(doc).some(
    (s) => s.Effect === "Deny" && String(s.Condition?.Bool?.["aws:SecureTransport"]) === "false",
  );

export const RULES: Rule[] = [
  // --- IAM: intents over every resource type that can carry them -----------------------------------------
  forTypes(
    "iam-no-wildcard-actions",
    "Policies allow named actions only, never 's3:*', '*' or NotAction, wherever a policy document sits: identity policies (inline, standalone, role inline) and resource policies (FSBP IAM.1/IAM.21, AwsSolutions-IAM5).",
    ALL_POLICY_DOCUMENTS,
    (docs, report) => {
      const bad = docs.flatMap((d) => wildcardActions(d));
      if (bad.length > 0) report(`allows wildcard actions: ${bad.join(", ")}`);
    },
  ),
  forTypes(
    "iam-resources-scoped",
    "Identity policies name the resources they grant: Resource '*' only for actions AWS cannot scope, and no ARN that means every resource of a kind ('arn:aws:s3:::*', 'role/*', account '*') (AwsSolutions-IAM5).",
    IDENTITY_POLICY_DOCUMENTS,
    (docs, report) => {
      const unscoped = docs.flatMap((d) => unscopedActions(d));
      if (unscoped.length > 0) report(`allows ${unscoped.join(", ")} on every resource ('*'); name the ARNs`);
      const wild = docs.flatMap((d) => wildcardResources(d));
      if (wild.length > 0) report(`grants on every resource of a kind: ${wild.join(", ")}; name the ARNs`);
    },
  ),
  forTypes(
    "iam-no-aws-managed-policies",
    "Roles, users and groups carry their own least-privilege policies, never AWS managed ones, however they are attached (AwsSolutions-IAM4).",
    POLICY_ATTACHMENTS,
    (arns, report) => {
      const managed = arns.filter((a) => typeof a === "string" && a.includes(":iam::aws:policy/"));
      if (managed.length > 0) report(`attaches AWS managed policies: ${managed.join(", ")}`);
    },
  ),
  forType(
    "aws:iam/role:Role",
    "iam-role-trust-scoped",
    "Roles are assumable by named services or accounts only, never by Principal '*'; a service that sends aws:SourceArn is held to it (confused deputy, AWS IAM User Guide).",
    (props, report) => {
      for (const s of statements(props.assumeRolePolicy)) {
        if (s.Effect !== "Allow") continue;
        const principal = JSON.stringify(s.Principal ?? null);
        if (s.Principal === "*" || /"AWS":"\*"/.test(principal))
          report("trust policy lets any principal ('*') assume the role");
        const services = list((s.Principal as { Service?: string | string[] } | undefined)?.Service);
        for (const service of services.filter((sv) => SERVICES_SENDING_SOURCE_ARN.has(sv)))
          if (!conditionKeys(s).includes("aws:sourcearn"))
            report(`${service} sends aws:SourceArn, but the trust policy does not check it`);
      }
    },
  ),
  forTypes(
    "resource-policies-not-open",
    "Resource policies (bucket, key, topic, queue, secret, endpoint, stream, API) never grant Principal '*' without a condition that narrows it (FSBP S3.2/SNS, AwsSolutions).",
    RESOURCE_POLICY_DOCUMENTS,
    (docs, report) => {
      for (const s of docs.flatMap((d) => statements(d))) {
        if (s.Effect !== "Allow" || s.Condition !== undefined) continue;
        const principal = JSON.stringify(s.Principal ?? null);
        if (s.Principal === "*" || /"AWS":"\*"|"AWS":\["\*"\]/.test(principal))
          report(`allows any principal ('*') ${list(s.Action).join(", ")} without a condition`);
      }
    },
  ),
  forTypes(
    "no-long-lived-credentials",
    "No long-lived credentials in the stack: no IAM users, access keys, console passwords, SSH keys or Databricks personal access tokens; people and CI use roles and OAuth (FSBP IAM.2-4, AwsSolutions-IAM).",
    Object.fromEntries(LONG_LIVED_CREDENTIAL_TYPES.map((t) => [t, () => [true]])),
    (_found, report, args) =>
      report(`creates ${args.type.split(":").pop()}, a long-lived credential; use a role`),
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
  {
    name: "kms-key-policy-explicit",
    description:
      "Every key has an explicit key policy (inline or aws.kms.KeyPolicy): its grants to the account's principals go through named services (kms:ViaService) or a service's encryption context, so an IAM grant alone does not open it.",
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
      for (const key of args.resources.filter((r) => r.type === "aws:kms/key:Key")) {
        const separate = companions(args.resources, "aws:kms/keyPolicy:KeyPolicy", "keyId", key, [
          "id",
          "keyId",
        ]);
        const docs: unknown[] = [
          key.props.policy as unknown,
          ...separate.map((p) => p.props.policy as unknown),
        ].filter((d) => d !== undefined);
        if (docs.length === 0) {
          report(`key '${key.name}' has no explicit key policy (any IAM grant could use it)`, key.urn);
          continue;
        }
        for (const s of docs.flatMap((d) => statements(d))) {
          if (s.Effect !== "Allow" || !usesKey(s)) continue;
          const viaService = conditionKeys(s).some(
            (k) => k === "kms:viaservice" || k.startsWith("kms:encryptioncontext:"),
          );
          const servicePrincipal = JSON.stringify(s.Principal ?? null).includes('"Service"');
          if (!viaService && !servicePrincipal)
            report(
              `key '${key.name}': ${s.Sid ?? "a statement"} lets principals use the key directly, without kms:ViaService or an encryption context`,
              key.urn,
            );
        }
      }
    },
  },

  // --- S3: every bucket, of either bucket type, protected by inline settings or companions -------------------
  everyBucketHas(
    "s3-encrypted",
    "Buckets encrypt every object by default, with SSE-KMS or SSE-S3 (FSBP S3.4 legacy, AwsSolutions-S).",
    ["aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"],
    (c) =>
      list(c.rules as Array<{ applyServerSideEncryptionByDefault?: { sseAlgorithm?: string } }>).some((r) =>
        ["aws:kms", "aws:kms:dsse", "AES256"].includes(
          r.applyServerSideEncryptionByDefault?.sseAlgorithm ?? "",
        ),
      ),
    "has no default encryption",
    (b) => {
      const rule = (
        b.serverSideEncryptionConfiguration as
          { rule?: { applyServerSideEncryptionByDefault?: { sseAlgorithm?: string } } } | undefined
      )?.rule;
      return ["aws:kms", "aws:kms:dsse", "AES256"].includes(
        rule?.applyServerSideEncryptionByDefault?.sseAlgorithm ?? "",
      );
    },
  ),
  everyBucketHas(
    "s3-versioned",
    "Buckets keep object versions, so an overwrite or delete can be undone (FSBP S3.14).",
    ["aws:s3/bucketVersioning:BucketVersioning"],
    (c) => (c.versioningConfiguration as { status?: string } | undefined)?.status === "Enabled",
    "is not versioned",
    (b) => (b.versioning as { enabled?: boolean } | undefined)?.enabled === true,
  ),
  everyBucketHas(
    "s3-public-access-blocked",
    "Buckets block every form of public access (FSBP S3.8, AwsSolutions-S2).",
    ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"],
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
    ["aws:s3/bucketPolicy:BucketPolicy"],
    (c) => deniesPlainHttp(c.policy),
    "has no policy denying requests without TLS",
    (b) => deniesPlainHttp(b.policy),
  ),
  everyBucketHas(
    "s3-acls-disabled",
    "Buckets disable ACLs: the owner owns every object and access is by policy, never by a canned or granted ACL (FSBP S3.12).",
    ["aws:s3/bucketOwnershipControls:BucketOwnershipControls"],
    (c) => (c.rule as { objectOwnership?: string } | undefined)?.objectOwnership === "BucketOwnerEnforced",
    "does not enforce bucket-owner ownership (ACLs stay enabled)",
  ),
  forTypes(
    "s3-no-acl-grants",
    "No bucket is opened by an ACL, inline or as its own resource (FSBP S3.2/S3.3).",
    {
      "aws:s3/bucket:Bucket": (p) => [p.acl, ...list(p.grants as unknown[])],
      "aws:s3/bucketV2:BucketV2": (p) => [p.acl, ...list(p.grants as unknown[])],
      "aws:s3/bucketAcl:BucketAcl": (p) => [p.acl, p.accessControlPolicy],
      "aws:s3/bucketAclV2:BucketAclV2": (p) => [p.acl, p.accessControlPolicy],
    },
    (acls, report) => {
      const set = acls.filter((a) => a !== undefined && a !== "private");
      if (set.length > 0) report(`sets ACLs (${set.map((a) => text(a)).join(", ")}); use a bucket policy`);
    },
  ),
  everyBucketHas(
    "s3-access-logged",
    "Buckets log server access (FSBP S3.9, AwsSolutions-S1).",
    ["aws:s3/bucketLogging:BucketLogging"],
    (c) => c.targetBucket !== undefined,
    "has no server access logging",
    (b) => (b.logging as { targetBucket?: string } | undefined)?.targetBucket !== undefined,
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
    "aws:apigateway/usagePlan:UsagePlan",
    "apigw-usage-plan-bounded",
    "Every usage plan covers a stage and bounds its keys' rate, burst and daily quota, so one key cannot exhaust the API (AwsSolutions-APIG3 style).",
    (props, report) => {
      if (list(props.apiStages as unknown[] | undefined).length === 0) report("the plan covers no API stage");
      const t = props.throttleSettings as { rateLimit?: number; burstLimit?: number } | undefined;
      if (!((t?.rateLimit ?? 0) > 0 && (t?.burstLimit ?? 0) > 0))
        report("the plan sets no rate and burst limit");
      const q = props.quotaSettings as { limit?: number; period?: string } | undefined;
      if (!((q?.limit ?? 0) > 0 && q?.period)) report("the plan sets no quota");
    },
  ),
  {
    name: "apigw-behind-waf",
    description: "Every public API stage is behind a WAF web ACL (FSBP APIGateway.4, AwsSolutions-APIG3).",
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
      const associations = args.resources.filter(
        (r) => r.type === "aws:wafv2/webAclAssociation:WebAclAssociation",
      );
      for (const stage of args.resources.filter((r) => r.type === "aws:apigateway/stage:Stage")) {
        const suffix = `/restapis/${text(stage.props.restApi)}/stages/${text(stage.props.stageName)}`;
        const ok = associations.some((a) => {
          const deps = a.propertyDependencies?.resourceArn;
          if (deps && deps.length > 0) return deps.some((d) => d.urn === stage.urn);
          return text(a.props.resourceArn ?? "").endsWith(suffix);
        });
        if (!ok) report(`stage '${stage.name}' has no WAF web ACL`, stage.urn);
      }
    },
  },
  {
    name: "waf-managed-rules-rate-limited-logged",
    description:
      "Each web ACL runs AWS's common managed rule group and a rate-based rule, and logs (FSBP WAF.10/WAF.11 style).",
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
      for (const acl of args.resources.filter((r) => r.type === "aws:wafv2/webAcl:WebAcl")) {
        const rules = list(acl.props.rules as Array<{ statement?: Record<string, { name?: string }> }>);
        if (
          !rules.some((r) => r.statement?.managedRuleGroupStatement?.name === "AWSManagedRulesCommonRuleSet")
        )
          report(`web ACL '${acl.name}' does not run AWSManagedRulesCommonRuleSet`, acl.urn);
        if (!rules.some((r) => r.statement?.rateBasedStatement !== undefined))
          report(`web ACL '${acl.name}' has no rate-based rule`, acl.urn);
        const logging = companions(
          args.resources,
          "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
          "resourceArn",
          acl,
          ["arn", "id"],
        );
        const byName = args.resources.some(
          (r) =>
            r.type === "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration" &&
            text(r.props.resourceArn ?? "").includes(`/webacl/${text(acl.props.name)}/`),
        );
        if (logging.length === 0 && !byName) report(`web ACL '${acl.name}' does not log`, acl.urn);
      }
    },
  },
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
  forTypes(
    "sg-no-open-ingress",
    "No security group admits the internet, whichever way the rule is written: inline, the legacy SecurityGroupRule or the VPC ingress rule (FSBP EC2.18/EC2.19, AwsSolutions-EC23).",
    {
      "aws:ec2/securityGroup:SecurityGroup": (p) =>
        list(p.ingress as Array<{ cidrBlocks?: string[]; ipv6CidrBlocks?: string[] }>).flatMap((r) => [
          ...list(r.cidrBlocks),
          ...list(r.ipv6CidrBlocks),
        ]),
      "aws:ec2/securityGroupRule:SecurityGroupRule": (p) =>
        p.type === "ingress"
          ? [...list(p.cidrBlocks as string[] | undefined), ...list(p.ipv6CidrBlocks as string[] | undefined)]
          : [],
      "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (p) => [p.cidrIpv4, p.cidrIpv6],
    },
    (cidrs, report) => {
      for (const c of cidrs) if (OPEN_CIDRS.has(text(c))) report(`admits ${text(c)}`);
    },
  ),
  forTypes(
    "vpc-endpoints-scoped",
    "VPC endpoints carry a policy narrower than AWS's default full access (AwsSolutions-VPC style: an endpoint is not a way out for any credentials).",
    {
      "aws:ec2/vpcEndpoint:VpcEndpoint": (p) => [p],
      // awsx's Vpc creates the endpoints of its vpcEndpointSpecs (judged here when awsx's children are not
      // visible, as in the offline synth; in a preview they are judged as endpoints too).
      "awsx:ec2:Vpc": (p) => list(p.vpcEndpointSpecs as Props[] | undefined),
    },
    (endpoints, report) => {
      for (const e of endpoints as Props[])
        if (e.policy === undefined || e.policy === "")
          report(`${text(e.serviceName ?? "the endpoint")} allows everything (no endpoint policy)`);
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
      // awsx's Vpc (a remote component) stands for the VPC it creates: a flow log on its vpcId depends on the
      // component, never on the child VPC (the SDK's dependencies stop at a remote component), so the child
      // is logged when its parent component is.
      for (const vpc of args.resources.filter(
        (r) => r.type === "aws:ec2/vpc:Vpc" || r.type === "awsx:ec2:Vpc",
      )) {
        const owner =
          vpc.type === "aws:ec2/vpc:Vpc" && vpc.parent?.type === "awsx:ec2:Vpc" ? vpc.parent : vpc;
        const logs = companions(args.resources, "aws:ec2/flowLog:FlowLog", "vpcId", owner, ["id"]);
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
    "aws:cloudwatch/logGroup:LogGroup",
    "logs-encrypted",
    "Log groups are encrypted with a customer managed key, so its key policy decides who reads them (FSBP CloudWatch style, AwsSolutions).",
    (props, report) => {
      if (!props.kmsKeyId) report("the log group is not encrypted with a customer managed key (kmsKeyId)");
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
        if (!n.policyId) report(`cluster ${key}: no cluster policy (policyId)`);
        if (!(n.awsAttributes as { instanceProfileArn?: string } | undefined)?.instanceProfileArn)
          report(`cluster ${key}: no instance profile (S3 access would need keys)`);
        const conf = JSON.stringify(n.sparkConf ?? {});
        if (/fs\.s3a\.(access|secret)\.key/.test(conf)) report(`cluster ${key}: S3 keys in the Spark config`);
      }
    },
  ),
  forType(
    "databricks:index/servicePrincipalSecret:ServicePrincipalSecret",
    "databricks-secrets-expire",
    "Databricks OAuth secrets end within a year (an explicit lifetime), so a leaked one stops working and rotation is routine.",
    (props, report) => {
      const seconds = Number(/^(\d+)s$/.exec(text(props.lifetime ?? ""))?.[1] ?? NaN);
      if (!(seconds > 0)) report("the secret has no explicit lifetime (Databricks' default is two years)");
      else if (seconds > 365 * 86400)
        report(`the secret lives ${Math.round(seconds / 86400)} days, over a year`);
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
  // --- What the pack cannot judge is itself a finding -------------------------------------------------------
  {
    name: "pack-judges-every-type",
    description:
      "Every resource type in the stack is judged by a rule above or listed in NEUTRAL_TYPES with the reason it needs none; a new type is reported until someone decides.",
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
      const known = new Set([...[...RULE_TYPES.values()].flat(), ...Object.keys(NEUTRAL_TYPES)]);
      const reported = new Set<string>();
      for (const r of args.resources) {
        if (known.has(r.type) || reported.has(r.type) || r.type.startsWith("pulumi:")) continue;
        reported.add(r.type);
        report(
          `no rule judges ${r.type}: add it to the rules that apply, or to NEUTRAL_TYPES (policy/rules.ts) with the reason it needs none`,
          r.urn,
        );
      }
    },
  },
];

// The stack-level rules' types (resource-level ones declare theirs as they are built).
declare("apigw-throttled", ["aws:apigateway/stage:Stage", "aws:apigateway/methodSettings:MethodSettings"]);
declare("vpc-flow-logs", ["aws:ec2/vpc:Vpc", "awsx:ec2:Vpc", "aws:ec2/flowLog:FlowLog"]);
declare("apigw-behind-waf", ["aws:apigateway/stage:Stage", "aws:wafv2/webAclAssociation:WebAclAssociation"]);
declare("waf-managed-rules-rate-limited-logged", [
  "aws:wafv2/webAcl:WebAcl",
  "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
]);
declare("sns-tls-only", ["aws:sns/topic:Topic", "aws:sns/topicPolicy:TopicPolicy"]);
declare("kms-key-policy-explicit", ["aws:kms/key:Key", "aws:kms/keyPolicy:KeyPolicy"]);
declare("stateful-resources-protected", [...STATEFUL_TYPES]);
declare("named-resources-replaced-delete-first", [...NAMED_TYPES.keys()]);
