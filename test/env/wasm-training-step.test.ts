/**
 * A whole training step of a small ResNet (stem conv-BN-ReLU, one residual block with a stride-2 3x3 conv
 * and a 1x1 downsample, global average pool, dense) must give the same gradients on wasm as on cpu.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useWasmBackend } from "../../kernel-lib/env/wasm-backend";

function seededValues(count: number, seed: number, scale: number): Float32Array {
  const out = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state / 2 ** 32 - 0.5) * scale;
  }
  return out;
}

const shapes: Record<string, number[]> = {
  stemConv: [3, 3, 3, 8],
  stemGamma: [8],
  stemBeta: [8],
  blockConv1: [3, 3, 8, 16],
  block1Gamma: [16],
  block1Beta: [16],
  blockConv2: [3, 3, 16, 16],
  block2Gamma: [16],
  block2Beta: [16],
  downsampleConv: [1, 1, 8, 16],
  downsampleGamma: [16],
  downsampleBeta: [16],
  fcWeight: [16, 10],
  fcBias: [10],
};

function batchNorm(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.batchNorm(x, mean, variance, beta, gamma, 1e-5) as tf.Tensor4D;
}

function gradientsOn(): Record<string, Float32Array> {
  return tf.tidy(() => {
    const names = Object.keys(shapes);
    const params = names.map((name, i) => {
      const size = shapes[name].reduce((a, b) => a * b);
      const isGamma = name.endsWith("Gamma");
      const values = isGamma ? new Float32Array(size).fill(1) : seededValues(size, 10 + i, 0.5);
      return tf.tensor(values, shapes[name]);
    });
    const p = (name: string) => params[names.indexOf(name)];
    const images = tf.tensor4d(seededValues(4 * 12 * 12 * 3, 99, 2), [4, 12, 12, 3]);
    const labels = tf.oneHot(tf.tensor1d([0, 3, 7, 9], "int32"), 10);
    const loss = (...vars: tf.Tensor[]) => {
      void vars;
      const stem = tf.relu(batchNorm(tf.conv2d(images, p("stemConv") as tf.Tensor4D, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]), p("stemGamma"), p("stemBeta")));
      const a = tf.relu(batchNorm(tf.conv2d(stem, p("blockConv1") as tf.Tensor4D, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]), p("block1Gamma"), p("block1Beta")));
      const b = batchNorm(tf.conv2d(a, p("blockConv2") as tf.Tensor4D, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]), p("block2Gamma"), p("block2Beta"));
      const shortcut = batchNorm(tf.conv2d(stem, p("downsampleConv") as tf.Tensor4D, 2, 0), p("downsampleGamma"), p("downsampleBeta"));
      const features = tf.mean(tf.relu(tf.add(b, shortcut)), [1, 2]);
      const logits = tf.add(tf.matMul(features, p("fcWeight") as tf.Tensor2D), p("fcBias"));
      return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    };
    const grads = tf.grads(loss)(params);
    const out: Record<string, Float32Array> = {};
    names.forEach((name, i) => (out[name] = grads[i].dataSync() as Float32Array));
    return out;
  });
}

test("small ResNet training step: wasm gradients match cpu within 1e-4 for every variable", async () => {
  await tf.setBackend("cpu");
  const expected = gradientsOn();
  assert.ok(await useWasmBackend());
  gradientsOn(); // warm-up so the tensor count below sees steady state
  const before = tf.memory().numTensors;
  const actual = gradientsOn();
  assert.equal(tf.memory().numTensors, before, "training step leaked tensors");
  for (const name of Object.keys(shapes)) {
    let worst = 0;
    let largest = 0;
    for (let i = 0; i < expected[name].length; i++) {
      worst = Math.max(worst, Math.abs(actual[name][i] - expected[name][i]));
      largest = Math.max(largest, Math.abs(expected[name][i]));
    }
    assert.ok(largest > 0, `${name}: gradient is all zeros, the test would be vacuous`);
    assert.ok(worst < 1e-4, `${name}: max abs diff ${worst}`);
  }
});
