/**
 * Lambda entry point of the REST ingest, behind API Gateway (REST API, proxy integration). Bundled by the
 * KafkaIngest component with esbuild at deploy time. Connects to MSK over TLS with IAM auth: the function's
 * role signs a token (aws-msk-iam-sasl-signer-js); no secret is stored anywhere.
 *
 * Environment (set by the component): INGEST_TOPICS (JSON map of topic to record kind), BOOTSTRAP_BROKERS
 * (the cluster's SASL/IAM bootstrap string), MAX_BODY_BYTES; AWS_REGION is Lambda's own. KAFKA_SECURITY is
 * "iam" (the default, and what the component sets) or "plaintext" for a local broker, which is how the
 * tests run this very bundle.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { generateAuthToken } from "aws-msk-iam-sasl-signer-js";
import { EventKind } from "../../events";
import { kafkaGateway } from "./kafkaGateway";
import { createRestIngest, DEFAULT_MAX_BODY_BYTES } from "./restProxy";

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

const region = requiredEnv("AWS_REGION");
const security = process.env.KAFKA_SECURITY ?? "iam";
if (security !== "iam" && security !== "plaintext") {
  throw new Error(`KAFKA_SECURITY must be iam or plaintext, got '${security}'`);
}
// Created once per container and reused by every invocation it serves.
const ingest = createRestIngest({
  topics: JSON.parse(requiredEnv("INGEST_TOPICS")) as Record<string, EventKind>,
  maxBodyBytes: Number(process.env.MAX_BODY_BYTES ?? DEFAULT_MAX_BODY_BYTES),
  gateway: kafkaGateway({
    brokers: requiredEnv("BOOTSTRAP_BROKERS").split(","),
    clientId: "rest-ingest-lambda",
    ...(security === "iam"
      ? {
          ssl: true,
          sasl: {
            mechanism: "oauthbearer" as const,
            oauthBearerProvider: async () => ({ value: (await generateAuthToken({ region })).token }),
          },
        }
      : {}),
  }),
  // One JSON line per rejected request: CloudWatch metric filters and Logs Insights count them by status.
  onReject: (event) => console.log(JSON.stringify({ level: "warn", msg: "request rejected", ...event })),
});

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const headers = Object.fromEntries(
    Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  );
  const body = Buffer.from(event.body ?? "", event.isBase64Encoded ? "base64" : "utf8");
  const response = await ingest({ method: event.httpMethod, path: event.path, headers, body });
  return { statusCode: response.status, headers: response.headers, body: response.body };
}
