import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { accuracyCurves, comparisonTable, pseudoLabelQuality } from "../../../kernel-lib/train/methods/comparison-report";
import { writeRunResult } from "../../../kernel-lib/train/methods/run-result-file";
import type { SemiSupervisedRun } from "../../../kernel-lib/train/methods/semi-supervised-run";
import { readRunResult } from "../../../kernel-lib/report/results-table";

const supervised: SemiSupervisedRun = {
  method: "supervised", labelsUsed: 50, wallSeconds: 12.34, finalAccuracy: 0.4,
  steps: [{ step: 0, loss: 2, classLoss: 2 }, { step: 1, loss: 1.5, classLoss: 1.5 }],
  evaluations: [{ step: 1, accuracy: 0.3, seconds: 5 }, { step: 2, accuracy: 0.4, seconds: 12 }],
};
const fixMatch: SemiSupervisedRun = {
  method: "fixmatch", labelsUsed: 50, wallSeconds: 30, finalAccuracy: 0.55,
  steps: [
    { step: 0, loss: 2, classLoss: 2, maskRate: 0, pseudoLabelAccuracy: null },
    { step: 1, loss: 2, classLoss: 2, maskRate: 0.5, pseudoLabelAccuracy: 0.8 },
    { step: 2, loss: 2, classLoss: 2, maskRate: 0.25, pseudoLabelAccuracy: 0.6 },
  ],
  evaluations: [{ step: 3, accuracy: 0.5, teacherAccuracy: 0.55, seconds: 30 }],
};

test("comparisonTable: one row per run with the reported model's accuracy", () => {
  const table = comparisonTable([supervised, fixMatch]);
  const lines = table["text/plain"].split("\n");
  assert.equal(lines.length, 4);
  assert.match(lines[2], /^supervised only\s+50\s+2\s+40\.00%\s+12\.3 s$/);
  assert.match(lines[3], /^FixMatch \(EMA model\)\s+50\s+3\s+55\.00%\s+30\.0 s$/);
  assert.equal((table["text/html"] ?? "").match(/<tr>/g)?.length, 3);
});

test("accuracy curves in percent; FixMatch pseudo-label quality as a moving average skipping nulls", () => {
  const curves = accuracyCurves([supervised, fixMatch]);
  assert.deepEqual(curves.traces.map((trace) => trace.name), ["supervised only", "FixMatch (student)", "FixMatch (EMA model)"]);
  assert.deepEqual(curves.traces[0].y, [30, 40]);
  const quality = pseudoLabelQuality(fixMatch, 2);
  assert.deepEqual(quality.traces[0].y, [0, 25, 37.5]); // mask: (0), (0+50)/2, (50+25)/2
  assert.deepEqual(quality.traces[1].y, [null, 80, 70]); // pseudo-label accuracy: null skipped
  assert.throws(() => pseudoLabelQuality(supervised), /needs the FixMatch run/);
});

test("writeRunResult writes a result file the README table reads", () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "ssl-results-"));
  try {
    const file = writeRunResult(fixMatch, {
      backend: "cpu", hardware: "test", dataset: "synthetic", unlabeledImages: 450, testImages: 100, labeledEpochs: 2, batchSize: 8, command: "test",
    }, folder);
    assert.deepEqual(fs.readdirSync(folder), [path.basename(file)]); // no temp file left behind
    const result = readRunResult(file);
    assert.equal(result.testAccuracy, 0.55);
    assert.equal(result.trainImages, 500);
    assert.match(result.name, /FixMatch \(EMA model\), 50 labels/);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
});
