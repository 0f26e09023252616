import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  readRunResults, renderResultsTable, updateResultsSection, RESULTS_BEGIN, RESULTS_END, RunResult,
} from "../../kernel-lib/report/results-table";

function sampleResult(overrides: Partial<RunResult>): RunResult {
  return {
    name: "cifar10-resnet18", framework: "PyTorch 1.13", backend: "cpu (2 threads)", hardware: "test CPU",
    dataset: "CIFAR-10 JPEG copy", trainImages: 50000, testImages: 10000, epochs: 1, wallSeconds: 600,
    testAccuracy: 0.5, command: "python3 x.py --epochs 1", finishedAt: "2026-11-22T00:00:00Z", ...overrides,
  };
}

test("the table is built from the result files, one row each, in file-name order", () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "results-"));
  fs.writeFileSync(path.join(folder, "b.json"), JSON.stringify(sampleResult({ framework: "kernel-lib", testAccuracy: 0.4321 })));
  fs.writeFileSync(path.join(folder, "a.json"), JSON.stringify(sampleResult({ testAccuracy: 0.8765, wallSeconds: 7200 })));
  fs.writeFileSync(path.join(folder, "notes.txt"), "not a result");
  const table = renderResultsTable(readRunResults(folder));
  const rows = table.split("\n").slice(2);
  assert.equal(rows.length, 2);
  assert.match(rows[0], /PyTorch 1\.13.*87\.65 %/);
  assert.match(rows[0], /2\.00 h/);
  assert.match(rows[1], /kernel-lib.*43\.21 %/);
  assert.match(rows[1], /10\.0 min/);
  assert.match(rows[1], /50,000 \/ 10,000/);
});

test("a result file with a missing field is rejected with its name", () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "results-"));
  const partial: Record<string, unknown> = { ...sampleResult({}) };
  delete partial.testAccuracy;
  fs.writeFileSync(path.join(folder, "broken.json"), JSON.stringify(partial));
  assert.throws(() => readRunResults(folder), /broken\.json: missing field "testAccuracy"/);
  fs.writeFileSync(path.join(folder, "broken.json"), "{ truncated");
  assert.throws(() => readRunResults(folder), /broken\.json: not a readable JSON/);
});

test("only the text between the markers is replaced", () => {
  const readme = `# Title\n\n${RESULTS_BEGIN}\nold table\n${RESULTS_END}\n\nAfter.\n`;
  const updated = updateResultsSection(readme, "NEW TABLE");
  assert.equal(updated, `# Title\n\n${RESULTS_BEGIN}\nNEW TABLE\n${RESULTS_END}\n\nAfter.\n`);
  assert.equal(updateResultsSection(updated, "NEW TABLE"), updated);
  assert.throws(() => updateResultsSection("# no markers", "x", "X.md"), /X\.md: results markers not found/);
});

test("no result files gives an explicit placeholder, not an empty table", () => {
  assert.match(renderResultsTable([]), /No full runs recorded yet/);
});

test("a result file with a badly typed field is rejected like writeRunResultFile would reject it", () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "results-"));
  fs.writeFileSync(path.join(folder, "percent.json"), JSON.stringify(sampleResult({ testAccuracy: 87.5 })));
  assert.throws(() => readRunResults(folder), /percent\.json: "testAccuracy" must be a fraction in \[0, 1\]/);
  fs.writeFileSync(path.join(folder, "percent.json"), JSON.stringify(sampleResult({ epochs: "one" as unknown as number })));
  assert.throws(() => readRunResults(folder), /percent\.json: "epochs" must be a whole number/);
});
