/**
 * A small ResNet's training step on backend "torch": gradients match the cpu backend, and repeated
 * optimizer steps hold both TF.js's tensor count and the addon's live native tensors flat.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { addon } from "../../kernel-lib/engine/torch/native-addon";
import { OpsResNet, ResNetShape } from "./resnet-from-ops";
import { seededValues, torchBackendOrSkip } from "./torch-test-backend";

const smallResNet: ResNetShape = { widths: [8, 16], blocksPerStage: 1, inChannels: 3, classes: 5 };
const batch = 4;
const imageValues = seededValues(batch * 10 * 10 * 3, 5);
const labelValues = Int32Array.from([0, 3, 1, 4]);

interface StepResult {
  loss: number;
  gradients: Map<string, Float32Array>;
}

async function trainingStepOn(backendName: string, parameters: Map<string, Float32Array> | undefined): Promise<{ result: StepResult; parameters: Map<string, Float32Array> }> {
  await tf.setBackend(backendName);
  const model = new OpsResNet(smallResNet, 11);
  if (parameters) model.load(parameters);
  const images = tf.tensor4d(imageValues, [batch, 10, 10, 3]);
  const labels = tf.tensor1d(labelValues, "int32");
  const { value, grads } = tf.variableGrads(() => model.loss(images, labels));
  const gradients = new Map<string, Float32Array>();
  for (const [name, gradient] of Object.entries(grads)) gradients.set(name, gradient.dataSync() as Float32Array);
  const result = { loss: value.dataSync()[0], gradients };
  const snapshot = model.snapshot();
  tf.dispose([value, images, labels, ...Object.values(grads)]);
  model.dispose();
  return { result, parameters: snapshot };
}

test("small ResNet training-step gradients match the cpu backend", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  const cpu = await trainingStepOn("cpu", undefined);
  const torch = await trainingStepOn("torch", cpu.parameters);
  assert.ok(Math.abs(torch.result.loss - cpu.result.loss) < 1e-5 * (1 + Math.abs(cpu.result.loss)), `loss ${torch.result.loss} vs cpu ${cpu.result.loss}`);
  assert.equal(torch.result.gradients.size, cpu.result.gradients.size);
  for (const [name, expected] of cpu.result.gradients) {
    const actual = torch.result.gradients.get(name);
    assert.ok(actual, `no gradient for ${name}`);
    let differenceSquared = 0;
    let normSquared = 0;
    expected.forEach((value, index) => {
      differenceSquared += (actual[index] - value) ** 2;
      normSquared += value ** 2;
    });
    assert.ok(normSquared > 0, `${name}: zero gradient on cpu, the comparison would prove nothing`);
    const relative = Math.sqrt(differenceSquared / normSquared);
    assert.ok(relative < 1e-4, `${name}: relative gradient error ${relative}`);
  }
});

test("training steps on backend torch leak neither TF.js tensors nor native tensors", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  await tf.setBackend("torch");
  const model = new OpsResNet(smallResNet, 3);
  const optimizer = tf.train.momentum(0.05, 0.9);
  const images = tf.tensor4d(imageValues, [batch, 10, 10, 3]);
  const labels = tf.tensor1d(labelValues, "int32");
  const counts: Array<{ tensors: number; native: number }> = [];
  const losses: number[] = [];
  for (let step = 0; step < 6; step++) {
    const loss = optimizer.minimize(() => model.loss(images, labels), true);
    losses.push(loss ? loss.dataSync()[0] : NaN);
    loss?.dispose();
    counts.push({ tensors: tf.memory().numTensors, native: addon().liveCount() });
  }
  // Momentum buffers appear on the first step; from the second on nothing may accumulate.
  assert.deepEqual(counts[5], counts[1], `tensor counts drifted: ${JSON.stringify(counts)}`);
  assert.ok(losses[5] < losses[0], `training did not reduce the loss: ${losses}`);
  // Every native tensor belongs to exactly one TF.js data buffer, or is a cached layout copy of one.
  const derived = (tf.memory() as tf.MemoryInfo & { derivedNativeTensors?: number }).derivedNativeTensors ?? 0;
  assert.equal(addon().liveCount(), tf.engine().backend.numDataIds() + derived);
  optimizer.dispose();
  tf.dispose([images, labels]);
  model.dispose();
});
