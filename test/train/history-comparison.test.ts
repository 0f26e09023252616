import { test } from "node:test";
import assert from "node:assert/strict";
import type { EpochRecord } from "../../kernel-lib/train/callbacks";
import { historyComparisonRows, historyComparisonTable } from "../../kernel-lib/train/history-comparison";

function record(epoch: number, trainLoss: number, valAccuracy: number | undefined, seconds: number): EpochRecord {
  return { epoch, trainLoss, trainAccuracy: 0.5, valLoss: valAccuracy === undefined ? undefined : 1, valAccuracy, lr: 0.01, seconds, imagesPerSecond: 10, metrics: {} };
}

const frozen = { name: "frozen backbone", trainableParameters: 1026, history: [record(0, 0.7, 0.6, 2), record(1, 0.5, 0.8, 4), record(2, 0.4, 0.75, 3)] };
const all = { name: "fine-tune all", trainableParameters: 11177538, history: [record(0, 0.6, 0.9, 10)] };

test("historyComparisonRows: final and best validation accuracy, mean epoch time, in the order given", () => {
  const rows = historyComparisonRows([frozen, all]);
  assert.deepEqual(rows[0], {
    name: "frozen backbone", trainableParameters: 1026, epochs: 3, secondsPerEpoch: 3, finalTrainLoss: 0.4,
    finalValAccuracy: 0.75, bestValAccuracy: 0.8, bestEpoch: 1,
  });
  assert.equal(rows[1].name, "fine-tune all");
  assert.equal(rows[1].bestEpoch, 0);
});

test("historyComparisonTable: one aligned text table and an HTML table; runs without validation show '-'", () => {
  const noVal = { name: "no val", history: [record(0, 1.2, undefined, 1)] };
  const bundle = historyComparisonTable([frozen, all, noVal], "strategy");
  const lines = bundle["text/plain"].split("\n");
  assert.match(lines[0], /^strategy\s+trainable params\s+epochs\s+s\/epoch\s+train loss\s+val acc\s+best val acc$/);
  assert.match(lines[2], /^frozen backbone\s+1,026\s+3\s+3\.0\s+0\.4000\s+75\.00%\s+80\.00% \(epoch 2\)$/);
  assert.match(lines[3], /^fine-tune all\s+11,177,538\s+1\s+10\.0\s+0\.6000\s+90\.00%\s+90\.00% \(epoch 1\)$/);
  assert.match(lines[4], /^no val\s+-\s+1\s+1\.0\s+1\.2000\s+-\s+-$/);
  assert.equal(new Set(lines.map((line) => line.length)).size, 1, "columns must line up");
  assert.match(bundle["text/html"] ?? "", /<table class="kernel-lib-comparison">.*<th>strategy<\/th>.*<td style="text-align:left">frozen backbone<\/td>/);
});

test("historyComparisonRows rejects no runs and an empty history, naming the fix", () => {
  assert.throws(() => historyComparisonRows([]), /no runs; pass \[\{ name, history \}\]/);
  assert.throws(() => historyComparisonRows([{ name: "x", history: [] }]), /run "x" has an empty history/);
});
