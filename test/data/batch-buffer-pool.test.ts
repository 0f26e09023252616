/**
 * The DataLoader's batch buffers: on the torch backend, staging memory the batch tensors take over without
 * a copy and that is reused once they are disposed; never reused while a tensor the consumer keeps uses
 * it; on the cpu backend (which keeps the array as the tensor's storage), a new array per batch.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { activeStagingMemory } from "../../kernel-lib/data/batch-buffer-pool";
import { DataLoader } from "../../kernel-lib/data/data-loader";
import type { LabeledDataset } from "../../kernel-lib/data/dataset";
import { Generator } from "../../kernel-lib/data/generator";
import { Image } from "../../kernel-lib/data/image";
import { torchBackendOrSkip } from "../engine/torch-test-backend";

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

/**
 * Three epochs of a loader. `keep`: every batch is kept until the end (then read again); otherwise each is
 * disposed once read, as a training loop does. Returns the values when yielded and at the end.
 */
async function epochsOf(loader: DataLoader<Image>, keep: boolean): Promise<{ atEnd: number[][]; whenYielded: number[][]; batches: number }> {
  const kept: tf.Tensor[] = [];
  const whenYielded: number[][] = [];
  for (let epoch = 0; epoch < 3; epoch++) {
    for await (const [images, labels] of loader) {
      whenYielded.push(Array.from(images.dataSync()));
      labels.dispose();
      if (keep) kept.push(images);
      else images.dispose();
    }
  }
  const atEnd = kept.map((images) => Array.from(images.dataSync()));
  tf.dispose(kept);
  return { atEnd, whenYielded, batches: whenYielded.length };
}

test("cpu backend: every batch gets its own array, so batches the consumer keeps are never overwritten", async () => {
  await tf.setBackend("cpu");
  assert.equal(activeStagingMemory(), undefined);
  const loader = new DataLoader(new NumberedDataset(10), { batchSize: 4, shuffle: true, seed: 3 });
  const { atEnd, whenYielded, batches } = await epochsOf(loader, true);
  assert.deepEqual(atEnd, whenYielded);
  assert.equal(loader.bufferPool.allocations, batches);
});

test("torch backend: a tensor made from a whole staging array takes its memory without a copy; in use until disposed", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  await tf.setBackend("torch");
  try {
    const staging = activeStagingMemory();
    assert.ok(staging, "the torch backend offers staging memory");
    const array = staging.stagingFloat32(6)!;
    array.set([1, 2, 3, 4, 5, 6]);
    assert.equal(staging.stagingInUse(array), false);
    const tensor = tf.tensor(array, [2, 3]);
    assert.equal(staging.stagingInUse(array), true);
    array[0] = 9; // visible through the tensor: the same memory (which is why the pool waits for dispose)
    assert.deepEqual(Array.from(tensor.dataSync()), [9, 2, 3, 4, 5, 6]);
    const reshaped = tensor.reshape([3, 2]);
    tensor.dispose();
    assert.equal(staging.stagingInUse(array), true, "a reshape shares the data");
    reshaped.dispose();
    assert.equal(staging.stagingInUse(array), false);
    // Part of a staging array, or an ordinary one: copied as before.
    const part = tf.tensor(array.subarray(0, 3), [3]);
    assert.equal(staging.stagingInUse(array), false);
    assert.equal(staging.stagingInUse(new Float32Array(6)), undefined);
    part.dispose();
  } finally {
    await tf.setBackend("cpu");
  }
});

test("torch backend: batch buffers are reused across epochs once the batches are disposed, never while kept", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  await tf.setBackend("torch");
  try {
    const options = { batchSize: 4, shuffle: true, seed: 3, prefetch: 1 };
    const before = tf.memory().numTensors;
    const disposing = new DataLoader(new NumberedDataset(10), options);
    const trained = await epochsOf(disposing, false);
    assert.equal(trained.batches, 9);
    // Batches in flight (prefetch 1: two) plus the one being consumed, and the short last batch of 2.
    assert.ok(disposing.bufferPool.allocations <= 4, `${disposing.bufferPool.allocations} buffers allocated for ${trained.batches} batches`);
    const keeping = new DataLoader(new NumberedDataset(10), options);
    const kept = await epochsOf(keeping, true);
    assert.deepEqual(kept.atEnd, kept.whenYielded, "kept batches keep their values");
    assert.equal(keeping.bufferPool.allocations, kept.batches, "no buffer is reused while its batch is alive");
    assert.equal(tf.memory().numTensors, before);
    // The batches the cpu backend gives (new arrays): reuse changes no value.
    await tf.setBackend("cpu");
    const reference = await epochsOf(new DataLoader(new NumberedDataset(10), options), false);
    assert.deepEqual(trained.whenYielded, reference.whenYielded);
    assert.deepEqual(kept.whenYielded, reference.whenYielded);
  } finally {
    await tf.setBackend("cpu");
  }
});
