/**
 * compareQuantizations measures what loading each variant through tf.loadLayersModel gives:
 * float32 accuracy equals an independent count on the graph evaluator, sizes shrink 2x/4x, and a
 * model with an outlier weight that uint8 cannot represent is flagged as not acceptable.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useWasmBackend } from "../../kernel-lib/env/wasm-backend";
import { resnetGraphFromStateDict } from "../../kernel-lib/export/resnet-graph";
import { foldBatchNorm } from "../../kernel-lib/export/fold-batch-norm";
import { runInferenceGraph } from "../../kernel-lib/export/run-inference-graph";
import { compareQuantizations, type LabelledBatch } from "../../kernel-lib/export/quantization-report";
import { latencyTable, measureLatency } from "../../kernel-lib/export/latency";
import type { InferenceGraph } from "../../kernel-lib/export/inference-graph";
import { torchvisionMissing } from "../data/python-reference";
import { disposeFixture, torchResNetFixture } from "./torch-resnet-fixture";

const skip = torchvisionMissing();

/** Labels: PyTorch's own top-1 for the first half of the images, a deliberately wrong class for the rest. */
function labelledBatches(logits: tf.Tensor2D, images: tf.Tensor4D, batchSize: number): { batches: LabelledBatch[]; expectedAccuracy: number } {
  const predicted = Array.from(tf.tidy(() => tf.argMax(logits, 1)).dataSync());
  const classes = logits.shape[1];
  const labels = predicted.map((label, i) => (i < predicted.length / 2 ? label : (label + 1) % classes));
  const batches: LabelledBatch[] = [];
  for (let start = 0; start < labels.length; start += batchSize) {
    const size = Math.min(batchSize, labels.length - start);
    batches.push([tf.slice(images, [start, 0, 0, 0], [size, -1, -1, -1]), tf.tensor1d(labels.slice(start, start + size), "int32")]);
  }
  return { batches, expectedAccuracy: Math.ceil(labels.length / 2) / labels.length };
}

test("float32/float16/uint8 sizes and accuracies, float32 accuracy checked independently", { skip }, async () => {
  await useWasmBackend();
  const fixture = torchResNetFixture({ layers: [1, 1, 1, 1], classes: 10, imageSize: 16, batch: 12, cifarStem: true, seed: 8 });
  const graph = resnetGraphFromStateDict(fixture.stateDict, { inputShape: fixture.inputShape });
  const { batches, expectedAccuracy } = labelledBatches(fixture.logits, fixture.images, 5);
  const before = tf.memory().numTensors;
  const report = await compareQuantizations(graph, batches, { keepBatches: true });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(report.images, 12);
  const [float32, float16, uint8] = report.rows;
  assert.deepEqual(report.rows.map((row) => row.quantization), ["float32", "float16", "uint8"]);
  assert.equal(float32.accuracy, expectedAccuracy);
  assert.equal(float32.agreement, 1);
  assert.equal(float32.maxAbsLogitDiff, 0);
  assert.equal(float16.sizeRatio, 0.5);
  assert.equal(uint8.sizeRatio, 0.25);
  assert.ok(float16.maxAbsLogitDiff > 0 && float16.maxAbsLogitDiff < 1e-2);
  console.log(report.rows.map((row) => `${row.quantization}: ${row.weightBytes} B acc ${row.accuracy.toFixed(3)} agree ${row.agreement.toFixed(3)} max|Δ| ${row.maxAbsLogitDiff.toExponential(2)}`).join("\n"));
  tf.dispose(batches.flat());
  disposeFixture(fixture);
});

test("uint8 that wrecks a model (an outlier weight stretches the quantization step) is flagged", { skip }, async () => {
  await useWasmBackend();
  const fixture = torchResNetFixture({ layers: [1, 1, 1, 1], classes: 10, imageSize: 16, batch: 16, cifarStem: true, seed: 9 });
  const clean = resnetGraphFromStateDict(fixture.stateDict, { inputShape: fixture.inputShape });
  // One large negative fc weight only rules class 0 out in float32, but it stretches uint8's single
  // (min, scale) per tensor so far that every other fc weight rounds to the same value: the classes
  // then differ by their biases alone.
  const graph: InferenceGraph = {
    ...clean,
    nodes: clean.nodes.map((node) => {
      if (node.op !== "linear") return node;
      const values = Float32Array.from(node.weight.values);
      values[0] = -1e3;
      return { ...node, weight: { shape: node.weight.shape, values } };
    }),
  };
  const logits = runInferenceGraph(foldBatchNorm(graph), fixture.images);
  const predicted = Array.from(tf.tidy(() => tf.argMax(logits, 1)).dataSync());
  const batches: LabelledBatch[] = [[fixture.images.clone(), tf.tensor1d(predicted, "int32")]];
  const report = await compareQuantizations(graph, batches, { maxAccuracyDrop: 0.05 });
  const uint8 = report.rows.find((row) => row.quantization === "uint8");
  assert.ok(uint8);
  console.log(`outlier model: float32 acc ${report.rows[0].accuracy}, uint8 acc ${uint8.accuracy}`);
  assert.equal(report.rows[0].accuracy, 1);
  assert.ok(uint8.accuracyDrop > 0.05, `uint8 drop ${uint8.accuracyDrop} was expected to be large`);
  assert.equal(uint8.acceptable, false);
  assert.equal(report.rows.find((row) => row.quantization === "float16")?.acceptable, true);
  logits.dispose();
  disposeFixture(fixture);
});

test("measureLatency runs warm-up plus N timed runs; latencyTable reports engines it cannot start", async () => {
  let calls = 0;
  const summary = await measureLatency(() => {
    calls++;
  }, { warmup: 3, runs: 7 });
  assert.equal(calls, 10);
  assert.equal(summary.runs, 7);
  assert.ok(summary.minMs <= summary.medianMs && summary.medianMs <= summary.maxMs);
  // A budget stops the timed runs early, but never before 3 of them.
  let slowCalls = 0;
  const budgeted = await measureLatency(() => {
    slowCalls++;
    const until = performance.now() + 5;
    while (performance.now() < until);
  }, { warmup: 0, runs: 100, timeBudgetMs: 1 });
  assert.equal(budgeted.runs, 3);
  assert.equal(slowCalls, 3);

  const tiny: InferenceGraph = {
    name: "tiny",
    input: "input",
    inputShape: [8, 8, 3],
    nodes: [
      { op: "conv2d", name: "conv", input: "input", filter: { shape: [3, 3, 3, 4], values: new Float32Array(108).fill(0.1) }, strides: [2, 2], pads: [1, 1, 1, 1] },
      { op: "relu", name: "relu", input: "conv" },
      { op: "globalAvgPool", name: "pool", input: "relu" },
      { op: "linear", name: "fc", input: "pool", weight: { shape: [4, 2], values: new Float32Array(8).fill(1) } },
    ],
    output: "fc",
  };
  const before = tf.memory().numTensors;
  const rows = await latencyTable(tiny, { backends: ["cpu", "no-such-backend"], runs: 3, warmup: 1 });
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(rows.map((row) => row.engine), ["tfjs-cpu", "tfjs-no-such-backend", "onnxruntime-node"]);
  assert.ok((rows[0].medianMs ?? -1) >= 0);
  assert.match(rows[1].skipped ?? "", /no-such-backend/);
  assert.ok((rows[2].medianMs ?? -1) >= 0, `onnxruntime-node row: ${JSON.stringify(rows[2])}`);
});
