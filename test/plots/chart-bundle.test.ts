/**
 * The MIME bundle of charts: plotly inlined once per session, a newPlot call carrying the data, a PNG
 * that decodes at the chart's size and actually shows the plotted series.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import sharp from "sharp";
import { renderChart, renderFigure } from "../../kernel-lib/plots/figure";
import { plotHistory } from "../../kernel-lib/plots/history-plot";
import { plotLrSchedule } from "../../kernel-lib/plots/lr-schedule-plot";
import { resetPlotlySession } from "../../kernel-lib/plots/plotly-session";
import { PALETTE, type Chart } from "../../kernel-lib/plots/chart-spec";
import type { EpochRecord } from "../../kernel-lib/train/callbacks";

const BUNDLE_MARKER = "plotly.js v3.7.0";

function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** The JSON literal assigned to `var <name> = ...;` in a chart script. */
function scriptValue(html: string, name: string): unknown {
  const match = new RegExp(`var ${name} = (.*);\\n`).exec(html);
  assert.ok(match, `chart script assigns ${name}`);
  return JSON.parse(match[1]);
}

async function decodePng(base64: string | undefined): Promise<{ width: number; height: number; pixels: Buffer; channels: number }> {
  assert.ok(base64, "bundle has image/png");
  const png = Buffer.from(base64, "base64");
  const metadata = await sharp(png).metadata();
  assert.equal(metadata.format, "png");
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: metadata.width ?? 0, height: metadata.height ?? 0, pixels: data, channels: info.channels };
}

function hexToRgb(hex: string): [number, number, number] {
  return [1, 3, 5].map((start) => parseInt(hex.slice(start, start + 2), 16)) as [number, number, number];
}

function countPixelsNear(pixels: Buffer, channels: number, rgb: [number, number, number], tolerance = 12): number {
  let count = 0;
  for (let i = 0; i < pixels.length; i += channels) {
    if (Math.abs(pixels[i] - rgb[0]) <= tolerance && Math.abs(pixels[i + 1] - rgb[1]) <= tolerance && Math.abs(pixels[i + 2] - rgb[2]) <= tolerance) count++;
  }
  return count;
}

function variance(pixels: Buffer): number {
  let sum = 0;
  let squares = 0;
  for (const value of pixels) {
    sum += value;
    squares += value * value;
  }
  const mean = sum / pixels.length;
  return squares / pixels.length - mean * mean;
}

// The records fit() returns (0-based epochs, accuracies as fractions).
const history: EpochRecord[] = Array.from({ length: 6 }, (_, index) => ({
  epoch: index,
  trainLoss: 2 / (index + 1),
  trainAccuracy: 0.4 + 0.08 * index,
  valLoss: 2.1 / (index + 1) + 0.05,
  valAccuracy: index === 2 ? undefined : 0.35 + 0.09 * index,
  lr: 0.1,
  seconds: 1,
  imagesPerSecond: 100,
  metrics: {},
}));

test("two charts in one session carry the plotly bundle once, each with its own newPlot and data", async () => {
  resetPlotlySession();
  const curves = await plotHistory(history, { show: false });
  const lrs = [0.1, 0.1, 0.01, 0.01, 0.001];
  const schedule = await plotLrSchedule(lrs, { show: false, log: true });
  const first = curves.bundle["text/html"] ?? "";
  const second = schedule.bundle["text/html"] ?? "";
  assert.equal(occurrences(first + second, BUNDLE_MARKER), 1, "bundle inlined exactly once across both outputs");
  assert.equal(occurrences(first, BUNDLE_MARKER), 1, "the first chart carries it");
  assert.equal(occurrences(first, "Plotly.newPlot(element, data, layout"), 2, "loss and accuracy panels");
  assert.equal(occurrences(second, "Plotly.newPlot(element, data, layout"), 1);
  const lrData = scriptValue(second, "data") as Array<{ x: number[]; y: number[]; type: string }>;
  assert.deepEqual(lrData[0].y, lrs);
  assert.deepEqual(lrData[0].x, [0, 1, 2, 3, 4]);
  const lrLayout = scriptValue(second, "layout") as { yaxis: { type: string } };
  assert.equal(lrLayout.yaxis.type, "log");
  // A missing validation value stays a gap (null), not 0.
  const accuracyScript = first.slice(first.lastIndexOf("var data = "));
  const accuracyData = scriptValue(accuracyScript, "data") as Array<{ name: string; x: number[]; y: Array<number | null> }>;
  const validation = accuracyData.find((trace) => trace.name === "val acc");
  assert.ok(validation);
  assert.equal(validation.y[2], null);
  assert.ok(Math.abs((validation.y[5] ?? 0) - 80) < 1e-9, "fractions are shown as percent");
  assert.equal(curves.bestEpoch, 5);
  assert.deepEqual(accuracyData[0].x, [1, 2, 3, 4, 5, 6], "epochs shown 1-based like the progress table");
  resetPlotlySession();
  const again = await renderChart(schedule.chart);
  assert.equal(occurrences(again["text/html"] ?? "", BUNDLE_MARKER), 1, "after a reset the next chart carries it again");
  const withoutBundle = await renderChart(schedule.chart, { includePlotly: false });
  assert.equal(occurrences(withoutBundle["text/html"] ?? "", BUNDLE_MARKER), 0);
});

test("chart divs get unique ids and text cannot close the script element", async () => {
  const chart: Chart = {
    traces: [{ type: "bar", name: "</script><b>x", x: ["</script>", "b"], y: [1, 2] }],
    layout: { title: "escape </script> test" },
  };
  const one = (await renderChart(chart, { includePlotly: false }))["text/html"] ?? "";
  const two = (await renderChart(chart, { includePlotly: false }))["text/html"] ?? "";
  assert.equal(occurrences(one, "</script>"), 1, "only the chart script's own closing tag");
  const idOf = (html: string): string => /<div id="([^"]+)" class="kernel-lib-chart"/.exec(html)?.[1] ?? "";
  assert.notEqual(idOf(one), "");
  assert.notEqual(idOf(one), idOf(two));
});

test("the PNG fallback decodes at the chart size and shows the series", async () => {
  const chart: Chart = {
    traces: [
      { type: "scatter", name: "train", x: [1, 2, 3, 4], y: [1, 0.6, 0.4, 0.3] },
      { type: "scatter", name: "val", x: [1, 2, 3, 4], y: [1.1, 0.8, 0.7, 0.65] },
    ],
    layout: { title: "loss", width: 640, height: 360 },
  };
  const bundle = await renderChart(chart, { includePlotly: false });
  const image = await decodePng(bundle["image/png"]);
  assert.equal(image.width, 640);
  assert.equal(image.height, 360);
  assert.ok(variance(image.pixels) > 100, "not a blank image");
  assert.ok(countPixelsNear(image.pixels, image.channels, hexToRgb(PALETTE[0])) > 150, "train line drawn in its colour");
  assert.ok(countPixelsNear(image.pixels, image.channels, hexToRgb(PALETTE[1])) > 150, "val line drawn in its colour");
  assert.match(bundle["text/plain"], /train: 4 points, 1 at 1 → 0\.3000 at 4/);
  // A two-panel figure is one PNG as wide as both panels.
  const figure = await renderFigure([chart, chart], { includePlotly: false });
  const both = await decodePng(figure["image/png"]);
  assert.equal(both.width, 1280);
  assert.equal(both.height, 360);
});

test("heatmap cells are coloured by count: the largest count is the darkest cell", async () => {
  const chart: Chart = {
    traces: [{ type: "heatmap", name: "m", z: [[50, 0], [5, 20]], x: ["a", "b"], y: ["a", "b"] }],
    layout: { title: "m", width: 400, height: 400 },
  };
  const svgBundle = await renderChart(chart, { includePlotly: false });
  const image = await decodePng(svgBundle["image/png"]);
  // The darkest blue of the scale (8, 48, 107) appears (the 50 cell); the empty cell is near white.
  assert.ok(countPixelsNear(image.pixels, image.channels, [8, 48, 107], 6) > 1000, "the largest count is drawn darkest");
  assert.ok(countPixelsNear(image.pixels, image.channels, [247, 251, 255], 3) > 1000, "a zero cell is drawn lightest");
});

test("in the kernel the hook receives the whole bundle; in a terminal only text is printed and the bundle stays pending", async () => {
  const globals = globalThis as { __kernelLibDisplay?: (bundle: Record<string, string | undefined>) => void };
  // In a child process: swapping this process's stdout.write would also swallow node:test's own reports.
  const script =
    `const plots = require(${JSON.stringify(path.resolve(__dirname, "../../kernel-lib/plots"))});` +
    `plots.plotLrSchedule([0.1, 0.05, 0.01]).then(() => console.log("pending=" + plots.plotlyBundlePending()));`;
  const terminal = spawnSync(process.execPath, ["--require", "ts-node/register/transpile-only", "-e", script], { encoding: "utf8", cwd: path.resolve(__dirname, "../..") });
  assert.equal(terminal.status, 0, terminal.stderr);
  assert.match(terminal.stdout, /^Learning-rate schedule\n {2}lr: 3 points/);
  assert.doesNotMatch(terminal.stdout, /<script|base64/, "a terminal gets only text");
  assert.match(terminal.stdout, /pending=true/, "a terminal output does not use up the bundle");

  resetPlotlySession();
  const received: Array<Record<string, string | undefined>> = [];
  globals.__kernelLibDisplay = (bundle) => received.push(bundle);
  try {
    await plotLrSchedule([0.1, 0.05, 0.01]);
    await plotLrSchedule([0.2, 0.1]);
  } finally {
    delete globals.__kernelLibDisplay;
  }
  assert.equal(received.length, 2);
  for (const bundle of received) assert.deepEqual(Object.keys(bundle).sort(), ["image/png", "text/html", "text/plain"]);
  assert.equal(occurrences(received[0]["text/html"] ?? "", BUNDLE_MARKER), 1);
  assert.equal(occurrences(received[1]["text/html"] ?? "", BUNDLE_MARKER), 0);
});
