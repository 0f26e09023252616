import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useWasmBackend } from "../../kernel-lib/env/wasm-backend";

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

function seededValues(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 32 - 0.5;
  }
  return out;
}

async function onBackend<T>(name: string, work: () => T): Promise<T> {
  if (name === "wasm") assert.ok(await useWasmBackend(), "wasm backend failed to start");
  else await tf.setBackend(name);
  return work();
}

interface Case {
  input: [number, number, number, number];
  filter: number;
  inChannels: number;
  outChannels: number;
  stride: number;
  pad: "same" | "valid" | number;
}

const cases: Case[] = [
  { input: [2, 9, 9, 3], filter: 1, inChannels: 3, outChannels: 4, stride: 1, pad: "valid" },
  { input: [2, 9, 9, 3], filter: 1, inChannels: 3, outChannels: 4, stride: 2, pad: 0 },
  { input: [2, 9, 8, 3], filter: 3, inChannels: 3, outChannels: 5, stride: 1, pad: 1 },
  { input: [2, 9, 8, 3], filter: 3, inChannels: 3, outChannels: 5, stride: 2, pad: 1 },
  { input: [2, 10, 10, 4], filter: 3, inChannels: 4, outChannels: 2, stride: 2, pad: "same" },
  { input: [1, 16, 15, 3], filter: 7, inChannels: 3, outChannels: 4, stride: 2, pad: 3 },
  { input: [1, 12, 12, 2], filter: 7, inChannels: 2, outChannels: 3, stride: 1, pad: "valid" },
];

for (const c of cases) {
  test(`Conv2D filter and input gradients on wasm match cpu: ${c.filter}x${c.filter} stride ${c.stride} pad ${c.pad}`, async () => {
    const filterShape: [number, number, number, number] = [c.filter, c.filter, c.inChannels, c.outChannels];
    const xValues = seededValues(c.input.reduce((a, b) => a * b), 1);
    const wValues = seededValues(filterShape.reduce((a, b) => a * b), 2);
    const gradientOn = (name: string) =>
      onBackend(name, () =>
        tf.tidy(() => {
          const x = tf.tensor4d(xValues, c.input);
          const w = tf.tensor4d(wValues, filterShape);
          const loss = (filter: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, filter as tf.Tensor4D, c.stride, c.pad)));
          const filterGradient = tf.grad(loss)(w).dataSync() as Float32Array;
          const inputLoss = (input: tf.Tensor) => tf.sum(tf.square(tf.conv2d(input as tf.Tensor4D, w, c.stride, c.pad)));
          const inputGradient = tf.grad(inputLoss)(x).dataSync() as Float32Array;
          return { filterGradient, inputGradient };
        }),
      );
    const expected = await gradientOn("cpu");
    const before = await onBackend("wasm", () => tf.memory().numTensors);
    const actual = await gradientOn("wasm");
    assert.equal(tf.memory().numTensors, before, "kernel leaked tensors");
    const filterDiff = maxAbsDiff(actual.filterGradient, expected.filterGradient);
    assert.ok(filterDiff < 1e-4, `filter gradient max abs diff ${filterDiff}`);
    const inputDiff = maxAbsDiff(actual.inputGradient, expected.inputGradient);
    assert.ok(inputDiff < 1e-4, `input gradient max abs diff ${inputDiff}`);
  });
}
