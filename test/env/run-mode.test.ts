import { test } from "node:test";
import assert from "node:assert/strict";
import { byMode, runMode } from "../../kernel-lib/env/run-mode";

test("runMode defaults to sample and reads LAB_MODE", () => {
  assert.equal(runMode({}), "sample");
  assert.equal(runMode({ LAB_MODE: " Smoke " }), "smoke");
  assert.equal(byMode({ smoke: 1, sample: 2, full: 3 }, "full"), 3);
});

test("runMode rejects an unknown LAB_MODE with the allowed values", () => {
  assert.throws(() => runMode({ LAB_MODE: "fast" }), /LAB_MODE="fast".*smoke, sample, full/);
});
