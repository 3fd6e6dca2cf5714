/**
 * A role a service assumes, with its one inline policy: the shape every role of the stack has. The trust and
 * the policy are documents (components/defaults.ts and the components' policies.ts build them); this only
 * wires them, so each role is declared the same way and the component keeps both resources.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PolicyDocument, policyJson } from "./defaults";
import { ParentOrOptions, resourceOptions } from "./moved";

export interface ServiceRoleArgs {
  description?: string;
  /** Who may assume the role (serviceTrustPolicy and friends). */
  trust: pulumi.Input<PolicyDocument>;
  /** What the role may do. */
  policy: pulumi.Input<PolicyDocument>;
  tags: Record<string, string>;
}

export interface ServiceRole {
  role: aws.iam.Role;
  policy: aws.iam.RolePolicy;
}

/**
 * The role and its inline policy, both named `name`, under `parent` (a resource, or the options of a child
 * component's resources: components/moved.ts).
 */
export function serviceRole(parent: ParentOrOptions, name: string, args: ServiceRoleArgs): ServiceRole {
  const opts = resourceOptions(parent);
  const role = new aws.iam.Role(
    name,
    {
      ...(args.description !== undefined ? { description: args.description } : {}),
      assumeRolePolicy: pulumi.output(args.trust).apply((doc) => policyJson(doc as PolicyDocument)),
      tags: args.tags,
    },
    opts,
  );
  const policy = new aws.iam.RolePolicy(
    name,
    { role: role.id, policy: pulumi.output(args.policy).apply((doc) => policyJson(doc as PolicyDocument)) },
    opts,
  );
  return { role, policy };
}
