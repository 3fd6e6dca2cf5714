/**
 * A Kinesis API on loopback: kinesis-local (kinesis-mock, from npm) on a free port, with the given streams
 * created at start-up. Real Kinesis clients (the AWS SDK, Spark's source) talk to it over HTTP.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  DescribeStreamSummaryCommand,
  KinesisClient,
  UpdateMaxRecordSizeCommand,
} from "@aws-sdk/client-kinesis";
import { STREAM_MAX_RECORD_SIZE_KIB } from "../../components/kinesisIngest/api";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { freePort } from "./ports";
import { ServiceProcess } from "./process";

export interface KinesisLocalOptions {
  stateDir: string;
  /** Streams to create, with their shard counts. */
  streams: Array<{ name: string; shards?: number; maxRecordSizeKiB?: number }>;
  region?: string;
  port?: number;
}

/** Credentials kinesis-local accepts (it checks that requests are signed, not by whom). */
export const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

export class KinesisLocal {
  private constructor(
    private readonly process: ServiceProcess,
    public readonly port: number,
    public readonly region: string,
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.process.running;
  }

  /** An AWS SDK client for this endpoint. */
  client(): KinesisClient {
    // HTTP/1.1: kinesis-local's HTTP/2 support trips the SDK's default handler now and then.
    return new KinesisClient({
      endpoint: this.endpoint,
      region: this.region,
      credentials: LOCAL_CREDENTIALS,
      requestHandler: new NodeHttpHandler(),
    });
  }

  static async launch(options: KinesisLocalOptions): Promise<KinesisLocal> {
    const stateDir = path.resolve(options.stateDir);
    fs.mkdirSync(stateDir, { recursive: true });
    const region = options.region ?? "eu-west-1";
    const port = options.port ?? (await freePort());
    const packageDir = path.dirname(require.resolve("kinesis-local/package.json"));
    const proc = new ServiceProcess({
      name: "kinesis-local",
      command: process.execPath,
      args: [path.join(packageDir, "main.js")],
      // It reads its TLS certificate (server.json) from the working directory.
      cwd: packageDir,
      env: {
        ...process.env,
        KINESIS_MOCK_PLAIN_PORT: String(port),
        KINESIS_MOCK_TLS_PORT: String(await freePort()),
        AWS_REGION: region,
        INITIALIZE_STREAMS: options.streams.map((s) => `${s.name}:${s.shards ?? 1}`).join(","),
        LOG_LEVEL: "WARN",
        CREATE_STREAM_DURATION: "0ms",
        SHOULD_PERSIST_DATA: "false",
      },
      logFile: path.join(stateDir, "kinesis-local.log"),
    });
    proc.start();
    const service = new KinesisLocal(proc, port, region);
    const client = service.client();
    try {
      const describe = async (name: string) =>
        (await client.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary;
      const allActive = async () => {
        for (const s of options.streams)
          if ((await describe(s.name))?.StreamStatus !== "ACTIVE") return false;
        return true;
      };
      await proc.waitUntil(allActive, 60000);
      // The stack's record size (kinesis-local starts its streams at Kinesis's default of 1 MiB).
      for (const s of options.streams) {
        await client.send(
          new UpdateMaxRecordSizeCommand({
            StreamARN: (await describe(s.name))!.StreamARN,
            MaxRecordSizeInKiB: s.maxRecordSizeKiB ?? STREAM_MAX_RECORD_SIZE_KIB,
          }),
        );
      }
      await proc.waitUntil(allActive, 60000);
    } finally {
      client.destroy();
    }
    return service;
  }

  stop(): Promise<void> {
    return this.process.stop(10000);
  }
}
