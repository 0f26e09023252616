import { test } from "node:test";
import assert from "node:assert/strict";
import { sigmoidRampUp } from "../../../kernel-lib/train/methods/ramp-up";

test("sigmoidRampUp follows exp(-5 (1 - t)^2) and clips outside [0, length]", () => {
  const length = 40;
  for (const current of [0, 1, 10, 20, 33.5, 39, 40]) {
    const t = current / length;
    assert.ok(Math.abs(sigmoidRampUp(current, length) - Math.exp(-5 * (1 - t) * (1 - t))) < 1e-15, `at ${current}`);
  }
  assert.equal(sigmoidRampUp(0, length), Math.exp(-5)); // starts near zero (0.0067), not at zero
  assert.equal(sigmoidRampUp(-3, length), Math.exp(-5));
  assert.equal(sigmoidRampUp(80, length), 1);
  assert.equal(sigmoidRampUp(5, 0), 1);
});

test("sigmoidRampUp is increasing over the ramp", () => {
  let previous = -1;
  for (let step = 0; step <= 50; step++) {
    const value = sigmoidRampUp(step, 50);
    assert.ok(value > previous);
    previous = value;
  }
});

test("sigmoidRampUp rejects bad arguments with a message naming them", () => {
  assert.throws(() => sigmoidRampUp(1, -1), /rampUpLength must be >= 0/);
  assert.throws(() => sigmoidRampUp(Number.NaN, 10), /current must be a finite number/);
});
