/**
 * The Kinesis REST API's contract, in one place for the cloud and the local twin: the original's paths and
 * bodies, the JSON Schemas API Gateway validates bodies against, and the VTL mapping templates that turn a
 * request into a Kinesis API call and Kinesis's answer into the response. The KinesisIngest component
 * deploys these strings; the local server evaluates the same strings (velocityjs), so the two cannot drift.
 *
 *   PUT /streams/{stream-name}/record   {"StreamName"?, "Data": {...}, "PartitionKey": "..."}  -> PutRecord
 *   PUT /streams/{stream-name}/records  {"records": [{"data": {...}, "partition-key": "..."}]}  -> PutRecords
 *   GET /streams/{stream-name}                                                                -> DescribeStreamSummary
 *
 * No CreateStream or DeleteStream: the stack owns the streams.
 */

import { boundedValueSchema, MAX_VALUE_DEPTH } from "../jsonGuard";

/**
 * A record's data: an object nested at most MAX_VALUE_DEPTH levels, integers no larger than a double keeps
 * (the same rules the REST ingest applies: docs/ingest-api.md, "Limits").
 */
const DATA_SCHEMA = { ...boundedValueSchema(MAX_VALUE_DEPTH), type: "object" };

/**
 * The stack's streams take records up to 10 MiB (data and partition key; Kinesis's default is 1 MiB and its
 * most 10 MiB: docs/cloud-contracts.md). API Gateway takes bodies up to 10 MB, so no record or PutRecords
 * request that API Gateway passes on can exceed a Kinesis size limit: a body is written whole or refused
 * whole (413) by API Gateway.
 */
export const STREAM_MAX_RECORD_SIZE_KIB = 10240;

export type KinesisAction = "PutRecord" | "PutRecords" | "DescribeStreamSummary";

export interface KinesisRoute {
  /** Path below /streams/{stream-name}; "" for the stream itself. */
  subPath: "" | "record" | "records";
  httpMethod: "GET" | "PUT";
  action: KinesisAction;
  /** Name of the request model (JSON Schema), when the route takes a body. */
  model?: "PutRecordRequest" | "PutRecordsRequest";
  requestTemplate: string;
}

/** JSON Schema draft-04, the dialect API Gateway models use. */
export const REQUEST_MODELS = {
  PutRecordRequest: {
    $schema: "http://json-schema.org/draft-04/schema#",
    title: "PutRecordRequest",
    type: "object",
    required: ["Data", "PartitionKey"],
    properties: {
      StreamName: { type: "string" },
      Data: DATA_SCHEMA,
      PartitionKey: { type: "string", minLength: 1, maxLength: 256 },
    },
    additionalProperties: false,
  },
  PutRecordsRequest: {
    $schema: "http://json-schema.org/draft-04/schema#",
    title: "PutRecordsRequest",
    type: "object",
    required: ["records"],
    properties: {
      records: {
        type: "array",
        minItems: 1,
        maxItems: 500,
        items: {
          type: "object",
          required: ["data", "partition-key"],
          properties: {
            data: DATA_SCHEMA,
            "partition-key": { type: "string", minLength: 1, maxLength: 256 },
          },
          additionalProperties: false,
        },
      },
    },
    additionalProperties: false,
  },
} as const;

// The stream always comes from the path, never from the body, so a client cannot aim elsewhere.
const PUT_RECORD = `{
  "StreamName": "$util.escapeJavaScript($input.params('stream-name'))",
  "Data": "$util.base64Encode($input.json('$.Data'))",
  "PartitionKey": "$util.escapeJavaScript($input.path('$.PartitionKey'))"
}`;

const PUT_RECORDS = `{
  "StreamName": "$util.escapeJavaScript($input.params('stream-name'))",
  "Records": [
#foreach($record in $input.path('$.records'))
    {
      "Data": "$util.base64Encode($input.json("$.records[$foreach.index].data"))",
      "PartitionKey": "$util.escapeJavaScript($record.get('partition-key'))"
    }#if($foreach.hasNext),#end
#end
  ]
}`;

const DESCRIBE = `{
  "StreamName": "$util.escapeJavaScript($input.params('stream-name'))"
}`;

export const KINESIS_ROUTES: KinesisRoute[] = [
  {
    subPath: "record",
    httpMethod: "PUT",
    action: "PutRecord",
    model: "PutRecordRequest",
    requestTemplate: PUT_RECORD,
  },
  {
    subPath: "records",
    httpMethod: "PUT",
    action: "PutRecords",
    model: "PutRecordsRequest",
    requestTemplate: PUT_RECORDS,
  },
  { subPath: "", httpMethod: "GET", action: "DescribeStreamSummary", requestTemplate: DESCRIBE },
];

/**
 * Kinesis's 2xx answer goes back as it is (PutRecords: FailedRecordCount and one result per record, so a
 * client retries only what failed).
 */
export const SUCCESS_RESPONSE_TEMPLATE = "$input.json('$')";

/**
 * Kinesis's 4xx answer, readable: a stream the stack does not own (Kinesis refuses the role: access denied)
 * or that does not exist becomes 404; anything else stays 400 with Kinesis's message.
 */
export const CLIENT_ERROR_RESPONSE_TEMPLATE = `#set($type = $input.path('$.__type'))
#if($type && ($type.indexOf('AccessDenied') >= 0 || $type.indexOf('ResourceNotFound') >= 0))
#set($context.responseOverride.status = 404)
{"message": "No such stream: $util.escapeJavaScript($input.params('stream-name'))"}
#else
{"message": "$util.escapeJavaScript($input.path('$.message'))", "type": "$util.escapeJavaScript($type)"}
#end`;

/** Kinesis's 5xx answer: retriable. */
export const SERVER_ERROR_RESPONSE_TEMPLATE = `{"message": "Kinesis is unavailable, retry the request: $util.escapeJavaScript($input.path('$.message'))"}`;

/** API Gateway's own error answers, readable instead of the defaults. */
export const GATEWAY_RESPONSES: Record<string, { statusCode: string; template: string }> = {
  BAD_REQUEST_BODY: {
    statusCode: "400",
    template: `{"message": "Invalid request body: $context.error.validationErrorString"}`,
  },
  BAD_REQUEST_PARAMETERS: {
    statusCode: "400",
    template: `{"message": "Invalid request parameters: $context.error.validationErrorString"}`,
  },
  UNSUPPORTED_MEDIA_TYPE: {
    statusCode: "415",
    template: `{"message": "Content-Type must be application/json"}`,
  },
  API_KEY: { statusCode: "403", template: `{"message": "Missing or invalid API key (x-api-key)"}` },
  MISSING_AUTHENTICATION_TOKEN: {
    statusCode: "404",
    template: `{"message": "No such route: $context.httpMethod $context.path"}`,
  },
  THROTTLED: { statusCode: "429", template: `{"message": "Too many requests, retry with backoff"}` },
  QUOTA_EXCEEDED: { statusCode: "429", template: `{"message": "Daily quota of this API key exceeded"}` },
};
