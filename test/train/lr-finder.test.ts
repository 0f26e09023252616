import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { lrFind, steepestDescentLr } from "../../kernel-lib/train/lr-finder";
import { SGD } from "../../kernel-lib/train/sgd";
import { ClusterLoader, TinyClassifier } from "./fixtures";

tf.setBackend("cpu");

test("lrFind sweeps the lr geometrically, stops when the loss explodes and restores everything", async () => {
  const model = new TinyClassifier(12, 16, 3, 2);
  const optimizer = new SGD(model.namedParameters(), { lr: 0.05, momentum: 0.9 });
  // One real step first so the optimizer has momentum buffers that must survive the search.
  const warm = new ClusterLoader(16, 16);
  for await (const [images, labels] of warm) {
    const { trainStep } = await import("../../kernel-lib/train/train-step");
    trainStep(model, optimizer, images, labels);
    tf.dispose([images, labels]);
  }
  const loader = new ClusterLoader(64, 8);
  const weightsBefore = model.namedParameters().map(([, v]) => Array.from(v.dataSync()));
  const momentumBefore = Object.values(optimizer.stateDict().state).map((s) => Array.from((s.momentumBuffer as tf.Tensor).dataSync()));
  const generatorBefore = loader.generator.getState();
  const tensorsBefore = tf.memory().numTensors;

  const result = await lrFind(model, loader, optimizer, { startLr: 1e-4, endLr: 1e3, numIter: 60 });

  assert.ok(result.lrs.length < 60, `the search stopped early at ${result.lrs.length} steps when the loss diverged`);
  assert.equal(result.lrs[0], 1e-4);
  const ratio = result.lrs[1] / result.lrs[0];
  result.lrs.forEach((lr, i) => assert.ok(Math.abs(lr / (1e-4 * ratio ** i) - 1) < 1e-9, `lr ${i}`));
  assert.ok(Math.abs(ratio - (1e7) ** (1 / 59)) < 1e-12);
  assert.ok(result.suggestedLr > 1e-3 && result.suggestedLr < 10, `suggested ${result.suggestedLr}`);
  assert.ok(Math.min(...result.losses) < result.losses[0] * 0.8, "the loss fell somewhere in the sweep");

  assert.deepEqual(model.namedParameters().map(([, v]) => Array.from(v.dataSync())), weightsBefore, "weights restored");
  assert.deepEqual(Object.values(optimizer.stateDict().state).map((s) => Array.from((s.momentumBuffer as tf.Tensor).dataSync())), momentumBefore, "momentum restored");
  assert.equal(optimizer.paramGroups[0].lr, 0.05, "lr restored");
  assert.deepEqual(loader.generator.getState(), generatorBefore, "loader generator restored");
  assert.equal(tf.memory().numTensors, tensorsBefore, "no tensors leaked");
  optimizer.dispose();
  model.dispose();
});

test("steepestDescentLr picks the steepest fall before the minimum", () => {
  const lrs = [1e-3, 1e-2, 1e-1, 1, 10];
  assert.equal(steepestDescentLr(lrs, [2.0, 1.9, 1.2, 1.0, 5.0]), 1e-1);
  assert.equal(steepestDescentLr(lrs, [2.0, 1.0, 0.9, 0.8, 9.0]), 1e-2);
});
