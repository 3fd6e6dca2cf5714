/**
 * The part every REST API of the stack shares: a stage with JSON access logs (encrypted), stage-wide
 * throttling and metrics. Keys, usage plans and WAF are the edge's (components/ingestEdge.ts), one set for
 * both APIs.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ParentOrOptions, resourceOptions } from "./moved";

/** Fields of each API access-log line (API Gateway $context variables). */
export const ACCESS_LOG_FORMAT = {
  requestId: "$context.requestId",
  ip: "$context.identity.sourceIp",
  apiKeyId: "$context.identity.apiKeyId",
  method: "$context.httpMethod",
  path: "$context.path",
  status: "$context.status",
  error: "$context.error.message",
  integrationStatus: "$context.integration.status",
  latencyMs: "$context.responseLatency",
  bytes: "$context.responseLength",
  time: "$context.requestTime",
};

export interface ApiStageArgs {
  api: aws.apigateway.RestApi;
  deployment: aws.apigateway.Deployment;
  /** Logical name of the stage and its method settings. */
  resourceName: string;
  /** CloudWatch log group of the access logs. */
  accessLogGroupName: string;
  logRetentionDays: pulumi.Input<number>;
  /** KMS key encrypting the access log group. */
  logKmsKeyArn: pulumi.Input<string>;
  throttleRateLimit: pulumi.Input<number>;
  throttleBurstLimit: pulumi.Input<number>;
  apiGatewayAccount?: pulumi.Resource;
  tags: Record<string, string>;
  /** The parent, or the options of a child component's resources (components/moved.ts). */
  parent: ParentOrOptions;
}

export function apiStage(args: ApiStageArgs): aws.apigateway.Stage {
  const parent = resourceOptions(args.parent);
  const rate = args.throttleRateLimit;
  const burst = args.throttleBurstLimit;
  const accessLogs = new aws.cloudwatch.LogGroup(
    `${args.resourceName}-access`,
    {
      name: args.accessLogGroupName,
      retentionInDays: args.logRetentionDays,
      kmsKeyId: args.logKmsKeyArn,
      tags: args.tags,
    },
    parent,
  );
  const stage = new aws.apigateway.Stage(
    args.resourceName,
    {
      restApi: args.api.id,
      deployment: args.deployment.id,
      stageName: "v1",
      accessLogSettings: { destinationArn: accessLogs.arn, format: JSON.stringify(ACCESS_LOG_FORMAT) },
      tags: args.tags,
    },
    { ...parent, dependsOn: args.apiGatewayAccount ? [args.apiGatewayAccount] : [] },
  );
  new aws.apigateway.MethodSettings(
    args.resourceName,
    {
      restApi: args.api.id,
      stageName: stage.stageName,
      methodPath: "*/*",
      settings: {
        metricsEnabled: true,
        loggingLevel: "ERROR",
        dataTraceEnabled: false,
        throttlingRateLimit: rate,
        throttlingBurstLimit: burst,
      },
    },
    parent,
  );
  return stage;
}
