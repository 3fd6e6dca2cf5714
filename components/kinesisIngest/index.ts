/**
 * KinesisIngest: the streaming path's front door. Three KMS-encrypted Kinesis streams and an API Gateway
 * REST API in front of them by direct service integration (no Lambda), with the original's paths and bodies
 * (api.ts), JSON Schema request validation, an API key and usage-plan throttling, access logs and readable
 * gateway errors. The API's role may put records to and describe exactly the three streams.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PolicyDocument, unconditionalServiceTrustPolicy } from "../defaults";
import { serviceRole } from "../serviceRole";
import { EVENT_KINDS, EventKind } from "../events";
import { apiStage } from "../apiStage";
import { checkNameMap, STREAM_NAME } from "../names";
import {
  STREAM_MAX_RECORD_SIZE_KIB,
  CLIENT_ERROR_RESPONSE_TEMPLATE,
  GATEWAY_RESPONSES,
  KINESIS_ROUTES,
  REQUEST_MODELS,
  SERVER_ERROR_RESPONSE_TEMPLATE,
  SUCCESS_RESPONSE_TEMPLATE,
} from "./api";

export interface KinesisIngestArgs {
  /** The stream of each record kind (components/names.ts `streamNames`). Required. */
  streams: Record<EventKind, string>;
  /** "on-demand" or "provisioned". Default "on-demand". */
  mode?: "on-demand" | "provisioned";
  /** Shards per stream; required with "provisioned", not allowed with "on-demand". */
  shardCount?: number;
  /** Hours the streams keep records. Default 24. */
  retentionHours?: pulumi.Input<number>;
  /** KMS key for server-side encryption. Default: AWS's managed key for Kinesis (alias/aws/kinesis). */
  kmsKeyArn?: pulumi.Input<string>;
  /** Retention of the API's access logs. Default 30. */
  logRetentionDays?: pulumi.Input<number>;
  /** KMS key encrypting the access log group (the stack's logs key). */
  logKmsKeyArn: pulumi.Input<string>;
  /** Steady requests per second. Default 100. */
  throttleRateLimit?: pulumi.Input<number>;
  /** Burst above the steady rate. Default 200. */
  throttleBurstLimit?: pulumi.Input<number>;
  /** The stage waits for this (the account's API Gateway CloudWatch role). Default: none. */
  apiGatewayAccount?: pulumi.Resource;
  /** Tags for every resource. Default: none. */
  tags?: Record<string, string>;
}

export function validateKinesisIngestArgs(args: Omit<KinesisIngestArgs, "logKmsKeyArn">): void {
  checkNameMap("streams", args.streams, STREAM_NAME);
  const mode = args.mode ?? "on-demand";
  if (mode === "provisioned" && args.shardCount === undefined)
    throw new Error("shardCount is required when mode is provisioned");
  if (mode === "on-demand" && args.shardCount !== undefined)
    throw new Error("shardCount and mode on-demand are mutually exclusive");
  if (args.shardCount !== undefined && (!Number.isInteger(args.shardCount) || args.shardCount < 1)) {
    throw new Error(`shardCount must be a positive integer, got ${args.shardCount}`);
  }
}

/** The API's role: put records to and describe exactly these streams, and use their key. */
export function kinesisApiPolicy(streamArns: string[], kmsKeyArn?: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "WriteStackStreams",
        Effect: "Allow",
        Action: ["kinesis:PutRecord", "kinesis:PutRecords", "kinesis:DescribeStreamSummary"],
        Resource: streamArns,
      },
      ...(kmsKeyArn
        ? [
            {
              Sid: "EncryptRecords",
              Effect: "Allow" as const,
              Action: ["kms:GenerateDataKey"],
              Resource: kmsKeyArn,
            },
          ]
        : []),
    ],
  };
}

export class KinesisIngest extends pulumi.ComponentResource {
  /** The stream of each record kind. */
  public readonly streamNames: Record<EventKind, string>;
  public readonly streamArns: pulumi.Output<string[]>;
  /** Base URL; clients PUT to `<url>/streams/<stream>/record(s)`. */
  public readonly apiUrl: pulumi.Output<string>;
  /** The API and its stage: the edge (keys, usage plans, WAF) attaches to them. */
  public readonly api: aws.apigateway.RestApi;
  public readonly stage: aws.apigateway.Stage;
  /** The three streams, in EVENT_KINDS order. */
  public readonly streams: aws.kinesis.Stream[];
  /** Each kind's stream name: read by kind, never by position. */
  public readonly streamNameOf: Record<EventKind, pulumi.Output<string>>;
  /** What the alarms and the dashboard watch (CloudWatch dimensions). */
  public readonly metrics: { apiName: pulumi.Output<string>; apiStage: pulumi.Output<string> };

  constructor(name: string, args: KinesisIngestArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pinterest-pipeline:ingest:KinesisIngest", name, {}, opts);
    validateKinesisIngestArgs(args);
    const tags = args.tags ?? {};
    const parent = { parent: this };
    const region = aws.getRegionOutput({}, parent);
    const names = args.streams;
    const provisioned = (args.mode ?? "on-demand") === "provisioned";

    const streams = EVENT_KINDS.map(
      (kind) =>
        new aws.kinesis.Stream(
          `${name}-${kind}`,
          {
            name: names[kind],
            streamModeDetails: { streamMode: provisioned ? "PROVISIONED" : "ON_DEMAND" },
            ...(provisioned ? { shardCount: args.shardCount } : {}),
            retentionPeriod: args.retentionHours ?? 24,
            maxRecordSizeInKib: STREAM_MAX_RECORD_SIZE_KIB,
            encryptionType: "KMS",
            kmsKeyId: args.kmsKeyArn ?? "alias/aws/kinesis",
            shardLevelMetrics: [
              "IncomingRecords",
              "WriteProvisionedThroughputExceeded",
              "IteratorAgeMilliseconds",
            ],
            tags,
          },
          parent,
        ),
    );

    const { role, policy: rolePolicy } = serviceRole(this, `${name}-kinesis-api`, {
      // API Gateway sends no aws:SourceAccount when it assumes an integration's role.
      trust: unconditionalServiceTrustPolicy("apigateway.amazonaws.com"),
      policy: pulumi
        .all([pulumi.all(streams.map((s) => s.arn)), args.kmsKeyArn])
        .apply(([arns, key]) => kinesisApiPolicy(arns, key)),
      tags,
    });

    const api = new aws.apigateway.RestApi(
      `${name}-kinesis-api`,
      {
        description: "Kinesis ingest (the original's stream API)",
        endpointConfiguration: { types: "REGIONAL" },
        tags,
      },
      parent,
    );
    const validator = new aws.apigateway.RequestValidator(
      `${name}-kinesis-api`,
      {
        restApi: api.id,
        name: "body-and-parameters",
        validateRequestBody: true,
        validateRequestParameters: true,
      },
      parent,
    );
    const models = Object.fromEntries(
      Object.entries(REQUEST_MODELS).map(([modelName, schema]) => [
        modelName,
        new aws.apigateway.Model(
          `${name}-${modelName}`,
          {
            restApi: api.id,
            name: modelName,
            contentType: "application/json",
            schema: JSON.stringify(schema),
          },
          parent,
        ),
      ]),
    );
    const streamsResource = new aws.apigateway.Resource(
      `${name}-streams`,
      { restApi: api.id, parentId: api.rootResourceId, pathPart: "streams" },
      parent,
    );
    const streamResource = new aws.apigateway.Resource(
      `${name}-stream`,
      { restApi: api.id, parentId: streamsResource.id, pathPart: "{stream-name}" },
      parent,
    );
    const resources: Record<string, aws.apigateway.Resource> = { "": streamResource };
    for (const subPath of ["record", "records"] as const) {
      resources[subPath] = new aws.apigateway.Resource(
        `${name}-stream-${subPath}`,
        { restApi: api.id, parentId: streamResource.id, pathPart: subPath },
        parent,
      );
    }

    const routeResources: pulumi.Resource[] = [];
    for (const route of KINESIS_ROUTES) {
      const id = `${name}-${route.action}`;
      const resource = resources[route.subPath];
      const method = new aws.apigateway.Method(
        id,
        {
          restApi: api.id,
          resourceId: resource.id,
          httpMethod: route.httpMethod,
          authorization: "NONE",
          apiKeyRequired: true,
          requestValidatorId: validator.id,
          requestParameters: { "method.request.path.stream-name": true },
          ...(route.model ? { requestModels: { "application/json": models[route.model].name } } : {}),
        },
        parent,
      );
      const integration = new aws.apigateway.Integration(
        id,
        {
          restApi: api.id,
          resourceId: resource.id,
          httpMethod: method.httpMethod,
          type: "AWS",
          integrationHttpMethod: "POST",
          uri: pulumi.interpolate`arn:aws:apigateway:${region.region}:kinesis:action/${route.action}`,
          credentials: role.arn,
          // A body in any other content type gets 415 instead of reaching Kinesis unmapped.
          passthroughBehavior: "NEVER",
          requestParameters: { "integration.request.header.Content-Type": "'application/x-amz-json-1.1'" },
          requestTemplates: { "application/json": route.requestTemplate },
        },
        parent,
      );
      const methodResponses = ["200", "400", "404", "500"].map(
        (statusCode) =>
          new aws.apigateway.MethodResponse(
            `${id}-${statusCode}`,
            { restApi: api.id, resourceId: resource.id, httpMethod: method.httpMethod, statusCode },
            parent,
          ),
      );
      const integrationResponses = [
        { statusCode: "200", selectionPattern: undefined, template: SUCCESS_RESPONSE_TEMPLATE },
        { statusCode: "400", selectionPattern: "4\\d{2}", template: CLIENT_ERROR_RESPONSE_TEMPLATE },
        { statusCode: "500", selectionPattern: "5\\d{2}", template: SERVER_ERROR_RESPONSE_TEMPLATE },
      ].map(
        (r) =>
          new aws.apigateway.IntegrationResponse(
            `${id}-${r.statusCode}`,
            {
              restApi: api.id,
              resourceId: resource.id,
              httpMethod: method.httpMethod,
              statusCode: r.statusCode,
              selectionPattern: r.selectionPattern,
              responseTemplates: { "application/json": r.template },
            },
            { parent: this, dependsOn: [integration, ...methodResponses] },
          ),
      );
      routeResources.push(method, integration, ...methodResponses, ...integrationResponses);
    }
    for (const [responseType, r] of Object.entries(GATEWAY_RESPONSES)) {
      routeResources.push(
        new aws.apigateway.Response(
          `${name}-${responseType.toLowerCase().replace(/_/g, "-")}`,
          {
            restApiId: api.id,
            responseType,
            statusCode: r.statusCode,
            responseTemplates: { "application/json": r.template },
          },
          parent,
        ),
      );
    }

    const deployment = new aws.apigateway.Deployment(
      `${name}-kinesis-api`,
      {
        restApi: api.id,
        description: "Kinesis ingest",
        triggers: {
          shape: pulumi
            .all(routeResources.map((r) => (r as pulumi.CustomResource).urn))
            .apply((urns) => urns.join("|")),
          templates: JSON.stringify([KINESIS_ROUTES, REQUEST_MODELS, GATEWAY_RESPONSES]),
        },
      },
      { parent: this, dependsOn: [...routeResources, rolePolicy] },
    );
    const stage = apiStage({
      api,
      deployment,
      resourceName: `${name}-kinesis-api`,
      accessLogGroupName: `/aws/apigateway/${name}-kinesis-access`,
      logRetentionDays: args.logRetentionDays,
      logKmsKeyArn: args.logKmsKeyArn,
      throttleRateLimit: args.throttleRateLimit,
      throttleBurstLimit: args.throttleBurstLimit,
      apiGatewayAccount: args.apiGatewayAccount,
      tags,
      parent: this,
    });

    this.streamNames = { ...names };
    this.streamArns = pulumi.all(streams.map((s) => s.arn));
    this.apiUrl = stage.invokeUrl;
    this.api = api;
    this.streams = streams;
    this.streamNameOf = Object.fromEntries(EVENT_KINDS.map((k, i) => [k, streams[i].name])) as Record<
      EventKind,
      pulumi.Output<string>
    >;
    this.stage = stage;
    this.metrics = { apiName: api.name, apiStage: stage.stageName };
    this.registerOutputs({ streamNames: this.streamNames, streamArns: this.streamArns, apiUrl: this.apiUrl });
  }
}
