// What Jupyter's own notebook runner (nbclient, via nbconvert --allow-errors) records from the kernel:
// a failing cell must not stop the cells after it, counts must be set, the error must name its line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const repo = resolve(__dirname, "../..");
const fixture = join(__dirname, "fixtures", "failing-then-passing.ipynb");

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  ename?: string;
  evalue?: string;
  traceback?: string[];
  execution_count?: number;
  data?: Record<string, string | string[]>;
}
interface Cell {
  execution_count: number | null;
  outputs: Output[];
}

const text = (v: string | string[] | undefined): string => (Array.isArray(v) ? v.join("") : (v ?? ""));

test("nbclient with allow-errors runs every cell, records counts 1,2,3 and an error naming the line", () => {
  const outDir = mkdtempSync(join(tmpdir(), "kernel-protocol-"));
  try {
    execFileSync(
      "/usr/bin/python3",
      ["-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--allow-errors", fixture, "--output-dir", outDir],
      { env: { ...process.env, JUPYTER_PATH: join(repo, "jupyter") }, stdio: "pipe", timeout: 120_000 },
    );
    const cells = (JSON.parse(readFileSync(join(outDir, "failing-then-passing.ipynb"), "utf8")) as { cells: Cell[] }).cells;
    assert.deepEqual(cells.map((c) => c.execution_count), [1, 2, 3]);

    const [first, failing, last] = cells;
    assert.deepEqual(first.outputs.map((o) => o.output_type), ["stream", "execute_result"]);
    assert.equal(text(first.outputs[0].text), "first cell prints\n");
    assert.equal(text(first.outputs[1].data?.["text/plain"]), "42");
    assert.equal(first.outputs[1].execution_count, 1);

    assert.equal(failing.outputs.length, 1);
    const error = failing.outputs[0];
    assert.equal(error.output_type, "error");
    assert.equal(error.ename, "Error");
    assert.equal(error.evalue, "failed on line three: line one");
    const traceback = (error.traceback ?? []).join("\n");
    assert.match(traceback, /line 3\b/);
    assert.match(traceback, /throw new Error\('failed on line three: ' \+ first\)/);

    assert.equal(text(last.outputs[0].text), "third cell still runs after the failure\n");
    assert.equal(text(last.outputs[1].data?.["text/plain"]), "'done 41'");
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});
