import { test } from "node:test";
import * as assert from "node:assert/strict";
import { nbconvertArguments } from "../../kernel-lib/report/notebook-runner";

const timeoutOf = (args: string[]) => args.find((arg) => arg.startsWith("--ExecutePreprocessor.timeout="));

test("full mode runs cells without a time limit; other modes stop a cell after 30 minutes; an explicit limit wins", () => {
  const notebook = { notebookPath: "notebooks/02-cifar10-resnet18.ipynb", outputDir: "out/x" };
  assert.equal(timeoutOf(nbconvertArguments(notebook, "full", "/tmp/s")), "--ExecutePreprocessor.timeout=-1");
  assert.equal(timeoutOf(nbconvertArguments(notebook, "sample", "/tmp/s")), "--ExecutePreprocessor.timeout=1800");
  assert.equal(timeoutOf(nbconvertArguments({ ...notebook, cellTimeoutSeconds: 600 }, "full", "/tmp/s")), "--ExecutePreprocessor.timeout=600");
});

test("the notebook is executed into the scratch folder under its own name, with the project kernel", () => {
  const args = nbconvertArguments({ notebookPath: "notebooks/01-transfer-learning.ipynb", outputDir: "out/x" }, "smoke", "/tmp/scratch");
  assert.deepEqual(args.slice(args.indexOf("--output-dir"), args.indexOf("--output-dir") + 4), ["--output-dir", "/tmp/scratch", "--output", "01-transfer-learning.ipynb"]);
  assert.ok(args.includes("--ExecutePreprocessor.kernel_name=ts-resnet-lab"));
  assert.ok(args.includes("--allow-errors"));
  assert.ok(!nbconvertArguments({ notebookPath: "a.ipynb", outputDir: "o", allowErrors: false }, "smoke", "/s").includes("--allow-errors"));
});
