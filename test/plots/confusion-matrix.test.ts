/**
 * Confusion matrix and per-class accuracy vs an independent computation: counting (true, predicted) pairs
 * as strings in a Map, and per class by filtering, on seeded random labels.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { computeConfusionMatrix, confusionMatrix } from "../../kernel-lib/plots/confusion-matrix";
import { computePerClassAccuracy, perClassAccuracy } from "../../kernel-lib/plots/per-class-accuracy";

/** Small deterministic generator (mulberry32) so failures reproduce. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomLabels(count: number, classCount: number, seed: number): { yTrue: number[]; yPred: number[] } {
  const random = seededRandom(seed);
  const yTrue = Array.from({ length: count }, () => Math.floor(random() * classCount));
  // A biased classifier: right 70% of the time, otherwise any class.
  const yPred = yTrue.map((label) => (random() < 0.7 ? label : Math.floor(random() * classCount)));
  return { yTrue, yPred };
}

function pairCounts(yTrue: number[], yPred: number[]): Map<string, number> {
  const counts = new Map<string, number>();
  yTrue.forEach((label, index) => {
    const key = `${label},${yPred[index]}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  return counts;
}

const names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog"];

test("confusion matrix equals counted (true, predicted) pairs", () => {
  const { yTrue, yPred } = randomLabels(1000, names.length, 7);
  const matrix = computeConfusionMatrix(yTrue, yPred, names.length);
  const expected = pairCounts(yTrue, yPred);
  for (let row = 0; row < names.length; row++) {
    for (let column = 0; column < names.length; column++) assert.equal(matrix[row][column], expected.get(`${row},${column}`) ?? 0, `cell [${row}][${column}]`);
  }
  assert.equal(matrix.flat().reduce((a, b) => a + b, 0), 1000);
});

test("confusionMatrix returns the counts, accuracy and a heatmap with class names and counts", async () => {
  const { yTrue, yPred } = randomLabels(300, names.length, 11);
  const result = await confusionMatrix(tf.tensor1d(yTrue, "int32"), Int32Array.from(yPred), names, { show: false, includePlotly: false });
  const expected = pairCounts(yTrue, yPred);
  assert.equal(result.matrix[2][3], expected.get("2,3") ?? 0);
  const correct = yTrue.filter((label, index) => label === yPred[index]).length;
  assert.equal(result.accuracy, correct / 300);
  assert.equal(result.sampleCount, 300);
  const heatmap = result.chart.traces[0];
  assert.equal(heatmap.type, "heatmap");
  if (heatmap.type !== "heatmap") return;
  assert.deepEqual(heatmap.x, names);
  assert.deepEqual(heatmap.y, names);
  assert.equal(heatmap.text?.[4][4], String(expected.get("4,4") ?? 0));
  for (const name of names) assert.ok(result.bundle["text/plain"].includes(name), `text summary names ${name}`);
  const rowSums = result.matrix.map((row) => row.reduce((a, b) => a + b, 0));
  result.normalized.forEach((row, index) => row.forEach((value, column) => assert.ok(Math.abs(value - result.matrix[index][column] / rowSums[index]) < 1e-12)));
});

test("per-class accuracy equals filtering each class's samples", async () => {
  const { yTrue, yPred } = randomLabels(500, names.length, 23);
  // A class with no samples must give NaN, not 0 or a division error.
  const withoutLast = yTrue.map((label) => (label === 6 ? 5 : label));
  const result = computePerClassAccuracy(withoutLast, yPred, names.length);
  for (let label = 0; label < names.length; label++) {
    const members = withoutLast.map((value, index) => ({ value, index })).filter((entry) => entry.value === label);
    const hits = members.filter((entry) => yPred[entry.index] === label).length;
    assert.equal(result.support[label], members.length);
    assert.equal(result.correct[label], hits);
    if (members.length === 0) assert.ok(Number.isNaN(result.accuracy[label]));
    else assert.equal(result.accuracy[label], hits / members.length);
  }
  const plotted = await perClassAccuracy(withoutLast, yPred, names, { show: false, includePlotly: false });
  const bars = plotted.chart.traces[0];
  assert.equal(bars.type, "bar");
  if (bars.type === "bar") assert.ok(Math.abs(bars.y[0] - 100 * result.accuracy[0]) < 1e-9);
});

test("bad labels fail with messages naming the argument and the fix", () => {
  assert.throws(() => computeConfusionMatrix([0, 1, 7], [0, 1, 2], 3), /yTrue\[2\] = 7.*\[0, 2\]/);
  assert.throws(() => computeConfusionMatrix([0, 1], [0, 1, 2], 3), /yTrue has 2 labels but yPred has 3/);
  assert.throws(() => computeConfusionMatrix([0, 1.5], [0, 1], 3), /yTrue\[1\] = 1.5/);
  const logits = tf.zeros([2, 3]);
  assert.throws(() => computeConfusionMatrix(logits, [0, 1], 3), /argMax/);
  logits.dispose();
});

test("normalize 'true' shows each row as percentages of that class", async () => {
  const yTrue = [0, 0, 0, 0, 1, 1, 2];
  const yPred = [0, 0, 0, 1, 1, 2, 2];
  const result = await confusionMatrix(yTrue, yPred, ["a", "b", "c"], { normalize: "true", show: false, includePlotly: false });
  const heatmap = result.chart.traces[0];
  assert.equal(heatmap.type, "heatmap");
  if (heatmap.type !== "heatmap") return;
  for (let row = 0; row < 3; row++) {
    const members = yTrue.map((label, index) => ({ label, index })).filter((entry) => entry.label === row);
    for (let column = 0; column < 3; column++) {
      const share = members.filter((entry) => yPred[entry.index] === column).length / members.length;
      assert.ok(Math.abs(heatmap.z[row][column] - share) < 1e-12, `z[${row}][${column}]`);
      assert.equal(heatmap.text?.[row][column], `${(100 * share).toFixed(1)}%`);
    }
  }
});
