import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CIFAR10 } from "../../kernel-lib/data/cifar10";
import { ImageFolder } from "../../kernel-lib/data/image-folder";

const DATA = path.resolve(__dirname, "../../data");
const SHARED_SUBSET = path.resolve(__dirname, "../../../shared/data/cifar-10-batches-bin-subset");

function folderBytes(folder: string): number {
  return fs.readdirSync(folder, { withFileTypes: true }).reduce((sum, entry) => {
    const full = path.join(folder, entry.name);
    return sum + (entry.isDirectory() ? folderBytes(full) : fs.statSync(full).size);
  }, 0);
}

test("committed samples stay within the 15 MB budget", () => {
  const total = folderBytes(path.join(DATA, "cifar10-sample")) + folderBytes(path.join(DATA, "hymenoptera-sample"));
  assert.ok(total <= 15 * 1024 * 1024, `samples take ${(total / 1e6).toFixed(1)} MB`);
});

test("the CIFAR-10 sample loads with the real loader and equals the official records", async () => {
  const train = await CIFAR10({ root: path.join(DATA, "cifar10-sample"), train: true });
  const testSplit = await CIFAR10({ root: path.join(DATA, "cifar10-sample"), train: false });
  assert.equal(train.length, 500);
  assert.equal(testSplit.length, 300);
  assert.equal(train.classes.length, 10);
  const official = await CIFAR10({ root: SHARED_SUBSET, train: false });
  assert.deepEqual(Buffer.from(testSplit.data), Buffer.from(official.data.subarray(0, 300 * 3072)));
  assert.deepEqual(Array.from(testSplit.targets), Array.from(official.targets.subarray(0, 300)));
});

test("the hymenoptera sample is an ImageFolder with 30 + 20 images per class", () => {
  const train = new ImageFolder(path.join(DATA, "hymenoptera-sample", "train"));
  const val = new ImageFolder(path.join(DATA, "hymenoptera-sample", "val"));
  assert.deepEqual(train.classes, ["ants", "bees"]);
  assert.deepEqual([0, 1].map((c) => train.targets.filter((t) => t === c).length), [30, 30]);
  assert.deepEqual([0, 1].map((c) => val.targets.filter((t) => t === c).length), [20, 20]);
  assert.ok(train.ignoredFiles.some((f) => f.endsWith("imageNotFound.gif")));
});

test("an epoch over each sample through DataLoader: NHWC float32 batches, int32 labels, no tensor left behind", async () => {
  const tf = await import("@tensorflow/tfjs");
  const { DataLoader } = await import("../../kernel-lib/data/data-loader");
  const { Compose, RandomResizedCrop, RandomHorizontalFlip, RandomCrop, ToTensor, Normalize } = await import("../../kernel-lib/data/transforms");
  await tf.setBackend("cpu");
  const before = tf.memory().numTensors;
  const hymenoptera = new ImageFolder(path.join(DATA, "hymenoptera-sample", "train"), {
    transform: new Compose([new RandomResizedCrop(64), new RandomHorizontalFlip(), new ToTensor(), new Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]),
  });
  let labelSum = 0;
  let images = 0;
  await new DataLoader(hymenoptera, { batchSize: 16, shuffle: true, seed: 0 }).forEach(async ([batch, labels]) => {
    assert.deepEqual(batch.shape.slice(1), [64, 64, 3]);
    assert.equal(batch.dtype, "float32");
    assert.equal(labels.dtype, "int32");
    labelSum += Array.from(await labels.data()).reduce((a, b) => a + b, 0);
    images += batch.shape[0];
  });
  assert.equal(images, 60);
  assert.equal(labelSum, 30, "30 bees (label 1) seen once each");
  const cifar = await CIFAR10({ root: path.join(DATA, "cifar10-sample"), train: true, transform: new Compose([new RandomCrop(32, { padding: 4 }), new ToTensor()]) });
  const loader = new DataLoader(cifar, { batchSize: 128, shuffle: true, dropLast: true, seed: 1 });
  let batches = 0;
  await loader.forEach(([batch]) => {
    assert.deepEqual(batch.shape, [128, 32, 32, 3]);
    batches++;
  });
  assert.equal(batches, loader.length);
  assert.equal(loader.length, 3);
  assert.equal(tf.memory().numTensors, before);
});
