/**
 * The REST ingest as its own process, for the local pipeline and the benchmark:
 *   ts-node local/restIngestServer.ts --brokers 127.0.0.1:9092 --topics '{"p.pin":"pin"}' [--port N] [--api-key K]
 * Prints one JSON line {"url": ...} once it listens; stops on SIGINT/SIGTERM.
 */
import { Command, InvalidArgumentError } from "commander";
import { z } from "zod";
import { EVENT_KINDS } from "../components/events";
import { kafkaGateway } from "../components/kafkaIngest/runtime/kafkaGateway";
import { startRestIngestServer } from "./kafkaRestServer";

const topicsSchema = z.record(z.string().min(1), z.enum(EVENT_KINDS as [string, ...string[]]));

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError("must be a port number 0-65535");
  return port;
}

function parseTopics(value: string): Record<string, "pin" | "geo" | "user"> {
  try {
    return topicsSchema.parse(JSON.parse(value)) as Record<string, "pin" | "geo" | "user">;
  } catch {
    throw new InvalidArgumentError(`must be a JSON map of topic names to ${EVENT_KINDS.join("|")}`);
  }
}

export function makeCommand(): Command {
  return new Command("rest-ingest")
    .description("Serve the Confluent REST Proxy v2 produce API onto a Kafka broker")
    .requiredOption("--brokers <list>", "bootstrap brokers, comma-separated")
    .requiredOption("--topics <json>", "accepted topics and their record kinds", parseTopics)
    .option("--port <n>", "port on 127.0.0.1 (0: a free one)", parsePort, 0)
    .option("--api-key <key>", "require this x-api-key");
}

interface ServeOptions {
  brokers: string;
  topics: Record<string, "pin" | "geo" | "user">;
  port: number;
  apiKey?: string;
}

async function main(): Promise<void> {
  const command = makeCommand().parse(process.argv);
  const opts = command.opts<ServeOptions>();
  const gateway = kafkaGateway({ brokers: opts.brokers.split(","), clientId: "rest-ingest-local" });
  const server = await startRestIngestServer({
    topics: opts.topics,
    gateway,
    port: opts.port,
    apiKey: opts.apiKey,
  });
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  const stop = () => {
    void server.close().then(() => gateway.disconnect().finally(() => process.exit(0)));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`rest-ingest: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
