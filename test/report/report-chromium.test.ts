// `npm run report` end to end: the CLI executes a notebook with a chart and writes the write-up; the page
// opens offline in headless Chromium with the plotly chart drawn (DOM check + screenshot).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { PALETTE } from "../../kernel-lib/plots/chart-spec";
import { temporaryFolder } from "../../kernel-lib/report/notebook-runner";
import { chartDivs, chromiumMissing, runChromium, screenshotStats } from "../plots/headless-chromium";

const repo = resolve(__dirname, "../..");
const fixture = join(__dirname, "fixtures", "chart.ipynb");

function runReportCli(args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      ["--require", "ts-node/register/transpile-only", join(repo, "kernel-lib/report/cli.ts"), ...args],
      { cwd: repo, timeout: 300_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => (error ? reject(new Error(`report CLI failed: ${error.message}\n${stdout}\n${stderr}`)) : resolvePromise(stdout)),
    );
  });
}

test("the report CLI writes a write-up whose chart headless Chromium draws offline", { skip: chromiumMissing("the report screenshot test") }, async () => {
  const outDir = temporaryFolder("report-chromium-");
  try {
    const log = await runReportCli([fixture, "--mode", "smoke", "--out", outDir]);
    assert.match(log, /report: 1\/1 notebooks ran cleanly/);
    const page = join(outDir, "chart.html");
    assert.ok(existsSync(page) && existsSync(join(outDir, "chart.ipynb")), "write-up and executed notebook written");
    assert.match(readFileSync(join(outDir, "index.html"), "utf8"), /<a href="chart\.html">chart<\/a> - ran cleanly in \d+ s/);

    const url = pathToFileURL(page).href;
    const dom = await runChromium(outDir, ["--dump-dom"], url);
    const charts = chartDivs(dom);
    assert.ok(charts.length >= 1, "the page holds the chart");
    charts.forEach((body, index) => assert.match(body, /class="main-svg"/, `chart ${index} drawn by plotly`));

    const screenshot = join(outDir, "report.png");
    await runChromium(outDir, [`--screenshot=${screenshot}`, "--window-size=1200,1600"], url);
    const stats = await screenshotStats(screenshot, PALETTE[0]);
    console.log(`report screenshot: ${stats.width}x${stats.height}, ${stats.drawnPixels} drawn pixels, ${stats.colorPixels} in the first trace colour`);
    assert.ok(stats.colorPixels > 300, `the first trace's colour is visible (${stats.colorPixels} pixels)`);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});
