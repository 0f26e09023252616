/**
 * SGD through kernel-lib/engine/torch/sgd-step.ts: on backend torch each parameter update is one
 * TorchSgdStep kernel (no Add/Mul/Sub), gives the same parameters and momentum buffers as SGD's TF.js op
 * path on the cpu backend for every hyperparameter combination, leaves its inputs unchanged, and leaks no
 * TF.js or native tensor over many steps. torch.optim parity on backend torch is in test/train/optimizers.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { SGD, type SGDOptions } from "../../kernel-lib/train/sgd";
import { sgdStepOnTorch } from "../../kernel-lib/engine/torch/sgd-step";
import { addon } from "../../kernel-lib/engine/torch/native-addon";
import { seededValues, torchBackendOrSkip } from "./torch-test-backend";

const shape = [3, 5];
const STEPS = 4;

const CASES: Record<string, SGDOptions> = {
  plain: { lr: 0.1 },
  "momentum + weight decay": { lr: 0.05, momentum: 0.85, weightDecay: 0.01 },
  "momentum + dampening + weight decay": { lr: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 0.02 },
  "nesterov + maximize + weight decay": { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 5e-4, maximize: true },
  "nesterov, no decay": { lr: 0.2, momentum: 0.7, nesterov: true },
  "maximize only": { lr: 0.1, maximize: true },
};

/** Parameters after each step, then the final momentum buffer (if any). */
function run(options: SGDOptions): Float32Array[] {
  const variable = tf.tidy(() => tf.variable(tf.tensor(seededValues(15, 7), shape)));
  const optimizer = new SGD([["w", variable]], options);
  const history: Float32Array[] = [];
  for (let step = 0; step < STEPS; step++) {
    const grad = tf.tensor(seededValues(15, 20 + step), shape);
    optimizer.step({ w: grad });
    grad.dispose();
    history.push(variable.dataSync() as Float32Array);
  }
  const buffer = optimizer.stateDict().state.w?.momentumBuffer;
  if (buffer !== undefined && typeof buffer !== "number") history.push(buffer.dataSync() as Float32Array);
  optimizer.dispose();
  variable.dispose();
  return history;
}

test("SGD on backend torch: one TorchSgdStep per parameter, same values as the cpu op path, no leaks", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  for (const [title, options] of Object.entries(CASES)) {
    await tf.setBackend("cpu");
    const expected = run(options);
    await tf.setBackend("torch");
    const profile = await tf.profile(() => void run(options));
    assert.ok(profile.kernelNames.includes("TorchSgdStep"), `${title}: kernels ${profile.kernelNames.join(", ")}`);
    for (const name of ["Add", "Mul", "Sub", "Neg", "AddV2"]) assert.ok(!profile.kernelNames.includes(name), `${title}: ${name} ran`);
    const tensors = tf.memory().numTensors;
    const native = addon().liveCount();
    const actual = run(options);
    assert.equal(tf.memory().numTensors, tensors, `${title}: TF.js tensors leaked`);
    assert.equal(addon().liveCount(), native, `${title}: native tensors leaked`);
    assert.equal(actual.length, expected.length, `${title}: momentum buffer present on one backend only`);
    expected.forEach((values, index) => {
      values.forEach((want, at) => {
        const got = actual[index][at];
        assert.ok(Math.abs(got - want) <= 1e-6 * (1 + Math.abs(want)), `${title} ${index < STEPS ? `step ${index + 1}` : "buffer"}[${at}]: ${got} vs cpu ${want}`);
      });
    });
  }
  await tf.setBackend("cpu");
});

test("TorchSgdStep leaves its inputs (parameter, gradient, previous buffer) unchanged", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  await tf.setBackend("torch");
  const [parameter, grad, buffer] = [1, 2, 3].map((seed) => tf.tensor(seededValues(15, seed), shape));
  const before = [parameter, grad, buffer].map((tensor) => Array.from(tensor.dataSync()));
  for (const dampening of [0, 0.5]) {
    const result = sgdStepOnTorch(parameter, grad, buffer, { lr: 0.1, momentum: 0.9, dampening, weightDecay: 0.01, nesterov: false, maximize: true });
    assert.ok(result?.momentumBuffer, "expected a fused result with a buffer");
    tf.dispose([result.parameter, result.momentumBuffer]);
  }
  [parameter, grad, buffer].forEach((tensor, index) => assert.deepEqual(Array.from(tensor.dataSync()), before[index], `input ${index} was written`));
  tf.dispose([parameter, grad, buffer]);
  await tf.setBackend("cpu");
  const onCpu = tf.zeros([2]);
  assert.equal(sgdStepOnTorch(onCpu, onCpu, undefined, { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false }), undefined);
  onCpu.dispose();
});
