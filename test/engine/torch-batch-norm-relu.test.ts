/**
 * relu(batchNorm(x) [+ residual]) on running statistics through kernel-lib/engine/torch/batch-norm-relu.ts:
 * on backend torch one TorchBatchNormRelu kernel whose output equals tf.relu(tf.batchNorm(...) [+ residual]) on
 * the cpu backend, without leaks; it declines (undefined) under a gradient tape, on other backends and for
 * shapes it does not cover, and kernel-lib/models' eval-mode ResNet then gives the same logits and gradients.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { batchNormReluOnTorch, type BatchNormReluInputs } from "../../kernel-lib/engine/torch/batch-norm-relu";
import { addon } from "../../kernel-lib/engine/torch/native-addon";
import { manualSeed, resnet18 } from "../../kernel-lib/models";
import { seededValues, torchBackendOrSkip } from "./torch-test-backend";

const shape: [number, number, number, number] = [2, 5, 3, 4];
const count = 2 * 5 * 3 * 4;

function blockInputs(): BatchNormReluInputs {
  return {
    x: tf.tensor(seededValues(count, 1), shape),
    mean: tf.tensor(seededValues(4, 2, -0.3, 0.3)),
    variance: tf.tensor(seededValues(4, 3, 0.5, 2)),
    offset: tf.tensor(seededValues(4, 4)),
    scale: tf.tensor(seededValues(4, 5, 0.5, 1.5)),
    eps: 1e-5,
    residual: tf.tensor(seededValues(count, 6), shape),
  };
}

function disposeInputs(inputs: BatchNormReluInputs): void {
  tf.dispose([inputs.x, inputs.mean, inputs.variance, inputs.offset, inputs.scale, ...(inputs.residual ? [inputs.residual] : [])]);
}

function reference(inputs: BatchNormReluInputs, withResidual: boolean): Float32Array {
  return tf.tidy(() => {
    const normalized = tf.batchNorm(inputs.x as tf.Tensor4D, inputs.mean, inputs.variance, inputs.offset, inputs.scale, inputs.eps);
    return tf.relu(withResidual ? tf.add(normalized, inputs.residual as tf.Tensor) : normalized).dataSync() as Float32Array;
  });
}

function assertClose(actual: Float32Array, expected: Float32Array, label: string, tolerance = 1e-5): void {
  assert.ok(expected.some((value) => value > 0) && expected.some((value) => value === 0), `${label}: the reference must have both rectified and positive values`);
  const worst = expected.reduce((at, value, index) => (Math.abs(actual[index] - value) > Math.abs(actual[at] - expected[at]) ? index : at), 0);
  assert.ok(Math.abs(actual[worst] - expected[worst]) <= tolerance, `${label} element ${worst}: ${actual[worst]} vs cpu ${expected[worst]}`);
}

test("batchNormReluOnTorch: one kernel on backend torch, same values as tf.relu(tf.batchNorm [+ residual]) on cpu, no leaks", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  await tf.setBackend("cpu");
  const cpuInputs = blockInputs();
  const expected = [reference(cpuInputs, false), reference(cpuInputs, true)];
  assert.equal(batchNormReluOnTorch(cpuInputs), undefined, "must decline on the cpu backend");
  disposeInputs(cpuInputs);

  await tf.setBackend("torch");
  const inputs = blockInputs();
  const profile = await tf.profile(() => void tf.tidy(() => batchNormReluOnTorch(inputs)));
  assert.deepEqual(profile.kernelNames, ["TorchBatchNormRelu"]);
  const tensors = tf.memory().numTensors;
  const native = addon().liveCount();
  const plain = batchNormReluOnTorch({ ...inputs, residual: undefined }) as tf.Tensor;
  const withResidual = batchNormReluOnTorch(inputs) as tf.Tensor;
  assertClose(plain.dataSync() as Float32Array, expected[0], "without residual");
  assertClose(withResidual.dataSync() as Float32Array, expected[1], "with residual");
  // The inputs are left as they were (the kernel works in place only on its own tensor).
  assertClose(reference(inputs, true), expected[1], "inputs after the fused calls");
  tf.dispose([plain, withResidual]);
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(addon().liveCount(), native);

  // No gradient exists for the fused kernel: under a tape it declines, so tf.grad keeps the TF.js ops.
  const [declinedUnderTape] = tf.grads((x: tf.Tensor) => {
    assert.equal(batchNormReluOnTorch({ ...inputs, x }), undefined, "must decline while a gradient tape records");
    return tf.sum(x);
  })([inputs.x]);
  declinedUnderTape.dispose();
  const odd = tf.ones([2, 3]);
  assert.equal(batchNormReluOnTorch({ ...inputs, x: odd, residual: undefined }), undefined, "2-D input is not covered");
  odd.dispose();
  disposeInputs(inputs);
});

test("resnet18 in eval mode: fused BatchNorm+ReLU on backend torch gives the cpu backend's logits, and gradients still flow", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  const run = async (backend: string): Promise<{ logits: Float32Array; gradient: Float32Array; kernels: string[] }> => {
    await tf.setBackend(backend);
    manualSeed(3);
    const model = resnet18({ numClasses: 5 });
    // Non-trivial running statistics, so that eval mode differs from an identity normalisation.
    for (const [name, buffer] of model.namedBuffers()) {
      if (name.endsWith("running_mean")) buffer.assign(tf.tensor(seededValues(buffer.size, buffer.size, -0.2, 0.2)));
      if (name.endsWith("running_var")) buffer.assign(tf.tensor(seededValues(buffer.size, buffer.size + 1, 0.5, 1.5)));
    }
    model.train(false);
    const images = tf.tensor(seededValues(2 * 40 * 40 * 3, 9), [2, 40, 40, 3]);
    const profile = await tf.profile(() => void tf.tidy(() => model.forward(images)));
    const logits = tf.tidy(() => model.forward(images).dataSync() as Float32Array);
    const gradient = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(model.forward(x)))(images).dataSync() as Float32Array);
    images.dispose();
    model.dispose();
    return { logits, gradient, kernels: profile.kernels.map((kernel) => kernel.name) };
  };
  const cpu = await run("cpu");
  const torch = await run("torch");
  assert.equal(torch.kernels.filter((name) => name === "TorchBatchNormRelu").length, 17, `kernels: ${[...new Set(torch.kernels)].join(", ")}`);
  assert.ok(!torch.kernels.includes("Relu") && !cpu.kernels.includes("TorchBatchNormRelu"));
  const scale = Math.max(...cpu.logits.map(Math.abs));
  cpu.logits.forEach((value, index) => assert.ok(Math.abs(torch.logits[index] - value) <= 1e-3 * scale, `logit ${index}: ${torch.logits[index]} vs cpu ${value}`));
  const gradientScale = Math.max(...cpu.gradient.map(Math.abs));
  assert.ok(gradientScale > 0);
  const worst = Math.max(...cpu.gradient.map((value, index) => Math.abs(torch.gradient[index] - value)));
  assert.ok(worst <= 1e-3 * gradientScale, `input gradient differs by ${worst} (scale ${gradientScale})`);
});
