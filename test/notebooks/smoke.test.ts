// Every notebooks/*.ipynb runs headless through the real kernel (nbclient via nbconvert) in
// LAB_MODE=smoke without error outputs or exceptions on stderr, and shows what expectations.ts asks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { allOutputText, executeNotebook, notebookProblems, readNotebook, assertUsesProjectKernel } from "../../kernel-lib/report/notebook-runner";
import { temporaryFolder } from "../../kernel-lib/report/notebook-runner";
import { notebookExpectations } from "./expectations";

const notebooksDir = resolve(__dirname, "../../notebooks");
const notebooks = readdirSync(notebooksDir).filter((f) => f.endsWith(".ipynb")).sort();

test("notebooks/ holds notebooks, each names the project kernel and has output expectations", () => {
  assert.ok(notebooks.length > 0, `no notebooks found under ${notebooksDir}: the smoke run would pass vacuously`);
  for (const name of notebooks) {
    assertUsesProjectKernel(name, readNotebook(join(notebooksDir, name)));
    assert.ok(notebookExpectations[name]?.length, `add output expectations for ${name} in test/notebooks/expectations.ts`);
  }
});

for (const name of notebooks) {
  test(`${name} runs headless through the project kernel (LAB_MODE=smoke)`, async () => {
    const outDir = temporaryFolder("notebook-smoke-");
    try {
      const { notebook, wallSeconds } = await executeNotebook({
        notebookPath: join(notebooksDir, name),
        outputDir: outDir,
        mode: "smoke",
        cellTimeoutSeconds: 600,
      });
      console.log(`${name}: ${wallSeconds.toFixed(1)} s`);
      assert.deepEqual(notebookProblems(notebook), [], `${name} failed`);
      const text = allOutputText(notebook);
      for (const pattern of notebookExpectations[name] ?? []) assert.match(text, pattern, `${name}: outputs lack ${pattern}`);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
}
