import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "../../kernel-lib/data/dataset";
import { Image } from "../../kernel-lib/data/image";
import { evenlySpacedIndices, loadBatch } from "../../kernel-lib/data/load-batch";

/** Sample i is a 2x2 image filled with i / 10, labelled i % 3. */
const numbered: Dataset<[Image, number]> = {
  length: 10,
  async getItem(index: number): Promise<[Image, number]> {
    return [new Image(new Float32Array(12).fill(index / 10), 2, 2, 3), index % 3];
  },
};

test("loadBatch stacks exactly the chosen samples, in the order given, and leaves only the two tensors", async () => {
  const before = tf.memory().numTensors;
  const [images, labels] = await loadBatch(numbered, [7, 2, 5]);
  assert.deepEqual(images.shape, [3, 2, 2, 3]);
  assert.deepEqual(Array.from(labels.dataSync()), [1, 2, 2]);
  const firstPixel = (row: number) => images.dataSync()[row * 12];
  assert.deepEqual([firstPixel(0), firstPixel(1), firstPixel(2)].map((v) => Math.round(v * 10)), [7, 2, 5]);
  assert.equal(tf.memory().numTensors, before + 2);
  tf.dispose([images, labels]);
});

test("loadBatch rejects an empty index list with the fix", async () => {
  await assert.rejects(loadBatch(numbered, []), /loadBatch: indices is empty/);
  await assert.rejects(loadBatch(numbered, [10]), /Subset: index 10 is out of range/);
});

test("evenlySpacedIndices spreads the picks over the whole dataset, and takes everything from a small one", () => {
  assert.deepEqual(evenlySpacedIndices(100, 4), [0, 25, 50, 75]);
  assert.deepEqual(evenlySpacedIndices(10, 3), [0, 3, 6]);
  assert.deepEqual(evenlySpacedIndices(3, 8), [0, 1, 2]);
  assert.deepEqual(evenlySpacedIndices(0, 8), []);
});
