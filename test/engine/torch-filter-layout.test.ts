/**
 * Conv filters on backend "torch" live in oneDNN's [out][h][w][in] order after their first use, and filter
 * gradients come out in it, so a training step copies no filter: checked through the strides of the native
 * tensors, with values checked against the cpu backend (reads must give the row-major [h, w, in, out] values).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { hwioStoredAsOhwi } from "../../kernel-lib/engine/torch/kernels/layout";
import type { TorchBackend } from "../../kernel-lib/engine/torch/backend";
import { SGD } from "../../kernel-lib/train/sgd";
import { seededValues, torchBackendOrSkip } from "./torch-test-backend";

const filterShape: [number, number, number, number] = [3, 3, 4, 6];
const inputShape: [number, number, number, number] = [2, 5, 5, 4];

function storedAsOhwi(tensor: tf.Tensor): boolean {
  const backend = tf.backend() as TorchBackend;
  return hwioStoredAsOhwi(backend.handleOf(tensor), tensor.shape);
}

/** Loss, filter gradient and the filter after two SGD steps with momentum, on the current backend. */
function twoSteps(): { gradient: Float32Array; filterAfter: Float32Array; layouts: boolean[] } {
  const initial = tf.tensor4d(seededValues(3 * 3 * 4 * 6, 1), filterShape);
  const filter = tf.variable(initial, true, "filter");
  initial.dispose();
  const x = tf.tensor4d(seededValues(2 * 5 * 5 * 4, 2), inputShape);
  const optimizer = new SGD([["filter", filter]], { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 });
  const layouts: boolean[] = [];
  const onTorch = tf.getBackend() === "torch";
  if (onTorch) layouts.push(storedAsOhwi(filter)); // as uploaded: row-major [h][w][in][out]
  let gradient: Float32Array = new Float32Array(0);
  for (let step = 0; step < 2; step++) {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.conv2d(x, filter, 1, "same"))), [filter]);
    if (onTorch) layouts.push(storedAsOhwi(filter), storedAsOhwi(grads.filter));
    if (step === 0) gradient = grads.filter.dataSync() as Float32Array;
    optimizer.step(grads);
    tf.dispose([value, ...Object.values(grads)]);
  }
  if (onTorch) layouts.push(storedAsOhwi(filter));
  const filterAfter = filter.dataSync() as Float32Array;
  optimizer.dispose();
  tf.dispose([filter, x]);
  return { gradient, filterAfter, layouts };
}

test("a conv filter adopts [out][h][w][in] order on first use, its gradient and SGD's new weights keep it, values match cpu", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("backend torch unavailable (explained above)");
  await tf.setBackend("cpu");
  const reference = twoSteps();
  await tf.setBackend("torch");
  const before = tf.memory().numTensors;
  const onTorch = twoSteps();
  assert.equal(tf.memory().numTensors, before, "no tensors left behind");
  // uploaded row-major; after step 1's forward: adopted, gradient too; step 2 (new weights from SGD): same.
  assert.deepEqual(onTorch.layouts, [false, true, true, true, true, true]);
  for (const [name, ours, cpu] of [["gradient", onTorch.gradient, reference.gradient], ["filter after 2 steps", onTorch.filterAfter, reference.filterAfter]] as const) {
    const worst = ours.reduce((max, value, index) => Math.max(max, Math.abs(value - cpu[index])), 0);
    assert.ok(worst < 1e-4, `${name}: max |torch - cpu| = ${worst}`);
  }
});
