// The smoke harness itself, on fixture notebooks: it must see a clean notebook as clean and catch
// error outputs, exceptions printed to stderr and notebooks that name another kernel.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import {
  allOutputText, assertUsesProjectKernel, outputText, executeNotebook, notebookProblems, readNotebook, temporaryFolder,
} from "../../kernel-lib/report/notebook-runner";

const fixtures = join(__dirname, "fixtures");

test("a passing fixture runs clean, in the requested mode, with its rich outputs", async () => {
  const outDir = temporaryFolder("harness-pass-");
  try {
    const { notebook } = await executeNotebook({ notebookPath: join(fixtures, "passing.ipynb"), outputDir: outDir, mode: "smoke" });
    assert.deepEqual(notebookProblems(notebook), []);
    const text = allOutputText(notebook);
    assert.match(text, /run mode: smoke/);
    assert.match(text, /id="fixture-table"/);
    assert.match(text, /a warning on stderr is fine/);
    const last = notebook.cells[notebook.cells.length - 1].outputs ?? [];
    const result = last.find((o) => o.output_type === "execute_result");
    assert.ok(result, "the last expression's value is an execute_result");
    assert.equal(outputText(result), "6");
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});

test("a failing fixture is reported: the error output with its line, and an exception on stderr", async () => {
  const outDir = temporaryFolder("harness-fail-");
  try {
    const { notebook } = await executeNotebook({ notebookPath: join(fixtures, "failing.ipynb"), outputDir: outDir, mode: "smoke" });
    const problems = notebookProblems(notebook);
    assert.equal(problems.length, 2, problems.join("\n\n"));
    assert.match(problems[0], /^cell 2: RangeError: fixture failure on line two\n[\s\S]*line 2/);
    assert.match(problems[1], /^cell 3: exception on stderr:\nTypeError: something broke/);
    // allow-errors: the cell after the failure still ran.
    assert.match(allOutputText(notebook), /after the failure/);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});

test("a notebook naming another kernel is refused with the fix", async () => {
  const path = join(fixtures, "wrong-kernel.ipynb");
  assert.throws(() => assertUsesProjectKernel(path, readNotebook(path)), /kernelspec\.name is "tslab"; it must be "ts-resnet-lab".*Change kernel/s);
  const outDir = temporaryFolder("harness-wrong-");
  try {
    await assert.rejects(executeNotebook({ notebookPath: path, outputDir: outDir }), /must be "ts-resnet-lab"/);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});

test("notebookProblems flags cells that never ran", () => {
  const problems = notebookProblems({
    cells: [
      { cell_type: "code", source: "1", execution_count: 1, outputs: [] },
      { cell_type: "markdown", source: "text" },
      { cell_type: "code", source: "2", execution_count: null, outputs: [] },
    ],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5,
  });
  assert.deepEqual(problems, ["cell 3: did not run (no execution_count)"]);
});
