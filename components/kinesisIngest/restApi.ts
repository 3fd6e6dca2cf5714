/**
 * KinesisRestApi: the API Gateway REST API in front of the streams, by direct service integration (no
 * Lambda): the role it assumes, the original's routes with their mapping templates (api.ts), JSON Schema
 * request validation, readable gateway errors, and the deployment and its stage (components/apiStage.ts).
 * A child of KinesisIngest; its resources were created under KinesisIngest before it existed and keep that
 * URN by alias (components/moved.ts).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PolicyDocument, unconditionalServiceTrustPolicy } from "../defaults";
import { serviceRole } from "../serviceRole";
import { apiStage } from "../apiStage";
import { movedInto } from "../moved";
import {
  CLIENT_ERROR_RESPONSE_TEMPLATE,
  GATEWAY_RESPONSES,
  KINESIS_ROUTES,
  REQUEST_MODELS,
  SERVER_ERROR_RESPONSE_TEMPLATE,
  SUCCESS_RESPONSE_TEMPLATE,
} from "./api";

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

export interface KinesisRestApiArgs {
  /** The streams the API writes to and describes (and nothing else). */
  streamArns: pulumi.Input<string[]>;
  /** The streams' KMS key, if it is the stack's own: the role may generate data keys with it. */
  kmsKeyArn?: pulumi.Input<string>;
  /** Retention of the access logs (components/apiStage.ts). */
  logRetentionDays: pulumi.Input<number>;
  /** KMS key encrypting the access log group. */
  logKmsKeyArn: pulumi.Input<string>;
  throttleRateLimit: pulumi.Input<number>;
  throttleBurstLimit: pulumi.Input<number>;
  /** The stage waits for this (the account's API Gateway CloudWatch role). */
  apiGatewayAccount?: pulumi.Resource;
  tags: Record<string, string>;
}

export class KinesisRestApi extends pulumi.ComponentResource {
  /** The role API Gateway assumes to call Kinesis. */
  public readonly role: aws.iam.Role;
  /** The API and its stage: the edge (keys, usage plans, WAF) attaches to them. */
  public readonly api: aws.apigateway.RestApi;
  public readonly deployment: aws.apigateway.Deployment;
  public readonly stage: aws.apigateway.Stage;
  /** Base URL; clients PUT to `<url>/streams/<stream>/record(s)`. */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: KinesisRestApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pinterest-pipeline:ingest:KinesisRestApi", name, {}, opts);
    const moved = movedInto(this, opts?.parent);
    const tags = args.tags;
    const region = aws.getRegionOutput({}, { parent: this });

    const { role, policy: rolePolicy } = serviceRole(moved, `${name}-kinesis-api`, {
      // API Gateway sends no aws:SourceAccount when it assumes an integration's role.
      trust: unconditionalServiceTrustPolicy("apigateway.amazonaws.com"),
      policy: pulumi
        .all([args.streamArns, args.kmsKeyArn])
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
      moved,
    );
    const validator = new aws.apigateway.RequestValidator(
      `${name}-kinesis-api`,
      {
        restApi: api.id,
        name: "body-and-parameters",
        validateRequestBody: true,
        validateRequestParameters: true,
      },
      moved,
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
          moved,
        ),
      ]),
    );
    const streamsResource = new aws.apigateway.Resource(
      `${name}-streams`,
      { restApi: api.id, parentId: api.rootResourceId, pathPart: "streams" },
      moved,
    );
    const streamResource = new aws.apigateway.Resource(
      `${name}-stream`,
      { restApi: api.id, parentId: streamsResource.id, pathPart: "{stream-name}" },
      moved,
    );
    const resources: Record<string, aws.apigateway.Resource> = { "": streamResource };
    for (const subPath of ["record", "records"] as const) {
      resources[subPath] = new aws.apigateway.Resource(
        `${name}-stream-${subPath}`,
        { restApi: api.id, parentId: streamResource.id, pathPart: subPath },
        moved,
      );
    }

    const routeResources: pulumi.CustomResource[] = [];
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
        moved,
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
        moved,
      );
      const methodResponses = ["200", "400", "404", "500"].map(
        (statusCode) =>
          new aws.apigateway.MethodResponse(
            `${id}-${statusCode}`,
            { restApi: api.id, resourceId: resource.id, httpMethod: method.httpMethod, statusCode },
            moved,
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
            { ...moved, dependsOn: [integration, ...methodResponses] },
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
          moved,
        ),
      );
    }

    // The deployment redeploys when a route's URN changes. A route moved here from KinesisIngest is known
    // to the stack by its former URN (its alias): this component's type taken out of its type chain. The
    // trigger is made of that one, so the move redeploys nothing.
    const knownUrn = (r: pulumi.CustomResource): pulumi.Output<string> =>
      opts?.parent === undefined
        ? r.urn
        : r.urn.apply((urn) => {
            const [head, project, chain, ...rest] = urn.split("::");
            const types = chain.split("$");
            return [head, project, [...types.slice(0, -2), types[types.length - 1]].join("$"), ...rest].join(
              "::",
            );
          });
    const deployment = new aws.apigateway.Deployment(
      `${name}-kinesis-api`,
      {
        restApi: api.id,
        description: "Kinesis ingest",
        triggers: {
          shape: pulumi.all(routeResources.map(knownUrn)).apply((urns) => urns.join("|")),
          templates: JSON.stringify([KINESIS_ROUTES, REQUEST_MODELS, GATEWAY_RESPONSES]),
        },
      },
      { ...moved, dependsOn: [...routeResources, rolePolicy] },
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
      parent: moved,
    });

    this.role = role;
    this.api = api;
    this.deployment = deployment;
    this.stage = stage;
    this.url = stage.invokeUrl;
    this.registerOutputs({ url: this.url });
  }
}
