/**
 * float32 → float16 encoding checked against a brute-force reference: decode every half bit
 * pattern, then pick the nearest (ties to the even pattern), with overflow to Infinity.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { float32ToFloat16Bits } from "../../kernel-lib/export/float16";

function decodeHalf(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

// Non-negative finite halves in increasing order: patterns 0x0000..0x7bff are monotonic.
const positives = Array.from({ length: 0x7c00 }, (_, bits) => decodeHalf(bits));

function referenceBits(value: number): number {
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  const largest = positives[0x7bff];
  // Beyond max + half an ulp (2^15 * 2^-11 * ... = 65520) rounds to Infinity.
  if (magnitude >= 65520) return sign | 0x7c00;
  if (magnitude >= largest) return sign | 0x7bff;
  let low = 0;
  let high = 0x7bff;
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if (positives[middle] <= magnitude) low = middle;
    else high = middle;
  }
  const below = magnitude - positives[low];
  const above = positives[high] - magnitude;
  const bits = below < above ? low : above < below ? high : low % 2 === 0 ? low : high;
  return sign | bits;
}

test("float32ToFloat16Bits rounds to nearest-even like a brute-force search over all halves", () => {
  let state = 12345;
  const random = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const values: number[] = [0, -0, 1, -1, 65504, 65519.99, 65520, 1e6, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 2 ** -14, 6e-8, 1 / 3];
  // Exact ties between neighbouring halves, at normal and subnormal scales.
  for (const bits of [0x3c00, 0x3c01, 0x0001, 0x0002, 0x03ff, 0x7bfe]) values.push(Math.fround((decodeHalf(bits) + decodeHalf(bits + 1)) / 2));
  for (let i = 0; i < 20000; i++) values.push(Math.fround((random() - 0.5) * 2 ** (random() * 44 - 28)));
  for (const value of values) {
    const single = Math.fround(value);
    assert.equal(float32ToFloat16Bits(single), referenceBits(single), `value ${single}`);
  }
  assert.equal(float32ToFloat16Bits(NaN) & 0x7c00, 0x7c00);
  assert.notEqual(float32ToFloat16Bits(NaN) & 0x3ff, 0);
  assert.equal(float32ToFloat16Bits(-Infinity), 0xfc00);
});
