/**
 * The part every REST API of the stack shares: a stage with JSON access logs, stage-wide throttling and
 * metrics, a usage plan with the same limits (and an optional daily quota), and the API key clients send
 * (created here, or an existing one the stack's other API already made).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

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

export interface KeyedStageArgs {
  api: aws.apigateway.RestApi;
  deployment: aws.apigateway.Deployment;
  /** Logical name of the stage, method settings and usage plan. */
  resourceName: string;
  /** Logical name of the API key and its usage-plan key. */
  keyResourceName: string;
  /** CloudWatch log group of the access logs. */
  accessLogGroupName: string;
  usagePlanDescription: string;
  logRetentionDays?: pulumi.Input<number>;
  throttleRateLimit?: pulumi.Input<number>;
  throttleBurstLimit?: pulumi.Input<number>;
  quotaPerDay?: number;
  /** Accept this existing key instead of creating one. */
  apiKeyId?: pulumi.Input<string>;
  apiGatewayAccount?: pulumi.Resource;
  tags: Record<string, string>;
  parent: pulumi.Resource;
}

export interface KeyedStage {
  stage: aws.apigateway.Stage;
  /** The created key, or undefined when an existing key id was given. */
  key?: aws.apigateway.ApiKey;
}

export function keyedStage(args: KeyedStageArgs): KeyedStage {
  const parent = { parent: args.parent };
  const rate = args.throttleRateLimit ?? 100;
  const burst = args.throttleBurstLimit ?? 200;
  const accessLogs = new aws.cloudwatch.LogGroup(
    `${args.resourceName}-access`,
    { name: args.accessLogGroupName, retentionInDays: args.logRetentionDays ?? 30, tags: args.tags },
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
    { parent: args.parent, dependsOn: args.apiGatewayAccount ? [args.apiGatewayAccount] : [] },
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
  const plan = new aws.apigateway.UsagePlan(
    args.resourceName,
    {
      description: args.usagePlanDescription,
      apiStages: [{ apiId: args.api.id, stage: stage.stageName }],
      throttleSettings: { rateLimit: rate, burstLimit: burst },
      ...(args.quotaPerDay !== undefined
        ? { quotaSettings: { limit: args.quotaPerDay, period: "DAY" } }
        : {}),
      tags: args.tags,
    },
    parent,
  );
  const key =
    args.apiKeyId === undefined
      ? new aws.apigateway.ApiKey(
          args.keyResourceName,
          { description: "Emulator and producers", tags: args.tags },
          parent,
        )
      : undefined;
  new aws.apigateway.UsagePlanKey(
    args.keyResourceName,
    { keyId: key ? key.id : args.apiKeyId!, keyType: "API_KEY", usagePlanId: plan.id },
    parent,
  );
  return { stage, key };
}
