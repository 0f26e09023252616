/**
 * Freezing policy: frozen parameters never move (the optimizer gets no gradient for them, even with
 * momentum and weight decay); frozen BatchNorm layers follow the documented policy: "train"
 * (PyTorch's behaviour: batch statistics, running statistics keep updating) or "eval" (running
 * statistics used and kept), cleared again by unfreeze.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useWasmBackend } from "../../kernel-lib/env/wasm-backend";
import { resnet18, Conv2d, Identity, Linear, BatchNorm2d, freeze, unfreeze, freezeAllBut, manualSeed, type ResNet } from "../../kernel-lib/models";
import { SGD, trainStep, computeGradients } from "../../kernel-lib/train";

function cifarModel(): ResNet {
  manualSeed(1);
  const model = resnet18();
  model.fc = new Linear(512, 10);
  model.conv1 = new Conv2d(3, 64, 3, { stride: 1, padding: 1, bias: false });
  model.maxpool = new Identity();
  return model;
}

function batch(): [tf.Tensor, tf.Tensor] {
  return [tf.randomNormal([4, 32, 32, 3], 0, 1, "float32", 7), tf.tensor1d([0, 3, 5, 9], "int32")];
}

function snapshot(model: ResNet): Map<string, Float32Array | Int32Array | Uint8Array> {
  return new Map(Object.entries(model.stateDict()).map(([name, tensor]) => [name, tensor.dataSync().slice()]));
}

function changedKeys(model: ResNet, before: Map<string, Float32Array | Int32Array | Uint8Array>): string[] {
  return Object.entries(model.stateDict())
    .filter(([name, tensor]) => !tensor.dataSync().every((value, i) => value === before.get(name)![i]))
    .map(([name]) => name);
}

function batchNorms(model: ResNet): Array<[string, BatchNorm2d]> {
  return model.namedModules().filter((entry): entry is [string, BatchNorm2d] => entry[1] instanceof BatchNorm2d);
}

/** Runs `body` on the wasm backend with a fresh CIFAR-stem model and a batch, disposing both afterwards. */
async function withCifarModelAndBatch(body: (model: ResNet, images: tf.Tensor, labels: tf.Tensor) => void): Promise<void> {
  await useWasmBackend();
  const model = cifarModel();
  const [images, labels] = batch();
  try {
    body(model, images, labels);
  } finally {
    tf.dispose([images, labels]);
    model.dispose();
  }
}

test("a frozen backbone gets no gradients and does not move under SGD with momentum and weight decay", () =>
  withCifarModelAndBatch((model, images, labels) => {
    freezeAllBut(model, "fc");
    model.train();
    const { grads } = computeGradients(model, images, labels);
    assert.deepEqual(Object.keys(grads).sort(), ["fc.bias", "fc.weight"]);
    tf.dispose(Object.values(grads));

    const optimizer = new SGD(model.namedParameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-2 });
    const before = snapshot(model);
    trainStep(model, optimizer, images, labels);
    trainStep(model, optimizer, images, labels);
    const changedParameters = changedKeys(model, before).filter((name) => model.namedParameters().some(([parameter]) => parameter === name));
    assert.deepEqual(changedParameters, ["fc.weight", "fc.bias"]);
  }));

test('frozen BatchNorm, policy "train" (default, as PyTorch): running statistics still update in train mode', () =>
  withCifarModelAndBatch((model, images, labels) => {
    freezeAllBut(model, "fc");
    assert.ok(batchNorms(model).every(([, bn]) => !bn.frozenStatistics));
    const before = snapshot(model);
    tf.dispose(model.train().forward(images));
    const changed = changedKeys(model, before);
    for (const [name] of batchNorms(model)) {
      assert.ok(changed.includes(`${name}.running_mean`) && changed.includes(`${name}.num_batches_tracked`), `${name} statistics must update`);
    }
    assert.ok(changed.every((name) => /running_(mean|var)|num_batches_tracked/.test(name)), `only statistics change: ${changed.join(", ")}`);
  }));

test('frozen BatchNorm, policy "eval": running statistics used and kept in train mode; unfreeze restores batch statistics', () =>
  withCifarModelAndBatch((model, images, labels) => {
    // Non-trivial running statistics, so "used the running ones" is visible in the output.
    tf.dispose(model.train().forward(images));
    freezeAllBut(model, "fc", { batchNorm: "eval" });
    assert.ok(batchNorms(model).every(([, bn]) => bn.frozenStatistics));
    const before = snapshot(model);
    const trainOutput = model.train().forward(images);
    const evalOutput = model.eval().forward(images);
    assert.deepEqual(changedKeys(model, before), []);
    assert.deepEqual(trainOutput.dataSync(), evalOutput.dataSync(), "with every BatchNorm frozen, train mode must compute what eval mode does");
    tf.dispose([trainOutput, evalOutput]);

    unfreeze(model, "layer4");
    const thawed = batchNorms(model).filter(([, bn]) => !bn.frozenStatistics).map(([name]) => name);
    assert.ok(thawed.length > 0 && thawed.every((name) => name.startsWith("layer4.")), `only layer4's BatchNorms thaw: ${thawed.join(", ")}`);
    unfreeze(model);
    assert.ok(batchNorms(model).every(([, bn]) => !bn.frozenStatistics));
    tf.dispose(model.train().forward(images));
    assert.ok(changedKeys(model, before).includes("bn1.running_mean"));
  }));

test('freeze by prefix with policy "eval" touches only that prefix; a partly frozen BatchNorm keeps batch statistics', () => {
  const model = cifarModel();
  try {
    freeze(model, "layer1", { batchNorm: "eval" });
    const frozen = batchNorms(model).filter(([, bn]) => bn.frozenStatistics).map(([name]) => name);
    assert.deepEqual(frozen, ["layer1.0.bn1", "layer1.0.bn2", "layer1.1.bn1", "layer1.1.bn2"]);
    freeze(model, "bn1.weight", { batchNorm: "eval" });
    assert.equal(model.bn1.frozenStatistics, false, "bn1.bias still learns, so bn1 keeps PyTorch's train-mode behaviour");
    assert.equal(model.bn1.weight.trainable, false);
  } finally {
    model.dispose();
  }
});
