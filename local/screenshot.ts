/**
 * Renders a report in headless Chromium (Debian's `chromium`, driven by puppeteer-core: no browser download)
 * and reports what was drawn: charts, points per chart, painted pixels per canvas. Writes a full-page PNG.
 *   ts-node local/screenshot.ts <report.html> <out.png>
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import puppeteer from "puppeteer-core";

export interface DrawnChart {
  id: string;
  /** Points (labels) Chart.js plotted. */
  points: number;
  datasets: number;
  /** Canvas pixels that are not blank. */
  paintedPixels: number;
}

export function chromiumPath(): string {
  const found = ["chromium", "chromium-browser"].flatMap((name) => {
    try {
      return [execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim()];
    } catch {
      return [];
    }
  })[0];
  if (!found) throw new Error("chromium is not installed: run scripts/bootstrap.sh chromium");
  return found;
}

export async function screenshotReport(htmlFile: string, pngFile: string): Promise<DrawnChart[]> {
  const browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(`file://${path.resolve(htmlFile)}`, { waitUntil: "load" });
    await page.waitForFunction("window.__chartsDrawn !== undefined", { timeout: 30000 });
    // Runs in the page (a string: this program is compiled without the DOM's types).
    const drawn =
      (await page.evaluate(`[...document.querySelectorAll("canvas[data-insight]")].map((canvas) => {
      const chart = Chart.getChart(canvas);
      const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
      return {
        id: canvas.dataset.insight,
        points: chart ? chart.data.labels.length : 0,
        datasets: chart ? chart.data.datasets.length : 0,
        paintedPixels: painted,
      };
    })`)) as DrawnChart[];
    fs.mkdirSync(path.dirname(path.resolve(pngFile)), { recursive: true });
    await page.screenshot({ path: pngFile, fullPage: true });
    return drawn;
  } finally {
    await browser.close();
  }
}

if (require.main === module) {
  const [html, png] = process.argv.slice(2);
  if (!html || !png) {
    process.stderr.write("usage: ts-node local/screenshot.ts <report.html> <out.png>\n");
    process.exit(2);
  }
  screenshotReport(html, png)
    .then((charts) => {
      for (const c of charts) process.stdout.write(`${c.id}: ${c.points} points, ${c.paintedPixels} px\n`);
    })
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
