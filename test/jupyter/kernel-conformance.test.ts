// Runs jupyter_kernel_test (Debian python3-jupyter-kernel-test) plus our own protocol checks
// (kernel_conformance.py) against the project's kernel, through the committed kernelspec.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

const repo = resolve(__dirname, "../..");

test("the kernel passes jupyter_kernel_test and the protocol checks of kernel_conformance.py", () => {
  const run = spawnSync("/usr/bin/python3", ["-m", "unittest", "-v", "kernel_conformance"], {
    cwd: __dirname,
    env: { ...process.env, JUPYTER_PATH: resolve(repo, "jupyter"), PYTHONDONTWRITEBYTECODE: "1" },
    encoding: "utf8",
    timeout: 180_000,
  });
  // unittest reports on stderr; show it so the run log lists which checks passed or were skipped.
  process.stdout.write(run.stderr ?? "");
  assert.equal(run.error, undefined, `could not run /usr/bin/python3 -m unittest: ${run.error?.message}`);
  assert.doesNotMatch(run.stderr, /No module named '?jupyter_kernel_test/,
    "install Debian's python3-jupyter-kernel-test (apt-get install -y --no-install-recommends python3-jupyter-kernel-test)");
  assert.match(run.stderr, /Ran \d+ tests/, "unittest did not run the kernel checks");
  assert.equal(run.status, 0, "some kernel checks failed: see the unittest report above");
});
