/**
 * The insights report of a local run: one self-contained HTML file (Chart.js inlined, no network) with a
 * chart per insight, the rows behind it, row counts per stage and the quarantine reasons. Also the same
 * insights as plain-text tables for the terminal.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { EVENT_KINDS } from "../components/events";

export type Row = Record<string, string | number | null>;

export interface ReportData {
  generatedAt: string;
  batch: {
    raw: Record<string, number>;
    silver: Record<string, number>;
    /** Records quarantined whole, per kind. */
    quarantined: Record<string, number>;
    /** Fields nulled (one per failed rule) in rows that stayed, per kind. */
    nulled: Record<string, number>;
    quarantineReasons: QuarantineCount[];
  };
  stream: {
    tables: Record<string, number>;
    quarantined: Record<string, number>;
    nulled: Record<string, number>;
    quarantineReasons: QuarantineCount[];
  };
  insights: Record<string, Row[]>;
  /** The registry of gold tables (titles, questions, charts), in the report's order. */
  gold: GoldEntry[];
  /** The stream's real-time metrics (jobs' realtime.py): each table's rows, and the windows used. */
  realtime?: { windows: Record<string, string>; tables: Record<string, Row[]> };
}

/** Quarantine entries per kind, outcome ("row quarantined" or "field nulled") and rule. */
export interface QuarantineCount {
  source: string;
  outcome: string;
  rule: string;
  count: number;
}

export interface StageCounts {
  /** Records the emulator posted (and the API acked), per kind. */
  kafkaPosted: Record<string, number>;
  inKafka: Record<string, number>;
  inLake: Record<string, number>;
  kinesisPosted: Record<string, number>;
}

interface ChartSpec {
  id: string;
  title: string;
  question: string;
  type: "bar" | "line";
  /** Labels of the x axis. */
  labels: string[];
  datasets: Array<{ label: string; data: Array<number | null> }>;
  /** Shown under the chart (e.g. which category won each bar). */
  notes?: string[];
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** A gold table as the jobs' registry describes it (pinterest_jobs.insights.GOLD, in report.json `gold`). */
export interface GoldEntry {
  name: string;
  title: string;
  question: string;
  chart: {
    kind: "bar" | "line";
    x: string;
    y: string;
    label: string;
    note?: string;
    largest?: number;
    series?: string;
  } | null;
}

/** A chart per charted gold table, drawn from the registry's spec and the table's rows. */
export function insightCharts(insights: Record<string, Row[]>, gold: GoldEntry[]): ChartSpec[] {
  return gold.flatMap(({ name, title, question, chart }) => {
    if (chart === null) return [];
    const all = insights[name] ?? [];
    // Per-country charts show the largest (the source has ~240 countries); the rows hold them all.
    const rows =
      chart.largest === undefined
        ? all
        : [...all]
            .sort(
              (a, b) =>
                Number(b[chart.y]) - Number(a[chart.y]) || JSON.stringify(a).localeCompare(JSON.stringify(b)),
            )
            .slice(0, chart.largest);
    const shown = chart.largest === undefined ? "" : ` (the ${rows.length} largest of ${all.length})`;
    if (chart.series !== undefined) {
      const x = [...new Set(rows.map((r) => String(r[chart.x])))].sort();
      const series = [...new Set(rows.map((r) => String(r[chart.series!])))].sort();
      return [
        {
          id: name,
          title,
          question,
          type: chart.kind,
          labels: x,
          datasets: series.map((v) => ({
            label: v,
            data: x.map((xv) =>
              num(rows.find((r) => String(r[chart.series!]) === v && String(r[chart.x]) === xv)?.[chart.y]),
            ),
          })),
        },
      ];
    }
    return [
      {
        id: name,
        title,
        question: question + shown,
        type: chart.kind,
        labels: rows.map((r) => String(r[chart.x])),
        datasets: [{ label: chart.label, data: rows.map((r) => num(r[chart.y])) }],
        ...(chart.note !== undefined ? { notes: rows.map((r) => `${r[chart.x]}: ${r[chart.note!]}`) } : {}),
      },
    ];
  });
}

const escape = (s: unknown): string =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

function table(rows: Row[]): string {
  if (rows.length === 0) return "<p class=empty>no rows</p>";
  const columns = Object.keys(rows[0]);
  return `<table><thead><tr>${columns.map((c) => `<th>${escape(c)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${columns.map((c) => `<td>${escape(r[c] ?? "")}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

/** The rows of the newest window of a metric table (by window_start), largest `by` first, at most `n`. */
export function newestWindow(rows: Row[], by: string, n: number): Row[] {
  const newest = rows.reduce<string | null>(
    (m, r) => (m === null || String(r.window_start) > m ? String(r.window_start) : m),
    null,
  );
  return rows
    .filter((r) => String(r.window_start) === newest)
    .sort((a, b) => Number(b[by]) - Number(a[by]) || JSON.stringify(a).localeCompare(JSON.stringify(b)))
    .slice(0, n);
}

/** The stream's real-time metrics: ingest health per window, and the newest window of the others. */
function realtimeSection(realtime: ReportData["realtime"]): string {
  if (!realtime) return "";
  const t = (name: string) => realtime.tables[name] ?? [];
  const health = t("ingest_health").map((r) => ({
    window: `${String(r.window_start).slice(11, 19)}-${String(r.window_end).slice(11, 19)}`,
    source: r.source,
    records: r.records,
    quarantined: r.quarantined,
    "fields nulled": r.nulled,
    "quarantine rate": r.quarantine_rate,
  }));
  const w = realtime.windows;
  return `<section class=card id=realtime><h2>Real-time metrics (the stream's gold tables)</h2>
<p class=question>Event time is the record's arrival in Kinesis. Windows here are seconds long (Databricks: minutes). Popularity: ${escape(w.popularity)} windows every ${escape(w.popularity_slide)}; trending: ${escape(w.trending)} every ${escape(w.trending_slide)}; by country: ${escape(w.by_country)}, final once the watermark (${escape(w.lateness)} late, pin and geo paired within ${escape(w.pair_within)}) passes.</p>
<h3>Most popular profiles, newest window</h3>${table(newestWindow(t("profile_popularity"), "posts", 10))}
<h3>Trending categories, newest window</h3>${table(newestWindow(t("trending_categories"), "posts", 10))}
<h3>Trending categories by country, newest final window</h3>${table(newestWindow(t("trending_categories_by_country"), "posts", 10))}
<h3>Ingest health</h3>${table(health)}
</section>`;
}

/** The report as one HTML document. `chartJs` is Chart.js's UMD bundle, inlined. */
export function renderReportHtml(data: ReportData, stages: StageCounts, chartJs: string): string {
  const charts = insightCharts(data.insights, data.gold);
  const kinds = EVENT_KINDS;
  const stageRows: Row[] = kinds.map((k) => ({
    kind: k,
    "posted (Kafka path)": stages.kafkaPosted[k] ?? 0,
    "in Kafka": stages.inKafka[k] ?? 0,
    "in the lake": stages.inLake[k] ?? 0,
    "batch silver (one per post)": data.batch.silver[k] ?? 0,
    "batch quarantined": data.batch.quarantined[k] ?? 0,
    "batch fields nulled": data.batch.nulled[k] ?? 0,
    "posted (Kinesis path)": stages.kinesisPosted[k] ?? 0,
    "stream table (one per post)": data.stream.tables[k] ?? 0,
    "stream quarantined": data.stream.quarantined[k] ?? 0,
    "stream fields nulled": data.stream.nulled[k] ?? 0,
  }));
  const reasons: Row[] = [
    ...data.batch.quarantineReasons.map((r) => ({ path: "batch", ...r })),
    ...data.stream.quarantineReasons.map((r) => ({ path: "stream", ...r })),
  ];
  // A card per gold table, in the registry's order: its chart (if it has one), then its rows.
  const cards = data.gold
    .map((g) => {
      const c = charts.find((chart) => chart.id === g.name);
      const rows = data.insights[g.name] ?? [];
      return `<section class=card>
  <h2>${escape(g.title)}</h2>
  <p class=question>${escape(c?.question ?? g.question)}</p>
  ${
    c
      ? `<div class=chart><canvas id="chart-${c.id}" data-insight="${c.id}" width=560 height=280></canvas></div>
  ${c.notes && c.notes.length > 0 ? `<p class=notes>${c.notes.map(escape).join(" · ")}</p>` : ""}
  <details><summary>rows</summary>${table(rows)}</details>`
      : table(rows)
  }
</section>`;
    })
    .join("\n");
  return `<!doctype html>
<html lang=en>
<head>
<meta charset=utf-8>
<title>pinterest-pipeline: insights</title>
<style>
  body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 24px; background: #fafafa; color: #222; }
  h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 0 0 4px; }
  .meta { color: #666; margin-bottom: 16px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; }
  .card { background: #fff; border: 1px solid #ddd; border-radius: 8px; padding: 16px; }
  .question, .notes { color: #555; font-size: 13px; margin: 4px 0; }
  .chart { position: relative; height: 280px; }
  table { border-collapse: collapse; font-size: 13px; margin-top: 8px; }
  th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; } th { background: #f0f0f0; }
</style>
</head>
<body>
<h1>pinterest-pipeline: insights of a local run</h1>
<p class=meta>Generated ${escape(data.generatedAt)} by <code>npm run local</code>. Batch: Kafka → lake → Spark → Delta. Stream: Kinesis → Spark → Delta.</p>
<section class=card><h2>Rows at each stage</h2>${table(stageRows)}</section>
${realtimeSection(data.realtime)}
<section class=card><h2>Quarantine, by rule</h2><p class=question>A bad value is nulled and recorded; its row stays. Only a record that cannot be trusted as a whole is quarantined.</p>${table(reasons)}</section>
<div class=grid>
${cards}
</div>
<script>${chartJs}</script>
<script>
const CHARTS = ${JSON.stringify(charts).replace(/</g, "\\u003c")};
const COLORS = ["#e60023", "#0076d3", "#00a86b", "#f5a623", "#7b61ff", "#555"];
let drawn = 0;
for (const c of CHARTS) {
  new Chart(document.getElementById("chart-" + c.id), {
    type: c.type,
    data: { labels: c.labels, datasets: c.datasets.map((d, i) => ({ ...d, backgroundColor: COLORS[i % COLORS.length], borderColor: COLORS[i % COLORS.length] })) },
    options: { animation: false, responsive: true, maintainAspectRatio: false, plugins: { legend: { display: c.datasets.length > 1 } } },
  });
  drawn += 1;
}
window.__chartsDrawn = drawn;
</script>
</body>
</html>
`;
}

/** The live page: polls /live.json every 2 s and redraws the real-time metrics (Chart.js inlined). */
export function renderLiveHtml(chartJs: string): string {
  return `<!doctype html>
<html lang=en>
<head>
<meta charset=utf-8>
<title>pinterest-pipeline: live</title>
<style>
  body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 24px; background: #fafafa; color: #222; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 16px; }
  .card { background: #fff; border: 1px solid #ddd; border-radius: 8px; padding: 16px; }
  .meta { color: #666; } .chart { position: relative; height: 260px; }
  table { border-collapse: collapse; font-size: 13px; } th, td { border: 1px solid #ddd; padding: 3px 8px; }
</style>
</head>
<body>
<h1>pinterest-pipeline: live, from the stream's tables</h1>
<p class=meta id=status>waiting for the first snapshot...</p>
<div class=grid>
<section class=card><h2>Records per stream per window</h2><div class=chart><canvas id=health></canvas></div></section>
<section class=card><h2>Trending categories, newest window</h2><div class=chart><canvas id=trending></canvas></div></section>
<section class=card><h2>Most popular profiles, newest window</h2><table id=profiles></table></section>
<section class=card><h2>Rows in the stream's tables</h2><table id=counts></table></section>
</div>
<script>${chartJs}</script>
<script>
const charts = {};
function draw(id, type, labels, datasets) {
  if (!charts[id]) charts[id] = new Chart(document.getElementById(id), { type, data: { labels, datasets }, options: { animation: false, maintainAspectRatio: false } });
  else { charts[id].data.labels = labels; charts[id].data.datasets = datasets; charts[id].update(); }
}
function newest(rows, by, n) {
  const w = rows.reduce((m, r) => (m === null || r.window_start > m ? r.window_start : m), null);
  return rows.filter((r) => r.window_start === w).sort((a, b) => b[by] - a[by]).slice(0, n);
}
function fill(id, rows) {
  const t = document.getElementById(id);
  t.replaceChildren();
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]);
  const head = t.insertRow(); for (const c of cols) { const th = document.createElement("th"); th.textContent = c; head.appendChild(th); }
  for (const r of rows) { const tr = t.insertRow(); for (const c of cols) tr.insertCell().textContent = r[c]; }
}
async function refresh() {
  const snap = await (await fetch("live.json", { cache: "no-store" })).json();
  if (!snap.tables) return;
  const t = snap.tables;
  const windows = [...new Set(t.ingest_health.map((r) => r.window_start))].sort();
  const colors = { pin: "#e60023", geo: "#0076d3", user: "#00a86b" };
  draw("health", "line", windows.map((w) => w.slice(11, 19)), ${JSON.stringify(EVENT_KINDS)}.map((s) => ({
    label: s, borderColor: colors[s], data: windows.map((w) => (t.ingest_health.find((r) => r.window_start === w && r.source === s) || { records: 0 }).records),
  })));
  const trending = newest(t.trending_categories, "posts", 10);
  draw("trending", "bar", trending.map((r) => r.category), [{ label: "posts", backgroundColor: "#e60023", data: trending.map((r) => r.posts) }]);
  fill("profiles", newest(t.profile_popularity, "posts", 10).map((r) => ({ poster: r.poster_name, posts: r.posts, followers: r.follower_count })));
  fill("counts", Object.entries(snap.stream).map(([k, v]) => ({ table: k, rows: v })));
  document.getElementById("status").textContent = "snapshot " + snap.snapshot + " at " + snap.at + " (refreshes every 2 s)";
  window.__liveSnapshot = snap.snapshot;
}
refresh(); setInterval(() => refresh().catch(() => undefined), 2000);
</script>
</body>
</html>
`;
}

/** The insights as fixed-width tables for the terminal. */
export function insightsAsText(insights: Record<string, Row[]>): string {
  const out: string[] = [];
  for (const [name, rows] of Object.entries(insights)) {
    out.push(`\n${name}`);
    if (rows.length === 0) {
      out.push("  (no rows)");
      continue;
    }
    const columns = Object.keys(rows[0]);
    const width = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? "").length)));
    const line = (cells: string[]) => `  ${cells.map((v, i) => v.padEnd(width[i])).join("  ")}`;
    out.push(line(columns), line(width.map((w) => "-".repeat(w))));
    for (const r of rows) out.push(line(columns.map((c) => String(r[c] ?? ""))));
  }
  return out.join("\n");
}

export function chartJsBundle(): string {
  // The package exports no subpaths; its UMD bundle sits next to the entry point in dist/.
  return fs.readFileSync(path.join(path.dirname(require.resolve("chart.js")), "chart.umd.min.js"), "utf8");
}
