/**
 * The REST ingest as a plain Node HTTP server: the local twin of API Gateway + Lambda, running the same
 * `createRestIngest` core. Like the API Gateway stage it stands for, it checks an API key (`x-api-key`) when
 * given one, caps the body size, and answers GET /healthz with its counters.
 */
import * as http from "node:http";
import { listen, Listening } from "./listen";
import {
  createRestIngest,
  DEFAULT_MAX_BODY_BYTES,
  ERROR_CODES,
  RestIngestOptions,
  RESPONSE_CONTENT_TYPE,
} from "../components/kafkaIngest/runtime/restProxy";

export interface RestIngestServerOptions extends RestIngestOptions {
  host?: string;
  /** Default: a free port. */
  port?: number;
  /** Required in `x-api-key` when set, as API Gateway's API key. */
  apiKey?: string;
}

export interface RestIngestServer extends Listening {
  stats: ReturnType<typeof createRestIngest>["stats"];
}

export async function startRestIngestServer(options: RestIngestServerOptions): Promise<RestIngestServer> {
  const ingest = createRestIngest(options);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  const server = http.createServer((req, res) => {
    const send = (status: number, headers: Record<string, string>, body: string) => {
      res.writeHead(status, { ...headers, "content-length": Buffer.byteLength(body) });
      res.end(body);
    };
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/healthz") {
      send(
        200,
        { "content-type": "application/json" },
        JSON.stringify({ status: "ok", stats: ingest.stats }),
      );
      return;
    }
    if (options.apiKey !== undefined && req.headers["x-api-key"] !== options.apiKey) {
      ingest.stats.rejected["403"] = (ingest.stats.rejected["403"] ?? 0) + 1;
      // API Gateway's own answer to a missing or wrong key.
      send(403, { "content-type": "application/json" }, JSON.stringify({ message: "Forbidden" }));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        tooLarge = true;
        return; // keep draining so the client reads our answer
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (tooLarge) {
        ingest.stats.requests++;
        ingest.stats.rejected["413"] = (ingest.stats.rejected["413"] ?? 0) + 1;
        send(
          413,
          { "content-type": RESPONSE_CONTENT_TYPE },
          JSON.stringify({
            error_code: ERROR_CODES.tooLarge,
            message: `Request body exceeds the limit of ${maxBodyBytes} bytes`,
          }),
        );
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(", ") : v]),
      );
      ingest({ method: req.method ?? "GET", path, headers, body: Buffer.concat(chunks) }).then(
        (response) => send(response.status, response.headers, response.body),
        (err: unknown) =>
          send(
            500,
            { "content-type": RESPONSE_CONTENT_TYPE },
            JSON.stringify({ error_code: 50001, message: `Internal error: ${(err as Error).message}` }),
          ),
      );
    });
  });
  const listening = await listen(server, options.host, options.port);
  return { ...listening, stats: ingest.stats };
}
