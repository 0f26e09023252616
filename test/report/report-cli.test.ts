import { test } from "node:test";
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { parseReportArguments } from "../../kernel-lib/report/cli";

const repo = resolve(__dirname, "../..");
const fixture = join(__dirname, "../notebooks/fixtures/passing.ipynb");

test("report arguments: named notebooks, mode from --mode over LAB_MODE, default sample and out/report", () => {
  assert.deepEqual(parseReportArguments([fixture, "--mode", "smoke", "--out", "/tmp/r"], { LAB_MODE: "full" }), {
    notebooks: [fixture],
    mode: "smoke",
    outDir: "/tmp/r",
  });
  const defaults = parseReportArguments([fixture], {});
  assert.equal(defaults.mode, "sample");
  assert.equal(defaults.outDir, join(repo, "out", "report"));
  assert.equal(parseReportArguments([fixture], { LAB_MODE: "full" }).mode, "full");
});

test("report arguments: bad input names the argument and the fix", () => {
  assert.throws(() => parseReportArguments([fixture, "--mode", "fast"], {}), /LAB_MODE="fast" is not a run mode; set LAB_MODE to one of smoke, sample, full/);
  assert.throws(() => parseReportArguments(["no-such-notebook"], {}), /notebook no-such-notebook not found/);
  assert.throws(() => parseReportArguments([fixture, "--mode"], {}), /--mode needs a value/);
  assert.throws(() => parseReportArguments(["--verbose"], {}), /unknown option --verbose/);
});
