/**
 * RestIngestApi: the batch path's HTTP front. The ingest function (runtime/handler.ts, bundled by esbuild
 * while the program runs) in the private subnets, let through to the brokers only, with its log group and
 * role; and the REST API in front of it: POST /topics/{topic}, API key required, throttled, access-logged.
 */
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { buildSync } from "esbuild";
import { apiStage } from "../apiStage";
import { serviceTrustPolicy } from "../defaults";
import { EventKind, EVENT_KINDS } from "../events";
import { movedInto } from "../moved";
import { serviceRole } from "../serviceRole";
import { MskCluster } from "./mskCluster";
import { ingestFunctionPolicy } from "./policies";
import { REQUEST_CONTENT_TYPE } from "./runtime/restProxy";

export interface RestIngestApiArgs {
  /** The brokers the function produces to; it is let through to them. */
  brokers: MskCluster;
  /** The topic of each record kind (the function refuses records of another kind on a topic). */
  topics: Record<EventKind, string>;
  vpcId: pulumi.Input<string>;
  subnetIds: pulumi.Input<string>[];
  functionMemoryMb: pulumi.Input<number>;
  /** Reserved (and capped) concurrency; none when absent. */
  functionReservedConcurrency?: number;
  /** Largest request body the function accepts, bytes (validated by the caller). */
  maxBodyBytes: number;
  throttleRateLimit: pulumi.Input<number>;
  throttleBurstLimit: pulumi.Input<number>;
  logRetentionDays: pulumi.Input<number>;
  logKmsKeyArn: pulumi.Input<string>;
  /** The stage waits for this (the account's API Gateway CloudWatch role). */
  apiGatewayAccount?: pulumi.Resource;
  tags: Record<string, string>;
}

/** The ingest function's code: runtime/handler.ts and its dependencies in one file. */
export function bundleIngestFunction(): string {
  const result = buildSync({
    entryPoints: [path.join(__dirname, "runtime", "handler.ts")],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: true,
    legalComments: "none",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

export class RestIngestApi extends pulumi.ComponentResource {
  public readonly function: aws.lambda.Function;
  public readonly functionRole: aws.iam.Role;
  /** The function's security group: out to the brokers only. */
  public readonly securityGroup: aws.ec2.SecurityGroup;
  public readonly api: aws.apigateway.RestApi;
  public readonly deployment: aws.apigateway.Deployment;
  public readonly stage: aws.apigateway.Stage;

  constructor(name: string, args: RestIngestApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pinterest-pipeline:ingest:RestIngestApi", name, {}, opts);
    const moved = movedInto(this, opts?.parent);
    const { tags } = args;
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const region = aws.getRegionOutput({}, { parent: this });
    // The function's map: topic -> the kind its records must be.
    const kindOf: Record<string, EventKind> = Object.fromEntries(EVENT_KINDS.map((k) => [args.topics[k], k]));
    const topicList = EVENT_KINDS.map((k) => args.topics[k]);

    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-ingest-fn`,
      { vpcId: args.vpcId, description: "REST ingest function: to the brokers only", tags },
      moved,
    );
    args.brokers.allowClient("ingest-fn", this.securityGroup);

    const functionName = `${name}-rest-ingest`;
    const functionLogs = new aws.cloudwatch.LogGroup(
      `${name}-ingest-fn`,
      {
        name: `/aws/lambda/${functionName}`,
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.logKmsKeyArn,
        tags,
      },
      moved,
    );
    const { role, policy } = serviceRole(moved, `${name}-ingest-fn`, {
      trust: identity.accountId.apply((id) => serviceTrustPolicy("lambda.amazonaws.com", id)),
      policy: pulumi
        .all([
          args.brokers.cluster.arn,
          functionLogs.arn,
          region.region,
          identity.accountId,
          pulumi.output(args.subnetIds),
          this.securityGroup.id,
        ])
        .apply(([clusterArn, logGroupArn, r, accountId, subnetIds, sgId]) =>
          ingestFunctionPolicy({
            clusterArn,
            topicNames: topicList,
            logGroupArn,
            region: r,
            accountId,
            subnetIds,
            securityGroupIds: [sgId],
          }),
        ),
      tags,
    });
    this.functionRole = role;
    this.function = new aws.lambda.Function(
      `${name}-rest-ingest`,
      {
        name: functionName,
        description: "Confluent REST Proxy v2 produce API onto MSK (pinterest-pipeline)",
        runtime: "nodejs20.x",
        architectures: ["arm64"],
        handler: "index.handler",
        code: new pulumi.asset.AssetArchive({
          "index.js": new pulumi.asset.StringAsset(bundleIngestFunction()),
        }),
        role: role.arn,
        memorySize: args.functionMemoryMb,
        ...(args.functionReservedConcurrency !== undefined
          ? { reservedConcurrentExecutions: args.functionReservedConcurrency }
          : {}),
        // API Gateway gives up after 29 s; the function answers (503, retriable) before that.
        timeout: 25,
        vpcConfig: { subnetIds: args.subnetIds, securityGroupIds: [this.securityGroup.id] },
        loggingConfig: { logFormat: "JSON", logGroup: functionLogs.name },
        environment: {
          variables: {
            INGEST_TOPICS: JSON.stringify(kindOf),
            BOOTSTRAP_BROKERS: args.brokers.bootstrapBrokers,
            MAX_BODY_BYTES: String(args.maxBodyBytes),
            KAFKA_SECURITY: "iam",
            NODE_OPTIONS: "--enable-source-maps",
          },
        },
        tags,
      },
      { ...moved, dependsOn: [policy, ...Object.values(args.brokers.topics)] },
    );
    const fn = this.function;

    // The API: POST /topics/{topic}, API key required, throttled, access-logged.
    const api = new aws.apigateway.RestApi(
      `${name}-api`,
      {
        description: "Kafka REST ingest (Confluent REST Proxy v2 produce API)",
        endpointConfiguration: { types: "REGIONAL" },
        apiKeySource: "HEADER",
        // The body reaches the function as the bytes sent (base64 in the event), so invalid UTF-8 is seen
        // and refused instead of arriving already replaced.
        binaryMediaTypes: [REQUEST_CONTENT_TYPE],
        tags,
      },
      moved,
    );
    this.api = api;
    const topicsResource = new aws.apigateway.Resource(
      `${name}-topics`,
      { restApi: api.id, parentId: api.rootResourceId, pathPart: "topics" },
      moved,
    );
    const topicResource = new aws.apigateway.Resource(
      `${name}-topic`,
      { restApi: api.id, parentId: topicsResource.id, pathPart: "{topic}" },
      moved,
    );
    // API Gateway checks the request's parameters; the body is the function's to check (every record, with
    // the schema the Kinesis API's models are made from, components/events.ts), because the body arrives as a
    // binary media type (bytes, so invalid UTF-8 can be refused) and models on binary bodies are not
    // documented (docs/cloud-contracts.md). Clients get Confluent's error codes for it either way.
    const validator = new aws.apigateway.RequestValidator(
      `${name}-produce`,
      {
        restApi: api.id,
        name: "produce-parameters",
        validateRequestParameters: true,
        validateRequestBody: false,
      },
      moved,
    );
    const method = new aws.apigateway.Method(
      `${name}-produce`,
      {
        restApi: api.id,
        resourceId: topicResource.id,
        httpMethod: "POST",
        authorization: "NONE",
        apiKeyRequired: true,
        requestValidatorId: validator.id,
        requestParameters: { "method.request.path.topic": true },
      },
      moved,
    );
    const integration = new aws.apigateway.Integration(
      `${name}-produce`,
      {
        restApi: api.id,
        resourceId: topicResource.id,
        httpMethod: method.httpMethod,
        type: "AWS_PROXY",
        integrationHttpMethod: "POST",
        uri: fn.invokeArn,
        timeoutMilliseconds: 29000,
      },
      moved,
    );
    new aws.lambda.Permission(
      `${name}-api-invoke`,
      {
        action: "lambda:InvokeFunction",
        function: fn.name,
        principal: "apigateway.amazonaws.com",
        sourceArn: pulumi.interpolate`${api.executionArn}/*/POST/topics/*`,
      },
      moved,
    );
    this.deployment = new aws.apigateway.Deployment(
      `${name}-api`,
      {
        restApi: api.id,
        description: "REST ingest",
        // Redeploy when the API's shape changes.
        triggers: {
          shape: pulumi.all([method.id, integration.id, integration.uri]).apply((parts) => parts.join("|")),
        },
      },
      { ...moved, dependsOn: [method, integration] },
    );
    this.stage = apiStage({
      api,
      deployment: this.deployment,
      resourceName: `${name}-api`,
      accessLogGroupName: `/aws/apigateway/${name}-kafka-access`,
      logRetentionDays: args.logRetentionDays,
      logKmsKeyArn: args.logKmsKeyArn,
      throttleRateLimit: args.throttleRateLimit,
      throttleBurstLimit: args.throttleBurstLimit,
      apiGatewayAccount: args.apiGatewayAccount,
      tags,
      parent: moved,
    });
    this.registerOutputs({ apiUrl: this.stage.invokeUrl, functionName: this.function.name });
  }
}
