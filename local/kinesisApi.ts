/**
 * The Kinesis API's local twin: API Gateway's part of the contract, done the way API Gateway does it,
 * in front of a real Kinesis API (kinesis-local). It validates bodies against the very JSON Schemas the
 * component deploys (ajv, draft-04) and evaluates the very mapping templates (velocityjs, with API
 * Gateway's $input, $util and $context), then signs and sends the mapped call to Kinesis, and maps the answer
 * back through the same integration-response templates. Cloud and local cannot drift apart.
 *
 * One stand-in: in the cloud the API's IAM role can reach only the stack's streams and Kinesis answers any
 * other with AccessDeniedException; locally there is no IAM, so the twin gives that same answer itself.
 */
import * as http from "node:http";
import { listen, Listening } from "./listen";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import Ajv, { ErrorObject } from "ajv-draft-04";
import { JSONPath } from "jsonpath-plus";
import { render } from "velocityjs";
import { decodeUtf8 } from "../components/jsonGuard";
import {
  CLIENT_ERROR_RESPONSE_TEMPLATE,
  GATEWAY_RESPONSES,
  KINESIS_ROUTES,
  KinesisRoute,
  REQUEST_MODELS,
  SERVER_ERROR_RESPONSE_TEMPLATE,
  SUCCESS_RESPONSE_TEMPLATE,
} from "../components/kinesisIngest/api";

export interface KinesisApiOptions {
  /** The Kinesis endpoint, e.g. kinesis-local's http://127.0.0.1:<port>. */
  kinesisEndpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The stack's streams: the only ones the API's role may reach. */
  streams: string[];
  /** Required in x-api-key when set. */
  apiKey?: string;
  host?: string;
  port?: number;
}

export type KinesisApiServer = Listening;

interface HttpAnswer {
  status: number;
  body: string;
}

// Draft 4 as API Gateway reads it: keywords apply to the types they name (no strict-mode typing rules).
const ajv = new Ajv({ allErrors: true, strictTypes: false, allowUnionTypes: true });
const validators = Object.fromEntries(
  Object.entries(REQUEST_MODELS).map(([name, schema]) => [name, ajv.compile(schema)]),
);

/** Text of a template value as VTL would print it (objects as JSON, null as empty). */
function text(s: unknown): string {
  if (s === null || s === undefined) return "";
  if (typeof s === "string") return s;
  if (typeof s === "number" || typeof s === "boolean") return String(s);
  return JSON.stringify(s);
}

/** API Gateway's $util, as much of it as the templates use. */
const util = {
  base64Encode: (s: unknown) => Buffer.from(text(s)).toString("base64"),
  base64Decode: (s: unknown) => Buffer.from(text(s), "base64").toString(),
  escapeJavaScript: (s: unknown) => JSON.stringify(text(s)).slice(1, -1),
  urlEncode: (s: unknown) => encodeURIComponent(text(s)),
};

/** API Gateway's $input over a JSON body and the path parameters. */
function inputOf(body: unknown, params: Record<string, string>) {
  const path = (p: string): unknown => JSONPath<unknown>({ path: p, json: body as object, wrap: false });
  return {
    params: (name?: string) => (name === undefined ? { path: params } : (params[name] ?? "")),
    path,
    json: (p: string) => JSON.stringify(path(p) ?? null),
    body: JSON.stringify(body ?? null),
  };
}

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  // API Gateway lists the schema violations in brackets; this says the same in plainer words.
  return `[${(errors ?? []).map((e) => `${e.instancePath || "body"} ${e.message ?? "is invalid"}`).join(", ")}]`;
}

function gatewayResponse(type: keyof typeof GATEWAY_RESPONSES, context: Record<string, unknown>): HttpAnswer {
  const r = GATEWAY_RESPONSES[type];
  return { status: Number(r.statusCode), body: render(r.template, { context }) };
}

export function createKinesisApi(options: KinesisApiOptions) {
  const signer = new SignatureV4({
    service: "kinesis",
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
  });
  const endpoint = new URL(options.kinesisEndpoint);

  async function callKinesis(action: string, payload: string): Promise<HttpAnswer> {
    const request = await signer.sign({
      method: "POST",
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      port: Number(endpoint.port),
      path: "/",
      headers: {
        host: endpoint.host,
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": `Kinesis_20131202.${action}`,
      },
      body: payload,
    });
    const response = await fetch(`${options.kinesisEndpoint}/`, {
      method: "POST",
      headers: request.headers as Record<string, string>,
      body: payload,
    });
    return { status: response.status, body: await response.text() };
  }

  return async function handle(
    method: string,
    url: string,
    headers: http.IncomingHttpHeaders,
    raw: Buffer,
  ): Promise<HttpAnswer> {
    const path = url.split("?")[0];
    const context = {
      httpMethod: method,
      path,
      error: { validationErrorString: "" },
      responseOverride: {} as { status?: number },
    };
    const match = /^\/streams\/([^/]+)(?:\/(record|records))?\/?$/.exec(path);
    const route: KinesisRoute | undefined = match
      ? KINESIS_ROUTES.find((r) => r.subPath === (match[2] ?? "") && r.httpMethod === method)
      : undefined;
    if (!match || !route) return gatewayResponse("MISSING_AUTHENTICATION_TOKEN", context);
    if (options.apiKey !== undefined && headers["x-api-key"] !== options.apiKey)
      return gatewayResponse("API_KEY", context);
    const params = { "stream-name": decodeURIComponent(match[1]) };

    let body: unknown = null;
    if (route.model) {
      const contentType = String(headers["content-type"] ?? "")
        .split(";")[0]
        .trim()
        .toLowerCase();
      if (contentType !== "application/json") return gatewayResponse("UNSUPPORTED_MEDIA_TYPE", context);
      const decoded = decodeUtf8(raw);
      if ("error" in decoded) {
        context.error.validationErrorString = `[${decoded.error}]`;
        return gatewayResponse("BAD_REQUEST_BODY", context);
      }
      try {
        body = JSON.parse(decoded.text);
      } catch (err) {
        context.error.validationErrorString = `[body is not JSON: ${(err as Error).message}]`;
        return gatewayResponse("BAD_REQUEST_BODY", context);
      }
      const validate = validators[route.model];
      if (!validate(body)) {
        context.error.validationErrorString = describeErrors(validate.errors);
        return gatewayResponse("BAD_REQUEST_BODY", context);
      }
    }

    const input = inputOf(body, params);
    const mapped = render(route.requestTemplate, { input, util, context });
    const kinesis = options.streams.includes(params["stream-name"])
      ? await callKinesis(route.action, mapped)
      : {
          status: 400,
          body: JSON.stringify({
            __type: "AccessDeniedException",
            message: "not authorized for this stream",
          }),
        };

    // Integration responses: select by Kinesis's status, render the template, honour a status override.
    const answer = JSON.parse(kinesis.body || "null") as unknown;
    const template =
      kinesis.status < 300
        ? SUCCESS_RESPONSE_TEMPLATE
        : kinesis.status < 500
          ? CLIENT_ERROR_RESPONSE_TEMPLATE
          : SERVER_ERROR_RESPONSE_TEMPLATE;
    const status = kinesis.status < 300 ? 200 : kinesis.status < 500 ? 400 : 500;
    const out = render(template, { input: inputOf(answer, params), util, context });
    return { status: context.responseOverride.status ?? status, body: out.trim() };
  };
}

/** API Gateway's payload limit. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

export async function startKinesisApiServer(options: KinesisApiOptions): Promise<KinesisApiServer> {
  const handle = createKinesisApi(options);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_PAYLOAD_BYTES) chunks.push(c);
    });
    req.on("end", () => {
      if (size > MAX_PAYLOAD_BYTES) {
        const body = JSON.stringify({ message: "Request Entity Too Large" });
        res.writeHead(413, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      handle(req.method ?? "GET", req.url ?? "/", req.headers, Buffer.concat(chunks)).then(
        ({ status, body }) => {
          res.writeHead(status, {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
          });
          res.end(body);
        },
        (err: unknown) => {
          const body = JSON.stringify({ message: `Internal server error: ${(err as Error).message}` });
          res.writeHead(500, { "content-type": "application/json" });
          res.end(body);
        },
      );
    });
  });
  return listen(server, options.host, options.port);
}
