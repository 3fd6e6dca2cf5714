/**
 * API Gateway writes execution and access logs through one CloudWatch role per account and region. A stage
 * with logging fails to deploy until that role is set, so the stack sets it (config
 * `manageApiGatewayAccount`, default true; turn it off where a platform team already manages it).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PolicyDocument, policyJson, serviceTrustPolicy } from "./defaults";

/** Log groups API Gateway may write: its execution logs, and the stack's access-log groups. */
export function apiGatewayLoggingPolicy(
  region: string,
  accountId: string,
  accessLogGroupPrefix: string,
): PolicyDocument {
  const groups = `arn:aws:logs:${region}:${accountId}:log-group`;
  const resources = [`${groups}:API-Gateway-Execution-Logs_*`, `${groups}:${accessLogGroupPrefix}*`];
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "WriteApiLogs",
        Effect: "Allow",
        Action: [
          "logs:CreateLogGroup",
          "logs:CreateLogStream",
          "logs:DescribeLogGroups",
          "logs:DescribeLogStreams",
          "logs:PutLogEvents",
        ],
        Resource: [...resources, ...resources.map((r) => `${r}:log-stream:*`)],
      },
    ],
  };
}

export interface ApiGatewayAccountArgs {
  /** Prefix of the access-log group names the stack's APIs use, e.g. "/aws/apigateway/pinpipe-dev". */
  accessLogGroupPrefix: string;
  /** Tags for the role. Default: none. */
  tags?: Record<string, string>;
}

export class ApiGatewayAccount extends pulumi.ComponentResource {
  public readonly roleArn: pulumi.Output<string>;

  constructor(name: string, args: ApiGatewayAccountArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pinterest-pipeline:api:ApiGatewayAccount", name, {}, opts);
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const region = aws.getRegionOutput({}, { parent: this });
    const role = new aws.iam.Role(
      `${name}-apigw-logs`,
      {
        assumeRolePolicy: identity.accountId.apply((id) =>
          policyJson(serviceTrustPolicy("apigateway.amazonaws.com", id)),
        ),
        tags: args.tags,
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-apigw-logs`,
      {
        role: role.id,
        policy: pulumi
          .all([region.region, identity.accountId])
          .apply(([r, id]) => policyJson(apiGatewayLoggingPolicy(r, id, args.accessLogGroupPrefix))),
      },
      { parent: this },
    );
    new aws.apigateway.Account(`${name}-apigw`, { cloudwatchRoleArn: role.arn }, { parent: this });
    this.roleArn = role.arn;
    this.registerOutputs({ roleArn: this.roleArn });
  }
}
