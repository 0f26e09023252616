/** Tick rules of the static charts, checked as properties over many ranges rather than fixed tables. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { linearTicks, logTicks, niceDomain, niceStep } from "../../kernel-lib/plots/axis-ticks";

const ranges: Array<[number, number]> = [
  [0, 1],
  [0.2, 2.3],
  [-3, 7],
  [0.0001, 0.1],
  [40, 96.5],
  [0, 110],
  [1, 200],
  [0.9312, 0.9388],
];

test("linear ticks: evenly spaced, inside the range, 1/2/2.5/5 × 10^k steps, a readable count", () => {
  for (const [min, max] of ranges) {
    const step = niceStep(min, max);
    const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-12);
    assert.ok([1, 2, 2.5, 5].some((allowed) => Math.abs(mantissa - allowed) < 1e-9), `step ${step} for [${min}, ${max}]`);
    const ticks = linearTicks(min, max);
    assert.ok(ticks.length >= 2 && ticks.length <= 11, `${ticks.length} ticks for [${min}, ${max}]`);
    for (const tick of ticks) assert.ok(tick >= min - step * 1e-9 && tick <= max + step * 1e-9, `${tick} inside [${min}, ${max}]`);
    for (let i = 1; i < ticks.length; i++) assert.ok(Math.abs(ticks[i] - ticks[i - 1] - step) < step * 1e-9);
    const [low, high] = niceDomain(min, max);
    assert.ok(low <= min && high >= max, `domain [${low}, ${high}] covers [${min}, ${max}]`);
    assert.ok(high - low < (max - min) * 3, "domain not much wider than the data");
  }
});

test("log ticks: powers of ten inside the range, with 2 and 5 for short ranges", () => {
  const decades = logTicks(1e-4, 0.1);
  assert.equal(decades.length, 4);
  decades.forEach((tick, index) => assert.ok(Math.abs(Math.log10(tick) - (index - 4)) < 1e-12, `tick ${tick}`));
  const short = logTicks(0.01, 0.08);
  for (const tick of short) assert.ok(tick >= 0.01 && tick <= 0.08);
  assert.ok(short.length >= 3, `short range gets 1/2/5 ticks: ${short}`);
});
