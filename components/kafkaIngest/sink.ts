/**
 * The MSK Connect S3 sink's settings, as pure functions. The connector is Confluent's S3 sink writing
 * JSON objects in its default layout, which the batch job and the local lake sink share:
 *   topics/<topic>/partition=<p>/<topic>+<p>+<startOffset>.json
 */

export type PluginLocation =
  { kind: "s3"; bucket: string; key: string } | { kind: "url"; url: string; fileName: string };

/** Parses `s3://bucket/key.zip` or an `https://` URL of the connector's zip. */
export function parsePluginLocation(location: string): PluginLocation {
  const s3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+\.(zip|jar))$/.exec(location);
  if (s3) return { kind: "s3", bucket: s3[1], key: s3[2] };
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new Error(
      `sinkPluginLocation must be s3://<bucket>/<key>.zip or an https:// URL of a .zip, got '${location}'`,
    );
  }
  const fileName = url.pathname.split("/").pop() ?? "";
  if (url.protocol !== "https:" || !/\.(zip|jar)$/.test(fileName)) {
    throw new Error(
      `sinkPluginLocation must be s3://<bucket>/<key>.zip or an https:// URL of a .zip, got '${location}'`,
    );
  }
  return { kind: "url", url: location, fileName };
}

/**
 * The plugin object's key, once S3's SHA-256 of what was uploaded (base64, S3's `ChecksumSHA256`) equals
 * the expected digest (hex, as vendors publish it). Undefined `uploaded` is an object not yet uploaded
 * (a preview, the offline synth): nothing to check yet.
 */
export function verifiedPluginKey(
  key: string,
  uploaded: string | undefined,
  expectedSha256Hex: string,
): string {
  if (uploaded === undefined || uploaded === "") return key;
  const expected = Buffer.from(expectedSha256Hex, "hex").toString("base64");
  if (uploaded !== expected) {
    throw new Error(
      `the S3 sink plugin at ${key} has SHA-256 ${Buffer.from(uploaded, "base64").toString("hex")}, ` +
        `not the sinkPluginSha256 ${expectedSha256Hex}: refusing to install it`,
    );
  }
  return key;
}

export interface SinkSettings {
  topics: string[];
  bucketName: string;
  region: string;
  kmsKeyArn: string;
  /** Records per object (see docs/configuration.md for why not the original's 1). */
  flushSize: number;
  /** Wall-clock rotation: an object is closed at least this often, so quiet topics still land. */
  rotateIntervalMs: number;
  /** Tasks; more than the topics' partitions would idle. */
  maxTasks: number;
}

export function s3SinkConnectorConfig(s: SinkSettings): Record<string, string> {
  return {
    "connector.class": "io.confluent.connect.s3.S3SinkConnector",
    "tasks.max": String(s.maxTasks),
    topics: s.topics.join(","),
    "s3.region": s.region,
    "s3.bucket.name": s.bucketName,
    "topics.dir": "topics",
    "s3.ssea.name": "aws:kms",
    "s3.sse.kms.key.id": s.kmsKeyArn,
    "storage.class": "io.confluent.connect.s3.storage.S3Storage",
    "format.class": "io.confluent.connect.s3.format.json.JsonFormat",
    "partitioner.class": "io.confluent.connect.storage.partitioner.DefaultPartitioner",
    "flush.size": String(s.flushSize),
    "rotate.schedule.interval.ms": String(s.rotateIntervalMs),
    timezone: "UTC",
    locale: "en-US",
    "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter.schemas.enable": "false",
    // A record the sink cannot write stops the task (and raises the connector alarm): never skipped.
    "errors.tolerance": "none",
  };
}

/** Worker settings: offsets committed often, so a restarted worker re-reads little. */
export const SINK_WORKER_PROPERTIES = [
  "key.converter=org.apache.kafka.connect.storage.StringConverter",
  "value.converter=org.apache.kafka.connect.json.JsonConverter",
  "value.converter.schemas.enable=false",
  "offset.flush.interval.ms=10000",
  "",
].join("\n");
