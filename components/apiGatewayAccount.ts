/**
 * API Gateway writes execution and access logs through one CloudWatch role per account and region. A stage
 * with logging fails to deploy until that role is set, so the stack sets it (config
 * `manageApiGatewayAccount`, default true). It is one value per account and region: exactly one stack per
 * account and region sets it, the others set `manageApiGatewayAccount: false` (docs/deploy-checklist.md).
 *
 * The role is the one API Gateway documents (docs/cloud-contracts.md, "Trust conditions"): trusted by
 * apigateway.amazonaws.com with no condition (API Gateway sends no aws:SourceAccount for it), with AWS's
 * managed policy AmazonAPIGatewayPushToCloudWatchLogs, which covers every API's logs in the account and
 * region, so the stack that sets it serves the other stacks' access logs too. The account setting waits
 * for the policy: API Gateway checks the role's permissions when it is set.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyJson, unconditionalServiceTrustPolicy } from "./defaults";

/** AWS's managed policy for API Gateway's CloudWatch role (set-up-logging.html). */
export const API_GATEWAY_LOGS_POLICY_ARN =
  "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs";

export interface ApiGatewayAccountArgs {
  /** Tags for the role. Default: none. */
  tags?: Record<string, string>;
}

export class ApiGatewayAccount extends pulumi.ComponentResource {
  public readonly roleArn: pulumi.Output<string>;

  constructor(name: string, args: ApiGatewayAccountArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pinterest-pipeline:api:ApiGatewayAccount", name, {}, opts);
    const role = new aws.iam.Role(
      `${name}-apigw-logs`,
      {
        description: "API Gateway's CloudWatch Logs role for this account and region",
        assumeRolePolicy: policyJson(unconditionalServiceTrustPolicy("apigateway.amazonaws.com")),
        tags: args.tags,
      },
      { parent: this },
    );
    const attachment = new aws.iam.RolePolicyAttachment(
      `${name}-apigw-logs`,
      { role: role.name, policyArn: API_GATEWAY_LOGS_POLICY_ARN },
      { parent: this },
    );
    new aws.apigateway.Account(
      `${name}-apigw`,
      { cloudwatchRoleArn: role.arn },
      { parent: this, dependsOn: [attachment] },
    );
    this.roleArn = role.arn;
    this.registerOutputs({ roleArn: this.roleArn });
  }
}
