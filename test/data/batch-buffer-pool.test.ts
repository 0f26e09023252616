/**
 * The DataLoader's batch buffers: reused across batches and epochs under a backend that copies tensor
 * values (torch), never under one that keeps the array as the tensor's storage (cpu), where reuse would
 * overwrite batches the consumer still holds.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendCopiesWrittenValues, BatchBufferPool } from "../../kernel-lib/data/batch-buffer-pool";
import { DataLoader } from "../../kernel-lib/data/data-loader";
import type { LabeledDataset } from "../../kernel-lib/data/dataset";
import { Generator } from "../../kernel-lib/data/generator";
import { Image } from "../../kernel-lib/data/image";
import { torchBackendOrSkip } from "../engine/torch-test-backend";

test("BatchBufferPool hands back recycled buffers of the asked length and keeps at most its capacity", () => {
  const pool = new BatchBufferPool(2);
  const a = pool.take(6);
  const b = pool.take(6);
  const c = pool.take(4);
  assert.equal(pool.allocations, 3);
  assert.deepEqual([a.length, c.length], [6, 4]);
  pool.recycle([a, c]);
  assert.equal(pool.take(6), a);
  assert.equal(pool.take(4), c);
  assert.notEqual(pool.take(6), b, "b was never recycled");
  assert.equal(pool.allocations, 4);
  pool.recycle([a, b, c, c]);
  assert.equal(pool.freeCount, 2, "the oldest beyond the capacity is dropped, a repeat is not added twice");
  assert.equal(pool.take(6), b);
  assert.equal(pool.take(4), c);
  assert.notEqual(pool.take(6), a, "a was the one dropped");
});

/** Item i: a 2x2 float image whose every value is seeded by (i, the item's generator), so batches can be compared. */
class NumberedDataset implements LabeledDataset<Image> {
  readonly targets: Int32Array;
  constructor(readonly length: number) {
    this.targets = Int32Array.from({ length }, (_, i) => i % 2);
  }
  async getItem(index: number, generator?: Generator): Promise<[Image, number]> {
    const noise = generator ? generator.nextUint32() / 2 ** 32 : 0;
    return [new Image(new Float32Array(12).fill(index + noise), 2, 2, 3), this.targets[index]];
  }
}

/** Three epochs of a loader, keeping every batch until the end; returns the values read at the end and when yielded. */
async function keptBatches(loader: DataLoader<Image>): Promise<{ atEnd: number[][]; whenYielded: number[][]; batches: number }> {
  const kept: tf.Tensor[] = [];
  const whenYielded: number[][] = [];
  for (let epoch = 0; epoch < 3; epoch++) {
    for await (const [images, labels] of loader) {
      whenYielded.push(Array.from(images.dataSync()));
      kept.push(images);
      labels.dispose();
    }
  }
  const atEnd = kept.map((images) => Array.from(images.dataSync()));
  tf.dispose(kept);
  return { atEnd, whenYielded, batches: kept.length };
}

test("cpu backend: every batch gets its own array, so batches the consumer keeps are never overwritten", async () => {
  await tf.setBackend("cpu");
  assert.equal(backendCopiesWrittenValues(), false);
  const loader = new DataLoader(new NumberedDataset(10), { batchSize: 4, shuffle: true, seed: 3 });
  const { atEnd, whenYielded, batches } = await keptBatches(loader);
  assert.deepEqual(atEnd, whenYielded);
  assert.equal(loader.bufferPool.allocations, batches);
});

test("torch backend: batch buffers are reused across batches and epochs, and kept batches keep their values", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  await tf.setBackend("torch");
  try {
    assert.equal(backendCopiesWrittenValues(), true);
    const loader = new DataLoader(new NumberedDataset(10), { batchSize: 4, shuffle: true, seed: 3, prefetch: 1 });
    const before = tf.memory().numTensors;
    const { atEnd, whenYielded, batches } = await keptBatches(loader);
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(atEnd, whenYielded);
    assert.equal(batches, 9);
    // Two full batches in flight at most (prefetch 1), plus the short last batch of 2 (kept free across epochs).
    assert.ok(loader.bufferPool.allocations <= 3, `${loader.bufferPool.allocations} buffers allocated for ${batches} batches`);
    // The same batches as the cpu backend gives (which never reuses): reuse changes no value.
    await tf.setBackend("cpu");
    const reference = await keptBatches(new DataLoader(new NumberedDataset(10), { batchSize: 4, shuffle: true, seed: 3, prefetch: 1 }));
    assert.deepEqual(whenYielded, reference.whenYielded);
  } finally {
    await tf.setBackend("cpu");
  }
});
