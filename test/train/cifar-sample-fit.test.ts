/**
 * End to end: fit a small network on the bundled CIFAR-10 sample (500 train / 300 test images, read by
 * the real CIFAR10 loader and DataLoader) on the cpu backend and reach clearly-above-chance accuracy.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { CIFAR10 } from "../../kernel-lib/data/cifar10";
import { DataLoader } from "../../kernel-lib/data/data-loader";
import { Generator } from "../../kernel-lib/data/generator";
import { Compose, Normalize, RandomHorizontalFlip, ToTensor } from "../../kernel-lib/data/transforms";
import { Linear } from "../../kernel-lib/models/linear";
import { Module } from "../../kernel-lib/models/module";
import { Adam } from "../../kernel-lib/train/adam";
import { CosineAnnealingLR } from "../../kernel-lib/train/lr-scheduler";
import { fit } from "../../kernel-lib/train/fit";
import { recordingSink } from "./fixtures";

tf.setBackend("cpu");

const ROOT = "data/cifar10-sample";
const MEAN = [0.4914, 0.4822, 0.4465];
const STD = [0.247, 0.2435, 0.2616];

/** 2x2 average pooling, then an MLP: small enough for the cpu backend to train in seconds. */
class PooledMlp extends Module {
  fc1: Linear;
  fc2: Linear;

  constructor(generator: Generator) {
    super();
    this.fc1 = new Linear(16 * 16 * 3, 64, { generator });
    this.fc2 = new Linear(64, 10, { generator });
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const pooled = tf.avgPool(x as tf.Tensor4D, 2, 2, "valid");
      return this.fc2.forward(tf.relu(this.fc1.forward(tf.reshape(pooled, [x.shape[0], -1]))));
    });
  }
}

test("fit on the bundled CIFAR-10 sample reaches clearly-above-chance test accuracy", async () => {
  const trainSet = await CIFAR10({ root: ROOT, train: true, transform: new Compose([new RandomHorizontalFlip(), new ToTensor(), new Normalize(MEAN, STD)]) });
  const testSet = await CIFAR10({ root: ROOT, train: false, transform: new Compose([new ToTensor(), new Normalize(MEAN, STD)]) });
  const model = new PooledMlp(new Generator(0));
  const optimizer = new Adam(model.namedParameters(), { lr: 2e-3 });
  const epochs = 5;
  const scheduler = new CosineAnnealingLR(optimizer, { tMax: epochs });
  const sink = recordingSink(false);
  const tensorCounts: number[] = [];
  const started = performance.now();
  const history = await fit(
    model,
    {
      train: new DataLoader(trainSet, { batchSize: 50, shuffle: true, generator: new Generator(1) }),
      val: new DataLoader(testSet, { batchSize: 100 }),
    },
    { epochs, optimizer, scheduler, progressSink: sink, callbacks: [{ onEpochEnd: () => void tensorCounts.push(tf.memory().numTensors) }] },
  );
  const seconds = (performance.now() - started) / 1000;
  const counts = new Array<number>(10).fill(0);
  for (const label of testSet.targets) counts[label]++;
  const majority = Math.max(...counts) / testSet.targets.length;
  const best = Math.max(...history.map((r) => r.valAccuracy as number));
  console.log(`${sink.text()}CIFAR-10 sample: best test accuracy ${best.toFixed(3)} (chance 0.1, majority class ${majority.toFixed(3)}) in ${seconds.toFixed(1)} s`);
  assert.ok(best >= 0.25 && best >= 2 * majority, `best test accuracy ${best} should clearly beat chance (0.1) and the majority class (${majority})`);
  assert.equal(new Set(tensorCounts).size, 1, `tf.memory().numTensors after each epoch: ${tensorCounts}`);
  assert.ok(history[epochs - 1].trainLoss < history[0].trainLoss - 0.3, "train loss falls");
  optimizer.dispose();
  model.dispose();
});
