/**
 * A single-node Apache Kafka 4 broker in KRaft mode (combined broker and controller) on loopback, from the
 * jars scripts/bootstrap.sh fetched from Maven Central. Used by tests and by the local pipeline; the same
 * broker can be stopped and started again on its data and port, for fault tests.
 */
import { randomBytes } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import * as fs from "node:fs";
import * as path from "node:path";
import { freePort } from "./ports";
import { jvmLibsDir } from "./paths";
import { ServiceProcess } from "./process";

export interface KafkaBrokerOptions {
  /** Folder for data, config and log; created if missing. */
  stateDir: string;
  /** Client port; default: a free one. */
  port?: number;
  /** Default partitions of a topic created without a count. Default 1. */
  defaultPartitions?: number;
  /** JVM heap. Default "512m". */
  heap?: string;
}

export class KafkaBroker {
  private readonly process: ServiceProcess;

  private constructor(
    public readonly stateDir: string,
    public readonly port: number,
    public readonly controllerPort: number,
  ) {
    const libs = jvmLibsDir("kafka");
    this.process = new ServiceProcess({
      name: "kafka",
      command: "java",
      args: [
        `-Xmx${fs.readFileSync(path.join(stateDir, "heap"), "utf8")}`,
        "-XX:+UseParallelGC",
        `-Dlog4j2.configurationFile=${path.join(stateDir, "log4j2.properties")}`,
        "-cp",
        `${libs}/*`,
        "kafka.Kafka",
        path.join(stateDir, "server.properties"),
      ],
      logFile: path.join(stateDir, "kafka.log"),
    });
  }

  /** "127.0.0.1:<port>", what clients bootstrap from. */
  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.process.running;
  }

  /** Formats the storage (first time only) and starts the broker; resolves when it accepts clients. */
  static async launch(options: KafkaBrokerOptions): Promise<KafkaBroker> {
    const stateDir = path.resolve(options.stateDir);
    fs.mkdirSync(stateDir, { recursive: true });
    const port = options.port ?? (await freePort());
    const controllerPort = await freePort();
    const dataDir = path.join(stateDir, "data");
    fs.writeFileSync(path.join(stateDir, "heap"), options.heap ?? "512m");
    fs.writeFileSync(
      path.join(stateDir, "server.properties"),
      [
        "process.roles=broker,controller",
        "node.id=1",
        `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
        `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        `log.dirs=${dataDir}`,
        `num.partitions=${options.defaultPartitions ?? 1}`,
        // As on MSK with our config: topics are declared, never created by a typo in a producer.
        "auto.create.topics.enable=false",
        "offsets.topic.replication.factor=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "",
      ].join("\n"),
    );
    fs.writeFileSync(
      path.join(stateDir, "log4j2.properties"),
      [
        "status = warn",
        "appender.console.type = Console",
        "appender.console.name = STDOUT",
        "appender.console.layout.type = PatternLayout",
        "appender.console.layout.pattern = [%d] %p %m (%c)%n",
        "rootLogger.level = INFO",
        "rootLogger.appenderRefs = stdout",
        "rootLogger.appenderRef.stdout.ref = STDOUT",
        "logger.kafka.name = kafka",
        "logger.kafka.level = WARN",
        "logger.apache.name = org.apache.kafka",
        "logger.apache.level = WARN",
        "logger.server.name = kafka.server.KafkaRaftServer",
        "logger.server.level = INFO",
        "",
      ].join("\n"),
    );
    if (!fs.existsSync(path.join(dataDir, "meta.properties"))) {
      await formatStorage(stateDir);
    }
    const broker = new KafkaBroker(stateDir, port, controllerPort);
    await broker.start();
    return broker;
  }

  /**
   * Starts the broker on its existing data and ports. Resolves once it is started and every partition of
   * every existing topic has a leader again (after a restart, "started" comes before leader election).
   */
  async start(timeoutMs = 60000): Promise<void> {
    const log = path.join(this.stateDir, "kafka.log");
    const startedBefore = countStarted(log);
    this.process.start();
    await this.process.waitUntil(() => Promise.resolve(countStarted(log) > startedBefore), timeoutMs);
    const admin = new Kafka({
      clientId: "broker-helper",
      brokers: [this.bootstrap],
      logLevel: logLevel.NOTHING,
    }).admin();
    await this.process.waitUntil(async () => {
      await admin.connect();
      const { topics } = await admin.fetchTopicMetadata();
      if (!topics.every((t) => t.partitions.every((p) => p.leader >= 0))) return false;
      // Listing offsets succeeds only once each leader has loaded its partitions.
      for (const topic of topics) await admin.fetchTopicOffsets(topic.name);
      return true;
    }, timeoutMs);
    await admin.disconnect();
  }

  /** Controlled shutdown. */
  stop(): Promise<void> {
    return this.process.stop(30000);
  }

  /** A stall (SIGSTOP): connections stay open and nothing is answered until `resume()`. */
  pause(): void {
    this.process.pause();
  }

  resume(): void {
    this.process.resume();
  }

  /** Crash (SIGKILL), for fault tests. */
  kill(): Promise<void> {
    return this.process.kill();
  }
}

function countStarted(log: string): number {
  if (!fs.existsSync(log)) return 0;
  return fs.readFileSync(log, "utf8").split("Kafka Server started").length - 1;
}

async function formatStorage(stateDir: string): Promise<void> {
  // A base64url id may start with '-', which the formatter's argument parser would read as an option.
  let clusterId = randomBytes(16).toString("base64url");
  while (!/^[A-Za-z0-9]/.test(clusterId)) clusterId = randomBytes(16).toString("base64url");
  const formatter = new ServiceProcess({
    name: "kafka-storage format",
    command: "java",
    args: [
      `-Dlog4j2.configurationFile=${path.join(stateDir, "log4j2.properties")}`,
      "-cp",
      `${jvmLibsDir("kafka")}/*`,
      "kafka.tools.StorageTool",
      "format",
      "--cluster-id",
      clusterId,
      "--config",
      path.join(stateDir, "server.properties"),
    ],
    logFile: path.join(stateDir, "format.log"),
  });
  formatter.start();
  const deadline = Date.now() + 60000;
  while (formatter.running && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (!fs.existsSync(path.join(stateDir, "data", "meta.properties"))) {
    await formatter.kill();
    throw new Error(
      `formatting Kafka storage failed; log ${path.join(stateDir, "format.log")}:\n${formatter.tail()}`,
    );
  }
}
