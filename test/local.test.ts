/**
 * The one-machine pipeline end to end (`npm run local`'s run command) with a small number of events, on the
 * real engines: every record accounted for at each stage of both paths, the insights equal to an independent
 * TypeScript reference computed from the same records, and the report rendered in headless Chromium with a
 * chart per insight. Then the fault test: the Kafka broker is stopped while the emulator posts and started
 * again, and the run still completes with nothing lost.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EVENT_KINDS } from "../components/events";
import { lakeFileName } from "../local/lakeSink";
import { LOCAL_TOPICS, runLocalPipeline, RunResult, serveLivePage } from "../local/pipeline";
import { screenshotReport } from "../local/screenshot";
import { cleanRecords, referenceInsights, Row } from "./fixtures/reference";

const EVENTS = 120;
/** Seed 13's sample draws malformed posts of every kind, some of them more than once (see below). */
const SEED = 13;

/** Every line of the lake, per kind, with the Kafka partition and offset it came from. */
function lakeRecords(lakeDir: string): Record<"pin" | "geo" | "user", LakeRecord[]> {
  const out = { pin: [] as LakeRecord[], geo: [] as LakeRecord[], user: [] as LakeRecord[] };
  for (const kind of EVENT_KINDS) {
    const topic = LOCAL_TOPICS[kind];
    const dir = path.join(lakeDir, "topics", topic);
    for (const partition of fs.readdirSync(dir)) {
      const p = Number(partition.replace("partition=", ""));
      for (const file of fs.readdirSync(path.join(dir, partition)).sort()) {
        // The S3 sink connector's names: <topic>+<partition>+<startOffset>.json
        assert.match(file, new RegExp(`^${topic.replace(".", "\\.")}\\+${p}\\+\\d{10}\\.json$`));
        const start = Number(file.split("+")[2].replace(".json", ""));
        assert.equal(file, lakeFileName(topic, p, start));
        // A file holds its partition's records from its start offset on, one per line, in offset order.
        const lines = fs
          .readFileSync(path.join(dir, partition, file), "utf8")
          .split("\n")
          .filter(Boolean);
        out[kind].push(...lines.map((line, i) => ({ partition: p, offset: start + i, line })));
      }
    }
  }
  return out;
}

interface LakeRecord {
  partition: number;
  offset: number;
  line: string;
}

function lakeLines(lakeDir: string): Record<"pin" | "geo" | "user", string[]> {
  const records = lakeRecords(lakeDir);
  return {
    pin: records.pin.map((r) => r.line),
    geo: records.geo.map((r) => r.line),
    user: records.user.map((r) => r.line),
  };
}

/**
 * The lake against Kafka, record by record: every offset of every partition is in the lake (offsets from 0 to
 * the partition's end, none missing, none invented). The S3 sink with scheduled (wall-clock) rotation is
 * at-least-once (docs/cloud-contracts.md, "Kafka to the lake"): after a failed commit it writes a range again,
 * so an offset may be there twice, but only as the same record. `redelivered` is how many lines are repeats.
 */
function assertLakeHoldsKafka(lakeDir: string, inKafka: Record<string, number>): Record<string, number> {
  const redelivered: Record<string, number> = {};
  for (const [kind, records] of Object.entries(lakeRecords(lakeDir))) {
    const byOffset = new Map<string, string>();
    const perPartition = new Map<number, Set<number>>();
    for (const r of records) {
      const key = `${r.partition}:${r.offset}`;
      const seen = byOffset.get(key);
      if (seen !== undefined) assert.equal(r.line, seen, `${kind} ${key} in the lake twice, differently`);
      byOffset.set(key, r.line);
      perPartition.set(r.partition, (perPartition.get(r.partition) ?? new Set()).add(r.offset));
    }
    for (const [partition, offsets] of perPartition) {
      const missing = [...Array(Math.max(...offsets) + 1).keys()].filter((o) => !offsets.has(o));
      assert.deepEqual(missing, [], `${kind} partition ${partition}: offsets missing from the lake`);
    }
    assert.equal(byOffset.size, inKafka[kind], `${kind}: distinct records in the lake = records in Kafka`);
    redelivered[kind] = records.length - byOffset.size;
  }
  return redelivered;
}

/** Rows with numbers rounded as the report rounds them, in a stable order. */
function normalise(rows: Row[]): Row[] {
  return rows
    .map((r) =>
      Object.fromEntries(
        Object.entries(r).map(([k, v]) => [k, typeof v === "number" ? Math.round(v * 10000) / 10000 : v]),
      ),
    )
    .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

/** `lakeMayRepeat`: a fault in the run may have made the sink write a range twice (see assertLakeHoldsKafka). */
function assertAccounted(result: RunResult, { lakeMayRepeat = false } = {}): void {
  const { stages, report, emulator } = result;
  const redelivered = assertLakeHoldsKafka(result.paths.lake, stages.inKafka);
  if (!lakeMayRepeat) assert.deepEqual(redelivered, { pin: 0, geo: 0, user: 0 }, "no fault, no repeats");
  const reference = cleanRecords(lakeLines(result.paths.lake));
  // A record the ingest answered "may have been written" (a fault hit it on the wire) and the emulator sent
  // again can be in Kafka twice; nothing else can be, and nothing can be missing.
  const mayRepeat = emulator.targets.kafka!.resentUncertain;
  const inKafka = EVENT_KINDS.reduce((n, kind) => n + stages.inKafka[kind], 0);
  assert.ok(
    inKafka >= 3 * EVENTS && inKafka <= 3 * EVENTS + mayRepeat,
    `${inKafka} records in Kafka for ${3 * EVENTS} posted, ${mayRepeat} of them sent again after "may have been written"`,
  );
  for (const kind of EVENT_KINDS) {
    // Batch: posted <= in Kafka = the lake's distinct records (above); the lake's lines (with any repeats)
    // = raw read by the job = clean (before dedupe) + quarantined.
    assert.equal(stages.kafkaPosted[kind], EVENTS, `${kind} posted to Kafka`);
    assert.ok(stages.inKafka[kind] >= EVENTS, `${kind} in Kafka`);
    assert.equal(stages.inLake[kind], stages.inKafka[kind] + redelivered[kind], `${kind} in the lake`);
    assert.equal(report.batch.raw[kind], stages.inLake[kind], `${kind} read by the batch job`);
    assert.equal(reference.clean[kind] + reference.quarantined[kind], stages.inLake[kind]);
    assert.equal(report.batch.quarantined[kind], reference.quarantined[kind], `${kind} quarantined (batch)`);
    assert.equal(report.batch.nulled[kind], reference.nulled[kind], `${kind} fields nulled (batch)`);
    const distinct = { pin: reference.pins, geo: reference.geo, user: reference.users }[kind].size;
    assert.equal(report.batch.silver[kind], distinct, `${kind} silver: one row per post`);
    // Stream: posted to Kinesis = stream table (one per post) + quarantined (one per post) + re-deliveries
    // the stream dropped (the emulator samples posts with replacement, so a malformed post drawn twice is
    // quarantined once by the stream and twice by the batch).
    assert.equal(stages.kinesisPosted[kind], EVENTS, `${kind} posted to Kinesis`);
    assert.equal(report.stream.tables[kind], distinct, `${kind} stream table`);
    assert.equal(
      report.stream.quarantined[kind],
      reference.quarantinedPosts[kind],
      `${kind} quarantined (stream)`,
    );
    assert.equal(report.stream.nulled[kind], reference.nulledPosts[kind], `${kind} fields nulled (stream)`);
  }
  assert.equal(emulator.targets.kafka!.failed + emulator.targets.kinesis!.failed, 0);
  // Real time: every record the stream accepted is in one ingest-health window (the metrics read the
  // stream's tables after they were written, so nothing is later than the watermark), and the fields it nulled.
  const health = report.realtime!.tables.ingest_health;
  for (const kind of EVENT_KINDS) {
    const mine = health.filter((r) => r.source === kind);
    const sum = (column: string) => mine.reduce((n, r) => n + Number(r[column]), 0);
    assert.equal(
      sum("records"),
      report.stream.tables[kind] + report.stream.quarantined[kind],
      `${kind} records per minute`,
    );
    assert.equal(sum("quarantined"), report.stream.quarantined[kind], `${kind} quarantined per minute`);
    assert.equal(sum("nulled"), report.stream.nulled[kind], `${kind} nulled per minute`);
  }
  for (const name of ["profile_popularity", "trending_categories"]) {
    assert.ok(report.realtime!.tables[name].length > 0, `${name} has rows`);
  }
}

describe("the one-machine pipeline (npm run local)", function () {
  this.timeout(600_000);
  let stateDir: string;
  let result: RunResult;
  const lines: string[] = [];

  before(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pinpipe-local-"));
    result = await runLocalPipeline({
      stateDir,
      events: EVENTS,
      sourcePosts: 100,
      seed: SEED,
      log: (line) => lines.push(line),
      // Paced as `npm run local` paces it (about 24 s of posting): the live page refreshes while the emulator
      // posts, and the per-country windows of the first seconds are final before it stops.
      rate: 5,
    });
  });
  after(() => fs.rmSync(stateDir, { recursive: true, force: true }));

  it("shows its progress and leaves no service running", () => {
    for (const step of [
      "MariaDB up",
      "Kafka broker up",
      "kinesis-local up",
      "seeded 100 source posts",
      "batch:",
      "stream:",
    ]) {
      assert.ok(
        lines.some((l) => l.includes(step)),
        `progress line '${step}' in:\n${lines.join("\n")}`,
      );
    }
    assert.ok(!fs.existsSync(result.paths.state), "state.json is removed when the stack stops");
  });

  it("runs the stream and its real-time metrics live while the emulator posts, and serves them", async () => {
    const served = lines.find((l) => l.startsWith("live page: http://127.0.0.1:"));
    assert.ok(served, `a live page line in:\n${lines.join("\n")}`);
    const written = lines.map((l) => /^live: (\d+) snapshots written/.exec(l)).find(Boolean);
    assert.ok(
      written && Number(written[1]) >= 3,
      `live snapshots while the emulator posted: ${written?.[1]}`,
    );
    // The last snapshot (after the drain) is still in the state folder: the same page serves it.
    const page = await serveLivePage(result.paths);
    try {
      const html = await (await fetch(page.url)).text();
      assert.match(html, /fetch\("live.json"/);
      const snapshot = (await (await fetch(`${page.url}live.json`)).json()) as {
        stream: Record<string, number>;
        tables: Record<string, Record<string, unknown>[]>;
      };
      // The page reads the tables with delta-rs, the report with Spark: two Delta readers, the same rows.
      assert.deepEqual(snapshot.stream, result.report.stream.tables, "stream tables' counts");
      const sorted = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(r)).sort();
      for (const [name, rows] of Object.entries(result.report.realtime!.tables)) {
        assert.deepEqual(sorted(snapshot.tables[name]), sorted(rows), name);
      }
    } finally {
      await page.close();
    }
    // Posting took longer than a per-country window, its lateness and its pairing interval: windows landed.
    assert.ok(
      result.report.realtime!.tables.trending_categories_by_country.length > 0,
      "per-country windows",
    );
  });

  it("accounts for every record at every stage of both paths", () => {
    assertAccounted(result);
    // The seed fixes the sample: it draws malformed posts, and draws one of them more than once.
    const reference = cleanRecords(lakeLines(result.paths.lake));
    assert.ok(
      Object.values(result.report.batch.nulled).some((n) => n > 0),
      "the seeded malformed values reach the quarantine",
    );
    assert.ok(
      EVENT_KINDS.some((k) => reference.nulled[k] > reference.nulledPosts[k]),
      "a malformed post is re-delivered, so the stream's once-per-post record is exercised",
    );
    for (const r of result.report.batch.quarantineReasons) {
      assert.match(r.rule, /^[a-z_]+\.[a-z_]+$|^unreadable$|^missing_key$/);
      assert.ok(["row quarantined", "field nulled"].includes(r.outcome), r.outcome);
    }
  });

  it("computes the insights a reference written independently computes from the same records", () => {
    const expected = referenceInsights(cleanRecords(lakeLines(result.paths.lake)));
    assert.deepEqual(Object.keys(result.report.insights).sort(), Object.keys(expected).sort());
    for (const [name, rows] of Object.entries(expected)) {
      assert.deepEqual(normalise(result.report.insights[name]), normalise(rows), name);
    }
  });

  it("writes a report that headless Chromium renders with a chart per insight", async () => {
    const png = path.join(stateDir, "report.png");
    const drawn = await screenshotReport(result.paths.reportHtml, png);
    // A chart per charted gold table of the jobs' registry: the eight insights.
    const charted = result.report.gold.filter((g) => g.chart !== null).map((g) => g.name);
    assert.deepEqual(
      drawn.map((c) => c.id),
      charted,
    );
    assert.equal(drawn.length, 8, "eight charts");
    for (const chart of drawn) {
      const rows = result.report.insights[chart.id];
      assert.ok(rows && rows.length > 0, `${chart.id} has rows`);
      assert.ok(chart.points > 0, `${chart.id} plots points`);
      assert.ok(chart.paintedPixels > 2000, `${chart.id} draws something (${chart.paintedPixels} px)`);
    }
    // Per-country charts plot the 15 largest countries; the others plot every row.
    for (const chart of drawn) {
      const rows = result.report.insights[chart.id];
      const years = new Set(rows.map((r) => r.post_year)).size;
      const expected = chart.id.endsWith("_by_country")
        ? Math.min(15, rows.length)
        : chart.id.endsWith("and_age_group")
          ? years
          : rows.length;
      assert.equal(chart.points, expected, `${chart.id} plots its rows`);
    }
    const header = fs.readFileSync(png).subarray(0, 8);
    assert.deepEqual([...header], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "a PNG");
    assert.ok(fs.statSync(png).size > 50_000, "a full-page screenshot");
  });

  it("completes with nothing lost when the Kafka broker stops while the emulator posts", async () => {
    const faultDir = fs.mkdtempSync(path.join(os.tmpdir(), "pinpipe-fault-"));
    const faultLines: string[] = [];
    let ackedAtStop = -1;
    try {
      const faulted = await runLocalPipeline({
        stateDir: faultDir,
        events: EVENTS,
        sourcePosts: 100,
        seed: SEED,
        log: (line) => faultLines.push(line),
        // Slow enough (about 6 s of posting) that the outage falls in the middle of it.
        rate: 20,
        duringEmulator: async (stack, acked) => {
          // Stop once the first records have landed, whatever the warm-up took on this machine.
          const deadline = Date.now() + 60000;
          while (acked() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
          ackedAtStop = acked();
          await stack.broker.stop();
          faultLines.push("fault: broker stopped");
          await new Promise((r) => setTimeout(r, 3000));
          await stack.broker.start();
          faultLines.push("fault: broker started");
        },
      });
      assert.ok(faultLines.includes("fault: broker started"), faultLines.join("\n"));
      assert.ok(
        ackedAtStop > 0 && ackedAtStop < EVENTS * 3,
        `the broker stopped mid-run (${ackedAtStop} of ${EVENTS * 3} records acked)`,
      );
      assertAccounted(faulted, { lakeMayRepeat: true });
    } catch (error) {
      // The run's own logs go with the failure: the state directory is removed below.
      const sparkLog = path.join(faultDir, "spark.log");
      const tail = fs.existsSync(sparkLog) ? fs.readFileSync(sparkLog, "utf8").split("\n").slice(-60) : [];
      (error as Error).message +=
        `\n--- pipeline log ---\n${faultLines.slice(-40).join("\n")}\n--- spark.log (tail) ---\n${tail.join("\n")}`;
      throw error;
    } finally {
      fs.rmSync(faultDir, { recursive: true, force: true });
    }
  });
});
