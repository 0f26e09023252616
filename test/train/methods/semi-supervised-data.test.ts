import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { CIFAR10 } from "../../../kernel-lib/data/cifar10";
import { semiSupervisedData } from "../../../kernel-lib/train/methods/semi-supervised-data";

tf.setBackend("cpu");

const SAMPLE = "data/cifar10-sample";

test("semiSupervisedData: stratified labels, disjoint splits, two independent views per method", async () => {
  const train = await CIFAR10({ root: SAMPLE, train: true });
  const test = await CIFAR10({ root: SAMPLE, train: false });
  const data = semiSupervisedData(train, test, { labels: 30, batchSize: 3, unlabeledRatio: 2, imageSize: 8, testLimit: 12, seed: 1 });
  assert.deepEqual(data.labelsPerClass, new Array(10).fill(3));
  assert.equal(data.labeledCount + data.unlabeledCount, train.length);
  assert.equal(data.testCount, 12);

  const [images, labels] = (await data.labeled[Symbol.asyncIterator]().next()).value as tf.Tensor[];
  assert.deepEqual(images.shape, [3, 8, 8, 3]);
  assert.equal(labels.shape[0], 3);
  tf.dispose([images, labels]);

  for (const loader of [data.meanTeacherUnlabeled, data.fixMatchUnlabeled]) {
    const batch = (await loader[Symbol.asyncIterator]().next()).value as tf.Tensor[];
    assert.equal(batch.length, 3, "[view1, view2, labels]");
    assert.deepEqual(batch[0].shape, [6, 8, 8, 3]); // μ · batch size
    const difference = tf.tidy(() => tf.max(tf.abs(tf.sub(batch[0], batch[1]))).dataSync()[0]);
    assert.ok(difference > 0.1, "the two views of an image must be different augmentations");
    tf.dispose(batch);
  }
  // Every test image is used once, unaugmented.
  let seen = 0;
  await data.test.forEach(([testImages]) => {
    seen += testImages.shape[0];
  });
  assert.equal(seen, 12);
  // Full-size CIFAR views (no Resize): 32x32, strong view through RandAugment and erasing.
  const fullSize = semiSupervisedData(train, test, { labels: 10, batchSize: 2, unlabeledRatio: 1 });
  const strongBatch = (await fullSize.fixMatchUnlabeled[Symbol.asyncIterator]().next()).value as tf.Tensor[];
  assert.deepEqual(strongBatch[1].shape, [2, 32, 32, 3]);
  tf.dispose(strongBatch);
  assert.throws(() => semiSupervisedData(train, test, { labels: 30, batchSize: 3, unlabeledRatio: 0.5 }), /unlabeledRatio \(μ\) must be a positive integer/);
});
