/**
 * A page made of chart outputs, as an exported notebook is, opened from file:// in headless Debian
 * Chromium: plotly must draw every chart, including one placed BEFORE the output that carries the
 * bundle (what a re-run cell produces), and the screenshot must show the charts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { renderChart } from "../../kernel-lib/plots/figure";
import { resetPlotlySession } from "../../kernel-lib/plots/plotly-session";
import { PALETTE, type Chart } from "../../kernel-lib/plots/chart-spec";
import { chartDivs, chromiumMissing, runChromium, screenshotStats } from "./headless-chromium";

const lossChart: Chart = {
  traces: [
    { type: "scatter", name: "train loss", x: [1, 2, 3, 4, 5], y: [2.0, 1.2, 0.8, 0.6, 0.5], mode: "lines+markers" },
    { type: "scatter", name: "val loss", x: [1, 2, 3, 4, 5], y: [2.1, 1.4, 1.0, 0.9, 0.85], mode: "lines+markers" },
  ],
  layout: { title: "loss", xaxis: { title: "epoch" }, width: 600, height: 340 },
};
const matrixChart: Chart = {
  traces: [{ type: "heatmap", name: "confusion", z: [[40, 3], [5, 38]], x: ["ants", "bees"], y: ["ants", "bees"] }],
  layout: { title: "confusion matrix", xaxis: { title: "predicted" }, yaxis: { title: "true" }, width: 600, height: 340 },
};
const accuracyChart: Chart = {
  traces: [{ type: "bar", name: "accuracy", x: ["ants", "bees"], y: [93, 88] }],
  layout: { title: "per-class accuracy", width: 600, height: 340 },
};

const skip = chromiumMissing("the headless-Chromium chart test");

test("exported page: plotly draws every chart, also one that precedes the bundle", { skip, timeout: 240_000 }, async () => {
  resetPlotlySession();
  const first = await renderChart(lossChart);
  const second = await renderChart(matrixChart);
  // An output from a re-run earlier cell sits above the one that carried the bundle.
  const rerun = await renderChart(accuracyChart, { includePlotly: false });
  const outputs = [rerun, first, second].map((bundle) => bundle["text/html"] ?? "");
  assert.equal(outputs.filter((html) => html.includes("plotly.js v3.7.0")).length, 1);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "plots-chromium-"));
  try {
    const page = path.join(scratch, "report.html");
    // Roughly what nbconvert writes: each output in its own block; requirejs-free here, no network.
    fs.writeFileSync(page, `<!DOCTYPE html><html><head><meta charset="utf-8"><title>charts</title></head><body style="margin:0;background:#fff">\n${outputs.map((html) => `<div class="output">${html}</div>`).join("\n")}\n</body></html>`);
    const url = pathToFileURL(page).href;
    const dom = await runChromium(scratch, ["--dump-dom"], url);
    const charts = chartDivs(dom);
    assert.equal(charts.length, 3, "three chart divs in the page");
    charts.forEach((body, index) => {
      assert.match(body, /class="main-svg"/, `chart ${index}: plotly drew its svg`);
      assert.doesNotMatch(body, /<img src="data:image\/png/, `chart ${index}: static fallback replaced`);
    });
    assert.match(dom, /class="heatmaplayer/, "the heatmap trace was drawn");
    assert.match(dom, />ants</, "class names on the axes");

    const screenshot = path.join(scratch, "shot.png");
    await runChromium(scratch, [`--screenshot=${screenshot}`, "--window-size=640,1100"], url);
    const stats = await screenshotStats(screenshot, PALETTE[0]);
    assert.equal(stats.width, 640);
    const pixels = stats.width * stats.height;
    assert.ok(stats.drawnPixels > pixels * 0.02, `screenshot is not blank (${stats.drawnPixels} of ${pixels} pixels drawn)`);
    assert.ok(stats.colorPixels > 200, `the first trace's colour is visible (${stats.colorPixels} pixels)`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});
