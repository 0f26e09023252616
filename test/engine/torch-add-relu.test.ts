/**
 * relu(a + b) through kernel-lib/engine/torch/add-relu.ts: on backend torch one TorchAddRelu kernel whose
 * output and gradients (of a and of b) equal tf.relu(tf.add(a, b)) on the cpu backend, without leaks; on
 * other backends it declines (undefined) so the caller keeps plain TF.js.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { addReluOnTorch } from "../../kernel-lib/engine/torch/add-relu";
import { addon } from "../../kernel-lib/engine/torch/native-addon";
import { seededValues, torchBackendOrSkip } from "./torch-test-backend";

const shape = [2, 4, 3, 5];
const count = 2 * 4 * 3 * 5;

function outputAndGradients(fused: boolean): { values: Float32Array[] } {
  const a = tf.tensor(seededValues(count, 1), shape);
  const b = tf.tensor(seededValues(count, 2), shape);
  const weights = tf.tensor(seededValues(count, 3), shape);
  const forward = (x: tf.Tensor, y: tf.Tensor): tf.Tensor => (fused ? (addReluOnTorch(x, y) as tf.Tensor) : tf.relu(tf.add(x, y)));
  const output = tf.tidy(() => forward(a, b));
  const [gradientOfA, gradientOfB] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(forward(x, y), weights)))([a, b]);
  const values = [output, gradientOfA, gradientOfB].map((tensor) => tensor.dataSync() as Float32Array);
  tf.dispose([a, b, weights, output, gradientOfA, gradientOfB]);
  return { values };
}

test("addReluOnTorch: one kernel on backend torch, same output and gradients as tf.relu(tf.add) on cpu, no leaks", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  await tf.setBackend("cpu");
  const expected = outputAndGradients(false).values;
  assert.equal(addReluOnTorch(tf.zeros([2]), tf.zeros([2])), undefined, "must decline on the cpu backend");
  await tf.setBackend("torch");
  const profile = await tf.profile(() => void outputAndGradients(true));
  assert.ok(profile.kernelNames.includes("TorchAddRelu") && !profile.kernelNames.includes("Relu"), `kernels: ${profile.kernelNames.join(", ")}`);
  const tensors = tf.memory().numTensors;
  const native = addon().liveCount();
  const actual = outputAndGradients(true).values;
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(addon().liveCount(), native);
  ["output", "gradient of a", "gradient of b"].forEach((label, index) => {
    assert.ok(expected[index].some((value) => value !== 0), `${label}: all zeros, the comparison would prove nothing`);
    // Equal values (=== also equates the cpu backend's -0 = dy * 0 with ATen's masked 0).
    const differing = expected[index].findIndex((value, at) => actual[index][at] !== value);
    assert.equal(differing, -1, `${label} element ${differing}: ${actual[index][differing]} vs cpu ${expected[index][differing]}`);
  });
  // Broadcasting shapes are not covered: the caller's TF.js path takes them.
  const [a, b] = [tf.ones([2, 3]), tf.ones([3])];
  assert.equal(addReluOnTorch(a, b), undefined);
  tf.dispose([a, b]);
});
