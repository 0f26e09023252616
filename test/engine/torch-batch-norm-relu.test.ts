/**
 * relu(batchNorm(x) [+ residual]) on running statistics through kernel-lib/engine/torch/batch-norm-relu.ts:
 * on backend torch one TorchBatchNormRelu kernel whose output equals tf.relu(tf.batchNorm(...) [+ residual]) on
 * the cpu backend, without leaks; it declines (undefined) under a gradient tape, on other backends and for
 * shapes it does not cover. The same for convolution + BatchNorm (+ residual) + ReLU folded into one convolution
 * (conv-batch-norm-relu.ts), whose cached fold must follow new weights and statistics; kernel-lib/models'
 * eval-mode ResNet then gives the cpu backend's logits and gradients.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { batchNormReluOnTorch, type BatchNormReluInputs } from "../../kernel-lib/engine/torch/batch-norm-relu";
import { convBatchNormReluOnTorch } from "../../kernel-lib/engine/torch/conv-batch-norm-relu";
import { addon } from "../../kernel-lib/engine/torch/native-addon";
import { AdaptiveAvgPool2d, manualSeed, resnet18 } from "../../kernel-lib/models";
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

test("resnet18 in eval mode, per-layer kernels: folded Conv+BatchNorm+ReLU on backend torch gives the cpu backend's logits, and gradients still flow", async (t) => {
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
    // A pooling module that is not the stock one: the whole-trunk kernel (torch-resnet-trunk.test.ts) steps
    // aside, so this exercises the per-layer folded kernels, which surgery elsewhere in a model falls back to.
    model.avgpool = new (class MeanPool extends AdaptiveAvgPool2d {})();
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
  // The stem, both convolutions of each of the 8 blocks and the 3 downsample shortcuts: one folded convolution each.
  assert.equal(torch.kernels.filter((name) => name === "TorchConvBatchNormRelu").length, 20, `kernels: ${[...new Set(torch.kernels)].join(", ")}`);
  assert.ok(!torch.kernels.includes("Relu") && !torch.kernels.includes("FusedBatchNorm") && !cpu.kernels.includes("TorchConvBatchNormRelu"));
  const scale = Math.max(...cpu.logits.map(Math.abs));
  cpu.logits.forEach((value, index) => assert.ok(Math.abs(torch.logits[index] - value) <= 1e-3 * scale, `logit ${index}: ${torch.logits[index]} vs cpu ${value}`));
  const gradientScale = Math.max(...cpu.gradient.map(Math.abs));
  assert.ok(gradientScale > 0);
  const worst = Math.max(...cpu.gradient.map((value, index) => Math.abs(torch.gradient[index] - value)));
  assert.ok(worst <= 1e-3 * gradientScale, `input gradient differs by ${worst} (scale ${gradientScale})`);
});

test("convBatchNormReluOnTorch: one folded convolution equals conv2d + batchNorm (+ residual) + relu on cpu, follows new weights and statistics, no leaks", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  const filterShape: [number, number, number, number] = [3, 3, 4, 6];
  const make = () => ({
    x: tf.tensor(seededValues(2 * 7 * 7 * 4, 11), [2, 7, 7, 4]),
    filter: tf.tensor(seededValues(3 * 3 * 4 * 6, 12, -0.5, 0.5), filterShape),
    mean: tf.tensor(seededValues(6, 13, -0.3, 0.3)),
    variance: tf.tensor(seededValues(6, 14, 0.5, 2)),
    offset: tf.tensor(seededValues(6, 15)),
    scale: tf.tensor(seededValues(6, 16, 0.5, 1.5)),
    residual: tf.tensor(seededValues(2 * 4 * 4 * 6, 17), [2, 4, 4, 6]),
    newMean: tf.tensor(seededValues(6, 18, -0.3, 0.3)),
    newFilter: tf.tensor(seededValues(3 * 3 * 4 * 6, 19, -0.5, 0.5), filterShape),
  });
  type Made = ReturnType<typeof make>;
  const plain = (m: Made, filter: tf.Tensor, mean: tf.Tensor, residual: boolean): Float32Array => tf.tidy(() => {
    const convolved = tf.conv2d(m.x as tf.Tensor4D, filter as tf.Tensor4D, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    const normalized = tf.batchNorm(convolved, mean, m.variance, m.offset, m.scale, 1e-5);
    return tf.relu(residual ? tf.add(normalized, m.residual) : normalized).dataSync() as Float32Array;
  });
  const fused = (m: Made, filter: tf.Tensor, mean: tf.Tensor, residual: boolean): tf.Tensor | undefined => convBatchNormReluOnTorch({
    x: m.x, filter, strides: 2, padding: 1, mean, variance: m.variance, offset: m.offset, scale: m.scale, eps: 1e-5, relu: true,
    residual: residual ? m.residual : undefined,
  });
  await tf.setBackend("cpu");
  const cpu = make();
  const expected = [plain(cpu, cpu.filter, cpu.mean, false), plain(cpu, cpu.filter, cpu.mean, true), plain(cpu, cpu.filter, cpu.newMean, true), plain(cpu, cpu.newFilter, cpu.newMean, true)];
  assert.equal(fused(cpu, cpu.filter, cpu.mean, false), undefined, "must decline on the cpu backend");
  tf.dispose(Object.values(cpu));
  await tf.setBackend("torch");
  const m = make();
  const tensors = tf.memory().numTensors;
  const cases: Array<[string, tf.Tensor, tf.Tensor, boolean]> = [
    ["without residual", m.filter, m.mean, false], ["with residual", m.filter, m.mean, true],
    ["after new running mean (cached fold must not be reused)", m.filter, m.newMean, true], ["after a new filter", m.newFilter, m.newMean, true],
  ];
  cases.forEach(([label, filter, mean, residual], index) => {
    tf.tidy(() => {
      const output = fused(m, filter, mean, residual) as tf.Tensor;
      assertClose(output.dataSync() as Float32Array, expected[index], label, 1e-4);
    });
  });
  assert.equal(tf.memory().numTensors, tensors, "no tensor left behind");
  const memory = tf.memory() as tf.MemoryInfo & { liveNativeTensors: number; derivedNativeTensors: number };
  // Native tensors: one per TF.js buffer plus the cached layout copies and folds; stale folds were freed.
  assert.equal(memory.liveNativeTensors, tf.engine().backend.numDataIds() + memory.derivedNativeTensors);
  const [declined] = tf.grads((x: tf.Tensor) => {
    assert.equal(convBatchNormReluOnTorch({ x, filter: m.filter, strides: 2, padding: 1, mean: m.mean, variance: m.variance, offset: m.offset, scale: m.scale, eps: 1e-5, relu: true }), undefined,
      "must decline while a gradient tape records");
    return tf.sum(x);
  })([m.x]);
  declined.dispose();
  tf.dispose(Object.values(m));
});
