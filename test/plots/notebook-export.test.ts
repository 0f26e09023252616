/**
 * The whole chain a student uses: a notebook calling every plot runs through the project kernel
 * (nbconvert --execute), each plot output is a {text/plain, text/html, image/png} bundle with plotly
 * inlined once, and the HTML export draws every chart in headless Chromium.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { PALETTE } from "../../kernel-lib/plots/chart-spec";
import { chartDivs, chromiumMissing, runChromium, screenshotStats } from "./headless-chromium";

const repo = path.resolve(__dirname, "../..");
const PYTHON = "/usr/bin/python3";

function nbconvertMissing(): string | undefined {
  const probe = spawnSync(PYTHON, ["-m", "jupyter", "nbconvert", "--version"], { encoding: "utf8" });
  if (probe.status === 0) return undefined;
  const reason = `${PYTHON} -m jupyter nbconvert is unavailable (apt-get install -y --no-install-recommends jupyter-nbconvert python3-nbclient jupyter-client)`;
  console.error(`\n!!! SKIPPING the plots notebook export test: ${reason}\n`);
  return reason;
}

const cells = [
  `import * as tf from "@tensorflow/tfjs";\nimport * as plots from "./kernel-lib/plots";\nplots.resetPlotlySession();`,
  `const curves = await plots.plotHistory([0, 1, 2, 3].map((epoch) => ({ epoch, trainLoss: 2 / (epoch + 1), trainAccuracy: 0.5 + 0.1 * epoch, valLoss: 2.2 / (epoch + 1), valAccuracy: 0.45 + 0.1 * epoch })));`,
  `const schedule = await plots.plotLrSchedule([0.1, 0.1, 0.01, 0.01, 0.001], { log: true });`,
  `const names = ["ants", "bees", "wasps"];\nconst yTrue = [0, 1, 2, 0, 1, 2, 0, 1, 2, 2];\nconst yPred = [0, 1, 2, 1, 1, 0, 0, 1, 2, 2];\nconst matrix = await plots.confusionMatrix(yTrue, yPred, names);\nconsole.log("matrix", JSON.stringify(matrix.matrix));`,
  `const perClass = await plots.perClassAccuracy(yTrue, yPred, names);`,
  `const batch = tf.randomUniform([6, 16, 16, 3]) as tf.Tensor4D;\nconst grid = await plots.showImages(batch, [0, 1, 2, 0, 1, 2], { classNames: names, nrow: 3 });`,
  `const top = await plots.plotTopLosses(batch, [0.1, 2.0, 0.3, 1.5, 0.2, 0.9], [0, 2, 2, 1, 1, 0], [0, 1, 2, 0, 1, 2], names, 3);\nbatch.dispose();`,
];
const CHART_COUNT = 5; // history (2 panels) + LR schedule + confusion matrix + per-class accuracy
const IMAGE_GRID_COUNT = 2;

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
}

const joined = (value: string | string[] | undefined): string => (Array.isArray(value) ? value.join("") : (value ?? ""));

const skip = nbconvertMissing() ?? chromiumMissing("the plots notebook export test");

test("every plot appears in an executed notebook and draws in its HTML export", { skip, timeout: 400_000 }, async () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "plots-notebook-"));
  try {
    const notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: "ts-resnet-lab", display_name: "TypeScript (ResNet lab)", language: "typescript" } },
      cells: cells.map((source, index) => ({ cell_type: "code", id: `cell-${index}`, metadata: {}, execution_count: null, outputs: [], source })),
    };
    const source = path.join(scratch, "plots.ipynb");
    fs.writeFileSync(source, JSON.stringify(notebook));
    const env = { ...process.env, JUPYTER_PATH: path.join(repo, "jupyter"), LAB_MODE: "smoke" };
    const executedDir = path.join(scratch, "executed");
    execFileSync(PYTHON, ["-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", source, "--output-dir", executedDir], { env, stdio: "pipe", timeout: 300_000 });
    const executed = JSON.parse(fs.readFileSync(path.join(executedDir, "plots.ipynb"), "utf8")) as { cells: Array<{ outputs?: Output[] }> };
    const outputs = executed.cells.flatMap((cell) => cell.outputs ?? []);
    for (const output of outputs) {
      assert.notEqual(output.output_type, "error", `error output: ${JSON.stringify(output).slice(0, 500)}`);
      if (output.name === "stderr") assert.doesNotMatch(joined(output.text), /Error/, `stderr: ${joined(output.text)}`);
    }
    const displays = outputs.filter((output) => output.output_type === "display_data");
    assert.equal(displays.length, 6, "one display per plot call");
    for (const output of displays) assert.deepEqual(Object.keys(output.data ?? {}).sort(), ["image/png", "text/html", "text/plain"]);
    const html = displays.map((output) => joined(output.data?.["text/html"])).join("\n");
    assert.equal(html.split("plotly.js v3.7.0").length - 1, 1, "plotly inlined once in the notebook");
    assert.match(outputs.map((output) => joined(output.text)).join(""), /matrix \[\[2,1,0\],\[0,3,0\],\[1,0,3\]\]/);

    const exported = path.join(scratch, "plots.html");
    execFileSync(PYTHON, ["-m", "jupyter", "nbconvert", "--to", "html", path.join(executedDir, "plots.ipynb"), "--output-dir", scratch], { env, stdio: "pipe", timeout: 120_000 });
    const url = pathToFileURL(exported).href;
    const dom = await runChromium(scratch, ["--dump-dom"], url);
    const charts = chartDivs(dom);
    assert.equal(charts.length, CHART_COUNT);
    charts.forEach((body, index) => assert.match(body, /class="main-svg"/, `chart ${index} drawn by plotly in the exported page`));
    assert.equal(dom.split('<figure style="margin:0">').length - 1, IMAGE_GRID_COUNT, "image grids embedded");

    const screenshot = path.join(scratch, "shot.png");
    await runChromium(scratch, [`--screenshot=${screenshot}`, "--window-size=1200,2400"], url);
    const stats = await screenshotStats(screenshot, PALETTE[0]);
    assert.ok(stats.drawnPixels > stats.width * stats.height * 0.05, `screenshot not blank (${stats.drawnPixels} drawn pixels)`);
    assert.ok(stats.colorPixels > 500, `trace colour visible (${stats.colorPixels} pixels)`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});
