/**
 * The policy pack (policy/): every rule against a compliant and a non-compliant resource, the suppressions
 * (a reason is required, a stack-scoped one covers only its stacks), and every rule over the dev and prod
 * synth graphs, which must pass with exactly the documented suppressions. The pack itself runs under the
 * Pulumi CLI (`pulumi preview --policy-pack policy`), which cannot be installed here; the same rule objects
 * run here through policy/offline.ts, which hands them resources the way the engine does.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { checkGraph, policyConfigFor, Violation } from "../policy/offline";
import { guardrails } from "../policy/pack";
import {
  ALL_POLICY_DOCUMENTS,
  IDENTITY_POLICY_DOCUMENTS,
  LONG_LIVED_CREDENTIAL_TYPES,
  NEUTRAL_TYPES,
  POLICY_ATTACHMENTS,
  RESOURCE_POLICY_DOCUMENTS,
  RULE_TYPES,
  RULES,
} from "../policy/rules";
import { NAMED_TYPES, STATEFUL_TYPES } from "../policy/resourceClasses";
import { lakeKeyPolicy } from "../components/keyPolicies";
import { parseUrn, Suppression, SUPPRESSIONS, validateSuppressions } from "../policy/suppressions";
import { SynthGraph } from "../synth/synth";
import { ROOT, synthCli } from "./fixtures/synthCli";

interface Res {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  id?: string;
  options?: SynthGraph["resources"][number]["options"];
  /** A remote component's outputs, as the synth records them. */
  outputs?: Record<string, unknown>;
  /** Name of its parent in the same graph. */
  parent?: string;
}

function graph(resources: Res[], stack = "t"): SynthGraph {
  return {
    project: "pinterest-pipeline",
    stack,
    outputs: {},
    resources: resources.map((r) => ({
      urn: `urn:pulumi:${stack}::pinterest-pipeline::pinterest-pipeline:x:C$${r.type}::${r.name}`,
      type: r.type,
      name: r.name,
      parent: r.parent
        ? `urn:pulumi:${stack}::pinterest-pipeline::pinterest-pipeline:x:C$${resources.find((p) => p.name === r.parent)!.type}::${r.parent}`
        : null,
      id: r.id,
      inputs: r.inputs,
      options: r.options ?? {},
      ...(r.outputs ? { outputs: r.outputs } : {}),
    })),
  };
}

const doc = (...Statement: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const allow = (Action: string | string[], Resource: string | string[]) => ({
  Effect: "Allow",
  Action,
  Resource,
});
const TLS_DENY = {
  Effect: "Deny",
  Principal: "*",
  Action: "s3:*",
  Resource: "arn:aws:s3:::b",
  Condition: { Bool: { "aws:SecureTransport": "false" } },
};

/** A bucket with every companion secureBucket gives it; `drop` leaves one out, `replace` overrides some inputs. */
function bucket(drop?: string, replace: Record<string, Record<string, unknown>> = {}): Res[] {
  const b = "b-123";
  const companions: Record<string, Record<string, unknown>> = {
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
      bucket: b,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }],
    },
    "aws:s3/bucketVersioning:BucketVersioning": { bucket: b, versioningConfiguration: { status: "Enabled" } },
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {
      bucket: b,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    "aws:s3/bucketPolicy:BucketPolicy": { bucket: b, policy: doc(TLS_DENY) },
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": {
      bucket: b,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    },
    "aws:s3/bucketLogging:BucketLogging": { bucket: b, targetBucket: "logs-1" },
  };
  return [
    { type: "aws:s3/bucket:Bucket", name: "data", id: b, inputs: {} },
    ...Object.entries(companions)
      .filter(([type]) => type !== drop)
      .map(([type, inputs]) => ({ type, name: "data", inputs: { ...inputs, ...replace[type] } })),
  ];
}

const one = (type: string, inputs: Record<string, unknown>, name = "r"): Res[] => [{ type, name, inputs }];

/** One resource of each type in `sources`, holding `policy` wherever that type keeps a policy document. */
function everyDocumentType(sources: Record<string, unknown>, policy: string): Res[][] {
  return Object.keys(sources).map((type) =>
    one(type, {
      policy,
      policyDocument: policy,
      inlinePolicy: policy,
      inlinePolicies: [{ name: "p", policy }],
      assumeRolePolicy: doc(),
    }),
  );
}

const V2: Record<string, string> = {
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  "aws:s3/bucketVersioning:BucketVersioning": "aws:s3/bucketVersioningV2:BucketVersioningV2",
  "aws:s3/bucketLogging:BucketLogging": "aws:s3/bucketLoggingV2:BucketLoggingV2",
};

/**
 * A bucket rule's other ways to go wrong: the deprecated BucketV2 with the bad companion, and the bad value in
 * the companion's deprecated V2 type.
 */
function bucketVariants(companion: string, bad: Record<string, unknown>): Res[][] {
  const broken = bucket(undefined, { [companion]: bad });
  const out = [
    broken.map((r) => (r.type === "aws:s3/bucket:Bucket" ? { ...r, type: "aws:s3/bucketV2:BucketV2" } : r)),
  ];
  if (V2[companion]) out.push(broken.map((r) => (r.type === companion ? { ...r, type: V2[companion] } : r)));
  return out;
}

const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const MSK = "aws:msk/cluster:Cluster";
const MSK_OK = {
  brokerNodeGroupInfo: { connectivityInfo: { publicAccess: { type: "DISABLED" } } },
  clientAuthentication: { sasl: { iam: true }, unauthenticated: false },
  encryptionInfo: {
    encryptionAtRestKmsKeyArn: "arn:aws:kms:eu-west-1:1:key/k",
    encryptionInTransit: { clientBroker: "TLS", inCluster: true },
  },
  loggingInfo: { brokerLogs: { cloudwatchLogs: { enabled: true } } },
};
const CONNECTOR = "aws:mskconnect/connector:Connector";
const CONNECTOR_OK = {
  kafkaClusterEncryptionInTransit: { encryptionType: "TLS" },
  kafkaClusterClientAuthentication: { authenticationType: "IAM" },
  logDelivery: { workerLogDelivery: { cloudwatchLogs: { enabled: true } } },
};
const stage = (settings: Record<string, unknown> | undefined): Res[] => [
  {
    type: "aws:apigateway/stage:Stage",
    name: "api",
    id: "stage-1",
    inputs: { restApi: "api-1", stageName: "v1" },
  },
  ...(settings
    ? [
        {
          type: "aws:apigateway/methodSettings:MethodSettings",
          name: "api",
          inputs: { restApi: "api-1", stageName: "v1", methodPath: "*/*", settings },
        },
      ]
    : []),
];
const MWAA_LOGS = Object.fromEntries(
  ["dagProcessingLogs", "schedulerLogs", "taskLogs", "webserverLogs", "workerLogs"].map((k) => [
    k,
    { enabled: true },
  ]),
);
const JOB = "databricks:index/job:Job";
const CLUSTER_OK = {
  policyId: "POLICY1",
  dataSecurityMode: "SINGLE_USER",
  enableLocalDiskEncryption: true,
  sparkVersion: "17.3.x-scala2.13",
  awsAttributes: { instanceProfileArn: "arn:aws:iam::1:instance-profile/p" },
};
const JOB_OK = {
  jobClusters: [{ jobClusterKey: "batch", newCluster: CLUSTER_OK }],
  tasks: [{ jobClusterKey: "batch" }],
  runAs: { servicePrincipalName: "sp" },
  timeoutSeconds: 3600,
  emailNotifications: { onFailures: ["oncall@example.com"] },
};
const TOPIC = (policy?: string): Res[] => [
  {
    type: "aws:sns/topic:Topic",
    name: "alarms",
    id: "arn:aws:sns:eu-west-1:1:alarms",
    inputs: { kmsMasterKeyId: "k" },
  },
  ...(policy
    ? one("aws:sns/topicPolicy:TopicPolicy", { arn: "arn:aws:sns:eu-west-1:1:alarms", policy })
    : []),
];

const WEB_ACL: Res = {
  type: "aws:wafv2/webAcl:WebAcl",
  name: "acl",
  id: "arn:aws:wafv2:eu-west-1:1:regional/webacl/acl/1",
  inputs: {
    name: "acl",
    rules: [
      { statement: { rateBasedStatement: { limit: 100, aggregateKeyType: "IP" } } },
      {
        statement: { managedRuleGroupStatement: { vendorName: "AWS", name: "AWSManagedRulesCommonRuleSet" } },
      },
    ],
  },
};

/** Per rule: resources that satisfy it, resources that break it, and what the violation must say. */
const CASES: Record<string, { ok: Res[]; bad: Res[]; says: RegExp; more?: Res[][] }> = {
  "iam-no-wildcard-actions": {
    ok: one(ROLE_POLICY, { policy: doc(allow(["s3:GetObject"], "arn:aws:s3:::b/*")) }),
    bad: one(ROLE_POLICY, { policy: doc(allow(["s3:*"], "arn:aws:s3:::b/*")) }),
    says: /wildcard actions: s3:\*/,
    more: everyDocumentType(ALL_POLICY_DOCUMENTS, doc(allow(["kinesis:Get*"], "arn:aws:kinesis:x"))),
  },
  "iam-resources-scoped": {
    ok: one(ROLE_POLICY, {
      policy: doc(
        allow(["ec2:DescribeSubnets"], "*"),
        allow("s3:GetObject", "arn:aws:s3:::b/raw/*"),
        allow("iam:PassRole", "arn:aws:iam::123456789012:role/pinpipe-dev-batch"),
      ),
    }),
    bad: one(ROLE_POLICY, { policy: doc(allow(["s3:GetObject"], "*")) }),
    says: /s3:GetObject on every resource/,
    more: [
      ...everyDocumentType(IDENTITY_POLICY_DOCUMENTS, doc(allow("logs:PutLogEvents", "*"))),
      // Resource wildcards: every bucket, every role, any account.
      one(ROLE_POLICY, { policy: doc(allow("s3:GetObject", "arn:aws:s3:::*")) }),
      one("aws:iam/policy:Policy", {
        policy: doc(allow("iam:PassRole", "arn:aws:iam::123456789012:role/*")),
      }),
      one(ROLE_POLICY, { policy: doc(allow("kms:Decrypt", "arn:aws:kms:eu-west-1:*:key/k")) }),
    ],
  },
  "iam-no-aws-managed-policies": {
    ok: [
      ...one("aws:iam/role:Role", { assumeRolePolicy: doc() }),
      ...one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {
        policyArn: "arn:aws:iam::123456789012:policy/own",
      }),
    ],
    bad: one("aws:iam/role:Role", { managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"] }),
    says: /AdministratorAccess/,
    more: Object.keys(POLICY_ATTACHMENTS).map((type) =>
      one(type, {
        policyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess",
        policyArns: ["arn:aws:iam::aws:policy/AmazonS3FullAccess"],
        managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonS3FullAccess"],
      }),
    ),
  },
  "vpc-endpoints-scoped": {
    ok: one("aws:ec2/vpcEndpoint:VpcEndpoint", { serviceName: "com.amazonaws.eu-west-1.s3", policy: doc() }),
    bad: one("aws:ec2/vpcEndpoint:VpcEndpoint", { serviceName: "com.amazonaws.eu-west-1.s3" }),
    // awsx's Vpc declares its endpoints as specs: judged on the component's inputs when its children are unseen.
    more: [
      one("awsx:ec2:Vpc", {
        vpcEndpointSpecs: [{ serviceName: "com.amazonaws.eu-west-1.s3", vpcEndpointType: "Gateway" }],
      }),
    ],
    says: /com\.amazonaws\.eu-west-1\.s3 allows everything/,
  },
  "iam-role-trust-scoped": {
    ok: one("aws:iam/role:Role", {
      assumeRolePolicy: doc({
        Effect: "Allow",
        Principal: { Service: "lambda.amazonaws.com" },
        Action: "sts:AssumeRole",
      }),
    }),
    bad: one("aws:iam/role:Role", {
      assumeRolePolicy: doc({ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }),
    }),
    says: /any principal/,
    more: [
      one("aws:iam/role:Role", {
        assumeRolePolicy: doc({
          Effect: "Allow",
          Principal: { Service: "kafkaconnect.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": "1" } },
        }),
      }),
    ],
  },
  "resource-policies-not-open": {
    ok: one("aws:s3/bucketPolicy:BucketPolicy", {
      policy: doc({
        ...allow("s3:GetObject", "arn:aws:s3:::b/*"),
        Principal: { AWS: "arn:aws:iam::1:root" },
      }),
    }),
    bad: one("aws:sqs/queuePolicy:QueuePolicy", {
      policy: doc({ ...allow("sqs:SendMessage", "arn:aws:sqs:x"), Principal: "*" }),
    }),
    says: /any principal \('\*'\) sqs:SendMessage without a condition/,
    more: everyDocumentType(
      RESOURCE_POLICY_DOCUMENTS,
      doc({ ...allow("kms:Decrypt", "*"), Principal: { AWS: "*" } }),
    ),
  },
  "no-long-lived-credentials": {
    ok: one("aws:iam/role:Role", { assumeRolePolicy: doc() }),
    bad: one("aws:iam/accessKey:AccessKey", { user: "ci" }),
    says: /creates AccessKey, a long-lived credential/,
    more: LONG_LIVED_CREDENTIAL_TYPES.map((type) => one(type, {})),
  },
  "kms-rotation-enabled": {
    ok: one("aws:kms/key:Key", { enableKeyRotation: true }),
    bad: one("aws:kms/key:Key", { enableKeyRotation: false }),
    says: /rotation/,
  },
  "kms-key-policy-explicit": {
    ok: one("aws:kms/key:Key", {
      policy: JSON.stringify(lakeKeyPolicy({ accountId: "1", region: "eu-west-1" })),
    }),
    bad: one("aws:kms/key:Key", {}),
    says: /has no explicit key policy/,
    more: [
      // Use granted to the account directly, not through a service: an IAM grant alone would open it.
      one("aws:kms/key:Key", {
        policy: doc({
          Sid: "Use",
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::1:root" },
          Action: ["kms:Decrypt"],
          Resource: "*",
        }),
      }),
      [
        { type: "aws:kms/key:Key", name: "k", id: "key-1", inputs: { policy: doc() } },
        ...one("aws:kms/keyPolicy:KeyPolicy", {
          keyId: "key-1",
          policy: doc({
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::1:root" },
            Action: "kms:Encrypt",
            Resource: "*",
          }),
        }),
      ],
    ],
  },
  "s3-encrypted": {
    ok: bucket(),
    bad: bucket("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"),
    says: /bucket 'data' has no default encryption/,
    more: bucketVariants(
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "none" } }] },
    ),
  },
  "s3-versioned": {
    ok: bucket(),
    bad: bucket(undefined, {
      "aws:s3/bucketVersioning:BucketVersioning": { versioningConfiguration: { status: "Suspended" } },
    }),
    says: /is not versioned/,
    more: bucketVariants("aws:s3/bucketVersioning:BucketVersioning", {
      versioningConfiguration: { status: "Suspended" },
    }),
  },
  "s3-public-access-blocked": {
    ok: bucket(),
    bad: bucket(undefined, {
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": { restrictPublicBuckets: false },
    }),
    says: /public access/,
    more: bucketVariants("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", {
      blockPublicAcls: false,
    }),
  },
  "s3-tls-only": {
    ok: bucket(),
    bad: bucket(undefined, {
      "aws:s3/bucketPolicy:BucketPolicy": { policy: doc(allow("s3:GetObject", "arn:aws:s3:::b/*")) },
    }),
    says: /without TLS/,
    more: bucketVariants("aws:s3/bucketPolicy:BucketPolicy", { policy: doc() }),
  },
  "s3-acls-disabled": {
    ok: bucket(),
    bad: bucket("aws:s3/bucketOwnershipControls:BucketOwnershipControls"),
    says: /ACLs/,
    more: bucketVariants("aws:s3/bucketOwnershipControls:BucketOwnershipControls", {
      rule: { objectOwnership: "ObjectWriter" },
    }),
  },
  "s3-no-acl-grants": {
    ok: bucket(),
    bad: one("aws:s3/bucketAcl:BucketAcl", { bucket: "b-123", acl: "public-read" }),
    says: /sets ACLs \(public-read\)/,
    more: [
      one("aws:s3/bucketAclV2:BucketAclV2", { bucket: "b", acl: "authenticated-read" }),
      one("aws:s3/bucket:Bucket", { acl: "public-read-write" }),
      one("aws:s3/bucketV2:BucketV2", {
        grants: [{ type: "Group", uri: "http://acs.amazonaws.com/groups/global/AllUsers" }],
      }),
    ],
  },
  "s3-access-logged": {
    ok: bucket(),
    bad: bucket("aws:s3/bucketLogging:BucketLogging"),
    says: /no server access logging/,
    more: bucketVariants("aws:s3/bucketLogging:BucketLogging", { targetBucket: undefined }),
  },
  "kinesis-encrypted": {
    ok: one("aws:kinesis/stream:Stream", { encryptionType: "KMS", kmsKeyId: "alias/aws/kinesis" }),
    bad: one("aws:kinesis/stream:Stream", { encryptionType: "NONE" }),
    says: /not encrypted at rest/,
  },
  "msk-encrypted-in-transit": {
    ok: one(MSK, MSK_OK),
    bad: one(MSK, { ...MSK_OK, encryptionInfo: { encryptionInTransit: { clientBroker: "TLS_PLAINTEXT" } } }),
    says: /clientBroker is TLS_PLAINTEXT/,
  },
  "msk-iam-auth-only": {
    ok: one(MSK, MSK_OK),
    bad: one(MSK, { ...MSK_OK, clientAuthentication: { sasl: { scram: true }, unauthenticated: true } }),
    says: /IAM client authentication/,
  },
  "msk-private": {
    ok: one(MSK, MSK_OK),
    bad: one(MSK, {
      ...MSK_OK,
      brokerNodeGroupInfo: { connectivityInfo: { publicAccess: { type: "SERVICE_PROVIDED_EIPS" } } },
    }),
    says: /public access is SERVICE_PROVIDED_EIPS/,
  },
  "mskconnect-secure": {
    ok: one(CONNECTOR, CONNECTOR_OK),
    bad: one(CONNECTOR, {
      ...CONNECTOR_OK,
      kafkaClusterEncryptionInTransit: { encryptionType: "PLAINTEXT" },
    }),
    says: /not TLS/,
  },
  "apigw-access-logged": {
    ok: one("aws:apigateway/stage:Stage", {
      accessLogSettings: { destinationArn: "arn:aws:logs:x", format: "{}" },
    }),
    bad: one("aws:apigateway/stage:Stage", {}),
    says: /no access logs/,
  },
  "apigw-throttled": {
    ok: stage({ throttlingRateLimit: 50, throttlingBurstLimit: 100, metricsEnabled: true }),
    bad: stage(undefined),
    says: /stage 'api' has no stage-wide throttling/,
    more: [stage({ throttlingRateLimit: 50, metricsEnabled: true })],
  },
  "apigw-authenticated": {
    ok: one("aws:apigateway/method:Method", {
      httpMethod: "POST",
      authorization: "NONE",
      apiKeyRequired: true,
    }),
    bad: one("aws:apigateway/method:Method", {
      httpMethod: "POST",
      authorization: "NONE",
      apiKeyRequired: false,
    }),
    says: /POST requires neither an API key nor an authorizer/,
  },
  "apigw-behind-waf": {
    ok: [
      ...stage(undefined),
      ...one("aws:wafv2/webAclAssociation:WebAclAssociation", {
        resourceArn: "arn:aws:apigateway:eu-west-1::/restapis/api-1/stages/v1",
        webAclArn: "arn:acl",
      }),
    ],
    bad: stage(undefined),
    says: /stage 'api' has no WAF web ACL/,
    more: [
      [
        ...stage(undefined),
        ...one("aws:wafv2/webAclAssociation:WebAclAssociation", {
          resourceArn: "arn:aws:apigateway:eu-west-1::/restapis/other/stages/v1",
        }),
      ],
    ],
  },
  "waf-managed-rules-rate-limited-logged": {
    ok: [
      WEB_ACL,
      ...one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", { resourceArn: WEB_ACL.id }),
    ],
    bad: [{ ...WEB_ACL, inputs: { ...WEB_ACL.inputs, rules: [] } }],
    says: /does not run AWSManagedRulesCommonRuleSet/,
    more: [
      [
        WEB_ACL,
        ...one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", {
          resourceArn: "arn:other",
        }),
      ],
    ],
  },
  "apigw-no-data-trace": {
    ok: one("aws:apigateway/methodSettings:MethodSettings", { settings: { dataTraceEnabled: false } }),
    bad: one("aws:apigateway/methodSettings:MethodSettings", { settings: { dataTraceEnabled: true } }),
    says: /bodies/,
  },
  "lambda-in-vpc-supported-runtime": {
    ok: one("aws:lambda/function:Function", {
      runtime: "nodejs20.x",
      vpcConfig: { subnetIds: ["subnet-1"] },
    }),
    bad: one("aws:lambda/function:Function", { runtime: "nodejs16.x" }),
    says: /not run in the VPC|nodejs16\.x/,
  },
  "lambda-not-public": {
    ok: one("aws:lambda/permission:Permission", {
      principal: "apigateway.amazonaws.com",
      sourceArn: "arn:x",
    }),
    bad: one("aws:lambda/permission:Permission", { principal: "*" }),
    says: /anyone/,
  },
  "sg-no-open-ingress": {
    ok: one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", {
      referencedSecurityGroupId: "sg-1",
    }),
    bad: one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", {
      cidrIpv4: "0.0.0.0/0",
      fromPort: 22,
    }),
    says: /admits 0\.0\.0\.0\/0/,
    more: [
      one("aws:ec2/securityGroup:SecurityGroup", { ingress: [{ ipv6CidrBlocks: ["::/0"] }] }),
      one("aws:ec2/securityGroupRule:SecurityGroupRule", { type: "ingress", cidrBlocks: ["0.0.0.0/0"] }),
    ],
  },
  "default-sg-closed": {
    ok: one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", { ingress: [], egress: [] }),
    bad: one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", { ingress: [{ self: true }] }),
    says: /has rules/,
  },
  "vpc-flow-logs": {
    ok: [
      { type: "aws:ec2/vpc:Vpc", name: "vpc", id: "vpc-1", inputs: {} },
      ...one("aws:ec2/flowLog:FlowLog", { vpcId: "vpc-1" }),
    ],
    bad: [{ type: "aws:ec2/vpc:Vpc", name: "vpc", id: "vpc-1", inputs: {} }],
    says: /VPC 'vpc' has no flow log/,
    more: [
      [
        { type: "aws:ec2/vpc:Vpc", name: "vpc", id: "vpc-1", inputs: {} },
        ...one("aws:ec2/flowLog:FlowLog", { vpcId: "vpc-other" }),
      ],
      // awsx's Vpc stands for the VPC it makes; its vpcId output names it.
      [
        { type: "awsx:ec2:Vpc", name: "vpc", inputs: {}, outputs: { vpcId: "vpc-2" } },
        ...one("aws:ec2/flowLog:FlowLog", { vpcId: "vpc-other" }),
      ],
    ],
  },
  "mwaa-private-and-logged": {
    ok: one("aws:mwaa/environment:Environment", {
      webserverAccessMode: "PRIVATE_ONLY",
      loggingConfiguration: MWAA_LOGS,
    }),
    bad: one("aws:mwaa/environment:Environment", {
      webserverAccessMode: "PUBLIC_ONLY",
      loggingConfiguration: MWAA_LOGS,
    }),
    says: /PUBLIC_ONLY, not PRIVATE_ONLY/,
  },
  "secrets-cmk-encrypted": {
    ok: one("aws:secretsmanager/secret:Secret", { kmsKeyId: "arn:aws:kms:x" }),
    bad: one("aws:secretsmanager/secret:Secret", {}),
    says: /default aws\/secretsmanager key/,
  },
  "log-retention-set": {
    ok: one("aws:cloudwatch/logGroup:LogGroup", { retentionInDays: 14 }),
    bad: one("aws:cloudwatch/logGroup:LogGroup", {}),
    says: /forever/,
  },
  "logs-encrypted": {
    ok: one("aws:cloudwatch/logGroup:LogGroup", { retentionInDays: 14, kmsKeyId: "arn:aws:kms:x" }),
    bad: one("aws:cloudwatch/logGroup:LogGroup", { retentionInDays: 14 }),
    says: /not encrypted with a customer managed key/,
  },
  "apigw-usage-plan-bounded": {
    ok: one("aws:apigateway/usagePlan:UsagePlan", {
      apiStages: [{ apiId: "a", stage: "v1" }],
      throttleSettings: { rateLimit: 10, burstLimit: 20 },
      quotaSettings: { limit: 100000, period: "DAY" },
    }),
    bad: one("aws:apigateway/usagePlan:UsagePlan", {
      apiStages: [{ apiId: "a", stage: "v1" }],
      throttleSettings: { rateLimit: 10, burstLimit: 20 },
    }),
    says: /sets no quota/,
  },
  "sns-encrypted": {
    ok: one("aws:sns/topic:Topic", { kmsMasterKeyId: "k" }),
    bad: one("aws:sns/topic:Topic", {}),
    says: /not encrypted/,
  },
  "sns-tls-only": {
    ok: TOPIC(doc({ ...TLS_DENY, Action: "sns:Publish" })),
    bad: TOPIC(doc(allow("sns:Publish", "arn:aws:sns:eu-west-1:1:alarms"))),
    says: /topic 'alarms' has no policy denying/,
  },
  "alarm-notifies": {
    ok: one("aws:cloudwatch/metricAlarm:MetricAlarm", { alarmActions: ["arn:aws:sns:x"] }),
    bad: one("aws:cloudwatch/metricAlarm:MetricAlarm", { alarmActions: [] }),
    says: /no alarm action/,
  },
  "databricks-job-clusters-secure": {
    ok: one(JOB, JOB_OK),
    bad: one(JOB, {
      ...JOB_OK,
      jobClusters: [
        {
          jobClusterKey: "batch",
          newCluster: { ...CLUSTER_OK, dataSecurityMode: "NONE", sparkVersion: "latest" },
        },
      ],
    }),
    says: /access mode "?NONE"? has no user isolation/,
  },
  "stateful-resources-protected": {
    ok: [{ type: "aws:kinesis/stream:Stream", name: "s", inputs: { name: "s" }, options: { protect: true } }],
    bad: [{ type: "aws:kms/key:Key", name: "k", inputs: {}, options: { deleteBeforeReplace: true } }],
    says: /aws:kms\/key:Key is not protected/,
    more: [...STATEFUL_TYPES].map((type) => [{ type, name: "x", inputs: {} }]),
  },
  "named-resources-replaced-delete-first": {
    ok: [
      {
        type: "aws:kinesis/stream:Stream",
        name: "s",
        inputs: { name: "s" },
        options: { deleteBeforeReplace: true },
      },
      // No fixed name: Pulumi's auto-name never collides.
      { type: "aws:lambda/function:Function", name: "f", inputs: {} },
    ],
    bad: [
      {
        type: "aws:mwaa/environment:Environment",
        name: "m",
        inputs: { name: "m" },
        options: { protect: true },
      },
    ],
    says: /fixed name but is not replaced delete-first/,
    more: [...NAMED_TYPES].map(([type, key]) => [{ type, name: "x", inputs: { [key]: "fixed" } }]),
  },
  "pack-judges-every-type": {
    ok: [...one("aws:ec2/subnet:Subnet", {}), ...one("aws:kinesis/stream:Stream", {})],
    bad: one("aws:lightsail/instance:Instance", {}),
    says: /no rule judges aws:lightsail\/instance:Instance/,
  },
  "databricks-secrets-expire": {
    ok: one("databricks:index/servicePrincipalSecret:ServicePrincipalSecret", { lifetime: "7776000s" }),
    bad: one("databricks:index/servicePrincipalSecret:ServicePrincipalSecret", {}),
    says: /no explicit lifetime/,
    more: [one("databricks:index/servicePrincipalSecret:ServicePrincipalSecret", { lifetime: "63072000s" })],
  },
  "databricks-job-operable": {
    ok: one(JOB, JOB_OK),
    bad: one(JOB, { ...JOB_OK, runAs: undefined, emailNotifications: undefined }),
    says: /service principal/,
  },
};

const onlyRule = (violations: Violation[], rule: string) => violations.filter((v) => v.rule === rule);

describe("policy pack (policy/)", () => {
  const unsuppressed = guardrails(RULES, []);

  it("has a compliant and a non-compliant case for every rule, and names its source control", () => {
    const names = RULES.map((r) => r.name);
    assert.equal(new Set(names).size, names.length, "rule names are unique");
    assert.deepEqual(Object.keys(CASES).sort(), [...names].sort());
    for (const r of RULES) assert.match(r.description, /\(.+\)|\.$/, `${r.name} explains itself`);
  });

  for (const [rule, c] of Object.entries(CASES)) {
    it(`${rule}: passes a compliant resource and reports a non-compliant one`, async () => {
      assert.deepEqual(onlyRule(await checkGraph(graph(c.ok), unsuppressed), rule), []);
      const found = onlyRule(await checkGraph(graph(c.bad), unsuppressed), rule);
      assert.ok(found.length > 0, `${rule} reports the bad case`);
      assert.ok(
        found.some((v) => c.says.test(v.message)),
        `${rule}: ${found.map((v) => v.message).join("; ")}`,
      );
      const badUrns = graph(c.bad).resources.map((r) => r.urn);
      for (const v of found) assert.ok(badUrns.includes(v.urn), `${rule} names the offending resource`);
    });
  }

  it("reads each stack's policy config: a stack declared disposable may leave stateful resources unprotected", async () => {
    const key = graph([{ type: "aws:kms/key:Key", name: "k", inputs: {} }], "dev");
    const rule = "stateful-resources-protected";
    assert.deepEqual(onlyRule(await checkGraph(key, unsuppressed), rule), [], "dev: policy/config.dev.json");
    assert.equal(onlyRule(await checkGraph({ ...key, stack: "prod" }, unsuppressed), rule).length, 1);
    assert.equal(
      onlyRule(await checkGraph(key, unsuppressed, {}), rule).length,
      1,
      "the default requires it",
    );
    // Every stack has a policy config, and the preview and deploy workflow passes it.
    for (const stack of ["dev", "prod"]) assert.ok(Object.keys(policyConfigFor(stack)).length > 0, stack);
    assert.match(
      fs.readFileSync(path.join(ROOT, ".github/workflows/pulumi.yml"), "utf8"),
      /policyPackConfigs: policy\/config\.\$\{\{ inputs\.stack \}\}\.json/,
    );
  });

  for (const [rule, c] of Object.entries(CASES).filter(([, c]) => c.more)) {
    it(`${rule}: reports each other way of breaking it`, async () => {
      for (const scenario of c.more!) {
        const found = onlyRule(await checkGraph(graph(scenario), unsuppressed), rule);
        assert.ok(found.length > 0, `${rule} reports ${scenario.map((r) => r.type).join(" + ")}`);
      }
    });
  }

  it("shows, per rule, each resource type that can violate it", async () => {
    for (const rule of RULES) {
      const c = CASES[rule.name];
      const violating = new Set<string>();
      for (const scenario of [c.bad, ...(c.more ?? [])])
        if (onlyRule(await checkGraph(graph(scenario), unsuppressed), rule.name).length > 0)
          for (const r of scenario) violating.add(r.type);
      const missing = (RULE_TYPES.get(rule.name) ?? []).filter((t) => !violating.has(t));
      assert.deepEqual(missing, [], `${rule.name}: no case shows these types violating it`);
    }
  });

  it("knows every type of both stacks: judged by a rule or neutral with a reason, never both unknown", () => {
    for (const [type, reason] of Object.entries(NEUTRAL_TYPES)) {
      assert.ok(reason.length >= 10, `${type} needs a reason`);
      for (const [rule, types] of RULE_TYPES)
        assert.ok(!types.includes(type), `${type} is neutral and judged by ${rule}`);
    }
  });

  it("links a bucket's companions through property dependencies when ids are not known yet", async () => {
    // In a first preview, `bucket` is unknown; the engine still says which bucket it depends on.
    const g = graph(bucket());
    for (const r of g.resources) if (r.type !== "aws:s3/bucket:Bucket") delete r.inputs.bucket;
    const stranded = await checkGraph(g, unsuppressed);
    assert.ok(
      onlyRule(stranded, "s3-versioned").length === 1,
      "without any link the bucket has no versioning",
    );
  });

  describe("suppressions", () => {
    it("refuses a suppression without a reason or for an unknown rule", () => {
      const base: Suppression = { rule: "s3-versioned", type: "aws:s3/bucket:Bucket", name: "*", reason: "" };
      assert.throws(
        () => validateSuppressions([base], ["s3-versioned"]),
        /^Error: suppression of 's3-versioned' for aws:s3\/bucket:Bucket '\*' needs a reason \(at least 20 characters\)$/,
      );
      assert.throws(
        () =>
          validateSuppressions(
            [{ ...base, rule: "nope", reason: "a reason long enough to count" }],
            ["s3-versioned"],
          ),
        /names no rule of the pack/,
      );
      assert.throws(() => guardrails(RULES, [base]), /needs a reason/);
    });

    it("covers only the named resource, rule and stacks", async () => {
      const suppression: Suppression = {
        rule: "mwaa-private-and-logged",
        type: "aws:mwaa/environment:Environment",
        name: "*-airflow",
        stacks: ["dev"],
        reason: "dev reaches its Airflow UI from the internet",
      };
      const env = (name: string) =>
        one(
          "aws:mwaa/environment:Environment",
          { webserverAccessMode: "PUBLIC_ONLY", loggingConfiguration: MWAA_LOGS },
          name,
        );
      const rules = guardrails(RULES, [suppression]);
      assert.deepEqual(await checkGraph(graph(env("pinpipe-dev-airflow"), "dev"), rules), []);
      assert.equal(
        (await checkGraph(graph(env("pinpipe-prod-airflow"), "prod"), rules)).length,
        1,
        "not in prod",
      );
      assert.equal((await checkGraph(graph(env("other"), "dev"), rules)).length, 1, "not another resource");
    });

    it("parses URNs with parent type chains", () => {
      assert.deepEqual(
        parseUrn(
          "urn:pulumi:dev::pinterest-pipeline::pinterest-pipeline:storage:Lake$aws:s3/bucket:Bucket::pinpipe-dev-access-logs",
        ),
        { stack: "dev", type: "aws:s3/bucket:Bucket", name: "pinpipe-dev-access-logs" },
      );
    });
  });

  it("counts a flow log on awsx's VPC for the component and, in a preview, for the VPC it made", async () => {
    const vpc = { type: "awsx:ec2:Vpc", name: "net", inputs: {}, outputs: { vpcId: "vpc-2" } };
    // In a preview the pack also sees awsx's child VPC; the flow log depends on the component, not on it.
    const child = { type: "aws:ec2/vpc:Vpc", name: "net-vpc", id: "vpc-2", inputs: {}, parent: "net" };
    const logged = graph([vpc, child, ...one("aws:ec2/flowLog:FlowLog", { vpcId: "vpc-2" })]);
    assert.deepEqual(onlyRule(await checkGraph(logged, unsuppressed), "vpc-flow-logs"), []);
    const unlogged = graph([vpc, child]);
    assert.deepEqual(
      onlyRule(await checkGraph(unlogged, unsuppressed), "vpc-flow-logs")
        .map((v) => v.message)
        .sort(),
      ["VPC 'net' has no flow log", "VPC 'net-vpc' has no flow log"],
    );
  });

  describe("the stacks", function () {
    this.timeout(300_000);
    let tmp: string;
    before(() => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "policy-test-"));
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    for (const stack of ["dev", "prod"]) {
      it(`${stack}: no violations, and every suppression it uses is listed with its reason`, async () => {
        const out = path.join(tmp, `${stack}.json`);
        const { code, stdout, stderr } = await synthCli(["--stack", stack, "--out", out]);
        assert.equal(code, 0, stdout + stderr);
        assert.match(stdout, /^Guardrails \(policy\/\): 0 violations$/m);
        const g = JSON.parse(fs.readFileSync(out, "utf8")) as SynthGraph;
        assert.ok(g.resources.length > 150, "the whole stack was checked");
        assert.deepEqual(await checkGraph(g), [], "zero violations with the pack's suppressions");
        // Without suppressions, exactly the suppressed findings appear: none is stale, none hides more.
        const raw = await checkGraph(g, unsuppressed);
        const expected = SUPPRESSIONS.filter(
          (s) => (s.stacks === undefined || s.stacks.includes(stack)) && !s.previewOnly,
        );
        assert.deepEqual(
          raw.map((v) => `${v.rule} ${parseUrn(v.urn).name}`).sort(),
          expected.map((s) => `${s.rule} ${s.name.replace("*", `pinpipe-${stack}`)}`).sort(),
        );
      });
    }

    it("fails the synth, naming rule and resource, when the program breaks a rule", async () => {
      // prod's Airflow made public: the same change dev makes, without dev's suppression.
      const dir = path.join(tmp, "project");
      fs.mkdirSync(dir, { recursive: true });
      for (const f of ["Pulumi.yaml", "Pulumi.prod.yaml"])
        fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
      fs.appendFileSync(
        path.join(dir, "Pulumi.prod.yaml"),
        "  pinterest-pipeline:mwaaWebserverAccess: public\n",
      );
      const prod = fs
        .readFileSync(path.join(dir, "Pulumi.prod.yaml"), "utf8")
        .replace(/^ {2}pinterest-pipeline:mwaaWebserverAccess: private\n/m, "");
      fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), prod);
      fs.writeFileSync(
        path.join(dir, "index.ts"),
        `export * from ${JSON.stringify(path.join(ROOT, "index"))};\n`,
      );
      const { code, stdout } = await synthCli([
        "--stack",
        "prod",
        "--project-dir",
        dir,
        "--out",
        path.join(tmp, "bad.json"),
      ]);
      assert.equal(code, 1, stdout);
      assert.match(stdout, /^Guardrails \(policy\/\): 1 violation$/m);
      assert.match(
        stdout,
        /\[mwaa-private-and-logged\] pinpipe-prod-airflow: webserver access is PUBLIC_ONLY, not PRIVATE_ONLY/,
      );
    });
  });

  it("is a policy pack the Pulumi CLI can load: runtime, entry point and pinned dependencies", () => {
    const manifest = parseYaml(fs.readFileSync(path.join(ROOT, "policy", "PulumiPolicy.yaml"), "utf8")) as {
      runtime: string;
    };
    assert.equal(manifest.runtime, "nodejs");
    const pack = JSON.parse(fs.readFileSync(path.join(ROOT, "policy", "package.json"), "utf8")) as {
      version: string;
      main: string;
      dependencies: Record<string, string>;
    };
    const root = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    assert.match(pack.version, /^\d+\.\d+\.\d+$/);
    assert.ok(fs.existsSync(path.join(ROOT, "policy", pack.main)));
    for (const [name, version] of Object.entries(pack.dependencies))
      assert.equal(version, root.dependencies[name], name);
    const index = fs.readFileSync(path.join(ROOT, "policy", "index.ts"), "utf8");
    assert.match(index, /enforcementLevel: "mandatory"/);
    assert.match(index, /policies: guardrails\(\)/);
  });
});
