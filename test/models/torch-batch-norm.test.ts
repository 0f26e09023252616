/**
 * BatchNorm2d in train mode on backend "torch" takes the fused ATen path (native_batch_norm and its
 * backward) and must give what the TF.js path (tf.moments + batchNorm, parity-tested against PyTorch in
 * resnet-parity.test.ts) gives on the cpu backend: output, gradients of x/weight/bias, running statistics
 * over several steps, num_batches_tracked; and repeated steps leak no TF.js or native tensors.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { BatchNorm2d } from "../../kernel-lib/models";
import { addon } from "../../kernel-lib/engine/torch/native-addon";
import { seededValues, torchBackendOrSkip } from "../engine/torch-test-backend";

const shape: [number, number, number, number] = [4, 5, 3, 6];
const channels = shape[3];
const count = shape.reduce((a, b) => a * b, 1);
const steps = 3;

interface Observed {
  /** Per step: y, dx, dweight, dbias, running mean, running var. */
  perStep: Array<Record<string, Float32Array>>;
  batchesTracked: number;
  kernels: Set<string>;
}

function newLayer(): BatchNorm2d {
  const layer = new BatchNorm2d(channels, { momentum: 0.3 });
  // Non-trivial affine parameters and running statistics, as a trained layer has.
  layer.weight.assign(tf.tensor1d(seededValues(channels, 1, 0.5, 1.5)));
  layer.bias.assign(tf.tensor1d(seededValues(channels, 2, -0.5, 0.5)));
  layer.runningMean.assign(tf.tensor1d(seededValues(channels, 3, -0.2, 0.2)));
  layer.runningVar.assign(tf.tensor1d(seededValues(channels, 4, 0.5, 2)));
  layer.train(true);
  return layer;
}

/** One training-mode forward + backward; x is a variable so that dx comes out of variableGrads too. */
function step(layer: BatchNorm2d, index: number): Record<string, Float32Array> {
  // Per-channel offsets and scales, so the batch statistics are far from 0 and 1.
  const initial = tf.tidy(() => tf.add(tf.mul(tf.tensor4d(seededValues(count, 10 + index), shape), tf.linspace(0.5, 3, channels)), tf.linspace(-2, 2, channels)));
  const x = tf.variable(initial);
  const weights = tf.tensor4d(seededValues(count, 20 + index), shape);
  let y: Float32Array = new Float32Array();
  const { value, grads } = tf.variableGrads(() => {
    const output = layer.forward(x);
    y = output.dataSync() as Float32Array;
    return tf.sum(tf.mul(output, weights)) as tf.Scalar;
  }, [x, layer.weight, layer.bias]);
  const observed = {
    y,
    dx: grads[x.name].dataSync() as Float32Array,
    dweight: grads[layer.weight.name].dataSync() as Float32Array,
    dbias: grads[layer.bias.name].dataSync() as Float32Array,
    runningMean: layer.runningMean.dataSync() as Float32Array,
    runningVar: layer.runningVar.dataSync() as Float32Array,
  };
  tf.dispose([initial, x, weights, value, ...Object.values(grads)]);
  return observed;
}

async function trainOn(backendName: string): Promise<Observed> {
  await tf.setBackend(backendName);
  const layer = newLayer();
  const perStep: Observed["perStep"] = [];
  const profile = await tf.profile(() => {
    for (let index = 0; index < steps; index++) perStep.push(step(layer, index));
  });
  const batchesTracked = layer.numBatchesTracked.dataSync()[0];
  layer.dispose();
  return { perStep, batchesTracked, kernels: new Set(profile.kernelNames) };
}

function worstRelative(actual: Float32Array, expected: Float32Array): number {
  assert.equal(actual.length, expected.length);
  return expected.reduce((worst, want, index) => Math.max(worst, Math.abs(actual[index] - want) / (1 + Math.abs(want))), 0);
}

test("BatchNorm2d train mode on backend torch: fused ATen kernels, same output, gradients and running statistics as the TF.js path", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  const cpu = await trainOn("cpu");
  const torch = await trainOn("torch");
  assert.ok(torch.kernels.has("TorchTrainingBatchNorm") && torch.kernels.has("TorchTrainingBatchNormGrad"),
    `backend torch did not take the fused path; kernels: ${[...torch.kernels].join(", ")}`);
  assert.ok(!cpu.kernels.has("TorchTrainingBatchNorm"), "the cpu backend must keep the TF.js path");
  assert.equal(torch.batchesTracked, steps);
  assert.equal(cpu.batchesTracked, steps);
  cpu.perStep.forEach((expected, index) => {
    for (const [name, values] of Object.entries(expected)) {
      const error = worstRelative(torch.perStep[index][name], values);
      assert.ok(error < 2e-5, `step ${index + 1} ${name}: worst relative difference ${error.toExponential(2)} vs the cpu backend`);
    }
  });
  // The running statistics moved (a test where they stay put would not see a wrong update).
  assert.ok(worstRelative(cpu.perStep[steps - 1].runningVar, cpu.perStep[0].runningVar) > 1e-2);
});

test("BatchNorm2d train steps on backend torch leak neither TF.js nor native tensors", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  await tf.setBackend("torch");
  const layer = newLayer();
  step(layer, 0);
  const tensors = tf.memory().numTensors;
  const native = addon().liveCount();
  for (let index = 1; index < 4; index++) step(layer, index);
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(addon().liveCount(), native);
  layer.dispose();
});
