/**
 * The Kinesis API's local twin as its own process, for the local pipeline and the benchmark:
 *   ts-node local/kinesisApiServer.ts --kinesis http://127.0.0.1:4568 --streams a-pin,a-geo,a-user [--port N] [--api-key K]
 * Prints one JSON line {"url": ...} once it listens; stops on SIGINT/SIGTERM.
 */
import { Command, InvalidArgumentError } from "commander";
import { startKinesisApiServer } from "./kinesisApi";
import { LOCAL_CREDENTIALS } from "./services/kinesis";

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError("must be a port number 0-65535");
  return port;
}

function parseUrl(value: string): string {
  try {
    return new URL(value).toString().replace(/\/$/, "");
  } catch {
    throw new InvalidArgumentError("must be a URL like http://127.0.0.1:4568");
  }
}

interface ServeOptions {
  kinesis: string;
  streams: string;
  region: string;
  port: number;
  apiKey?: string;
}

async function main(): Promise<void> {
  const command = new Command("kinesis-api")
    .description(
      "Serve the stack's Kinesis REST API (its templates and schemas) in front of a Kinesis endpoint",
    )
    .requiredOption("--kinesis <url>", "Kinesis endpoint (kinesis-local)", parseUrl)
    .requiredOption("--streams <list>", "the stack's streams, comma-separated")
    .option("--region <region>", "region to sign for", "eu-west-1")
    .option("--port <n>", "port on 127.0.0.1 (0: a free one)", parsePort, 0)
    .option("--api-key <key>", "require this x-api-key")
    .parse(process.argv);
  const opts = command.opts<ServeOptions>();
  const server = await startKinesisApiServer({
    kinesisEndpoint: opts.kinesis,
    region: opts.region,
    credentials: LOCAL_CREDENTIALS,
    streams: opts.streams.split(",").filter(Boolean),
    apiKey: opts.apiKey,
    port: opts.port,
  });
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  const stop = () => void server.close().finally(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`kinesis-api: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
