import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const repo = resolve(__dirname, "../..");
const notebooksDir = join(repo, "notebooks");

/** Text each executed notebook's outputs must contain; extend when adding a notebook. */
const expectedOutput: Record<string, RegExp[]> = {
  "00-environment.ipynb": [/Active backend/, /Node/],
};

interface NotebookOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
}

function outputText(output: NotebookOutput): string {
  const join = (v: string | string[] | undefined): string => (Array.isArray(v) ? v.join("") : (v ?? ""));
  return join(output.text) + Object.values(output.data ?? {}).map(join).join("\n");
}

const notebooks = readdirSync(notebooksDir).filter((f) => f.endsWith(".ipynb")).sort();

test("notebooks/ holds notebooks and each has content expectations", () => {
  assert.ok(notebooks.length > 0, "no notebooks found under notebooks/");
  for (const name of notebooks) assert.ok(expectedOutput[name], `add output expectations for ${name} in ${__filename}`);
});

for (const name of notebooks) {
  test(`${name} executes headless through the project kernel (LAB_MODE=smoke)`, () => {
    const outDir = mkdtempSync(join(tmpdir(), "nb-"));
    execFileSync(
      "/usr/bin/python3",
      ["-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", join(notebooksDir, name), "--output-dir", outDir],
      { env: { ...process.env, JUPYTER_PATH: join(repo, "jupyter"), LAB_MODE: "smoke" }, stdio: "pipe", timeout: 300_000 },
    );
    const executed = JSON.parse(readFileSync(join(outDir, name), "utf8")) as { cells: { outputs?: NotebookOutput[] }[] };
    const outputs = executed.cells.flatMap((c) => c.outputs ?? []);
    for (const o of outputs) {
      assert.notEqual(o.output_type, "error", `${name}: error output ${outputText(o)}`);
      if (o.name === "stderr") assert.doesNotMatch(outputText(o), /Error|Exception/, `${name}: stderr ${outputText(o)}`);
    }
    const all = outputs.map(outputText).join("\n");
    for (const pattern of expectedOutput[name] ?? []) assert.match(all, pattern, `${name}: outputs lack ${pattern}`);
  });
}
