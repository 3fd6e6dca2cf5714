/**
 * Deliberate exceptions to the guardrails. Each names the rule, the resource (its type and logical name, as
 * in the URN), the stacks it applies to, and why: a suppression without a reason of at least 20 characters,
 * or naming a rule that does not exist, stops the pack from loading. Review these in every pull request.
 */
export interface Suppression {
  rule: string;
  /** Resource type token, e.g. "aws:s3/bucket:Bucket". */
  type: string;
  /** Logical name; "*" matches any characters (the stack's namePrefix, say). */
  name: string;
  /** Stacks it applies to; absent: every stack. */
  stacks?: string[];
  /** Set on a child of a remote component (awsx's Vpc makes its own): only a preview sees it, not the synth. */
  previewOnly?: true;
  reason: string;
}

export const SUPPRESSIONS: Suppression[] = [
  {
    rule: "s3-access-logged",
    type: "aws:s3/bucket:Bucket",
    name: "*-access-logs",
    reason:
      "The access-log bucket is the logging target itself; logging it into itself would loop (AWS advises against it).",
  },
  {
    rule: "s3-access-logged",
    type: "aws:s3/bucket:Bucket",
    name: "*-dags",
    reason:
      "The DAG bucket holds only what Pulumi uploads from git (the DAG and requirements, versioned); only MWAA's role reads it. Changes are in git and in CloudTrail.",
  },
  {
    rule: "iam-resources-scoped",
    type: "aws:iam/rolePolicy:RolePolicy",
    name: "*-ingest-fn",
    reason:
      "Lambda creates the function's network interfaces itself, so their ids cannot be named (network-interface/*); the same statement names the function's own subnets and security group, which bound where an interface can be made.",
  },
  {
    rule: "iam-resources-scoped",
    type: "aws:iam/rolePolicy:RolePolicy",
    name: "*-airflow",
    reason:
      "MWAA's Celery queue lives in an account AWS owns, unknown to us: MWAA's documented execution-role policy names it arn:aws:sqs:<region>:*:airflow-celery-* (https://docs.aws.amazon.com/mwaa/latest/userguide/mwaa-create-role.html).",
  },
  {
    rule: "iam-no-aws-managed-policies",
    type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    name: "*-apigw-logs",
    reason:
      "API Gateway's account-wide logging role is the one AWS documents, with AWS's managed AmazonAPIGatewayPushToCloudWatchLogs: one role per account and region serves every API's logs (docs/cloud-contracts.md, Trust conditions).",
  },
  ...[
    // The S3 gateway endpoint: declared in awsx's Vpc (judged on its specs offline), created by awsx under
    // the endpoint's service name (judged on the endpoint in a preview).
    { type: "awsx:ec2:Vpc", name: "*-vpc" },
    { type: "aws:ec2/vpcEndpoint:VpcEndpoint", name: "com.amazonaws.*.s3", previewOnly: true as const },
  ].map((where) => ({
    rule: "vpc-endpoints-scoped",
    ...where,
    reason:
      "MWAA's workers run in these subnets and fetch image layers and packages from AWS-owned buckets that AWS does not list for MWAA (docs/cloud-contracts.md, Edge); a narrower endpoint policy could fail the environment's creation. Every role of the stack is granted S3 on the stack's own buckets only, which is what bounds S3 access.",
  })),
];

export const MIN_REASON_LENGTH = 20;

/** Throws when a suppression has no real reason or names an unknown rule. */
export function validateSuppressions(suppressions: Suppression[], ruleNames: string[]): void {
  const problems: string[] = [];
  for (const s of suppressions) {
    const what = `suppression of '${s.rule}' for ${s.type} '${s.name}'`;
    if (!ruleNames.includes(s.rule)) problems.push(`${what} names no rule of the pack`);
    if (typeof s.reason !== "string" || s.reason.trim().length < MIN_REASON_LENGTH)
      problems.push(`${what} needs a reason (at least ${MIN_REASON_LENGTH} characters)`);
  }
  if (problems.length > 0) throw new Error(problems.join("\n"));
}

/** URN: urn:pulumi:<stack>::<project>::<type chain>::<name>. */
export function parseUrn(urn: string): { stack: string; type: string; name: string } {
  const parts = urn.split("::");
  const stack = parts[0].replace(/^urn:pulumi:/, "");
  const chain = parts[2] ?? "";
  return { stack, type: chain.slice(chain.lastIndexOf("$") + 1), name: parts.slice(3).join("::") };
}

/** The suppression that covers this rule for this resource, if any. */
export function suppressionFor(
  suppressions: Suppression[],
  rule: string,
  urn: string | undefined,
): Suppression | undefined {
  if (urn === undefined) return undefined;
  const { stack, type, name } = parseUrn(urn);
  return suppressions.find((s) => {
    if (s.rule !== rule || s.type !== type) return false;
    if (s.stacks !== undefined && !s.stacks.includes(stack)) return false;
    const pattern = s.name.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    return new RegExp(`^${pattern.join(".*")}$`).test(name);
  });
}
