import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { DataLoader, splitViews } from "../../kernel-lib/data/data-loader";
import { SkippedSampleError, type LabeledDataset } from "../../kernel-lib/data/dataset";
import { Generator } from "../../kernel-lib/data/generator";
import { Image } from "../../kernel-lib/data/image";
import { Compose, MultiView, RandomCrop, RandomHorizontalFlip, ToTensor, applyTransform, type TransformLike } from "../../kernel-lib/data/transforms";

tf.setBackend("cpu");

/** Item i is a 4x4 image filled with i/1000 (so batches can be checked value by value), label i % 3. */
class SyntheticDataset<X extends Image | Image[] = Image> implements LabeledDataset<X> {
  readonly targets: Int32Array;
  calls = 0;
  constructor(
    readonly length: number,
    private readonly transform?: TransformLike<Image, X>,
    private readonly options: { jitterMs?: number; skip?: Set<number>; fail?: Set<number>; uint8?: boolean; sizeOf?: (i: number) => number } = {},
  ) {
    this.targets = Int32Array.from({ length }, (_, i) => i % 3);
  }
  async getItem(index: number, generator?: Generator): Promise<[X, number]> {
    this.calls++;
    if (this.options.jitterMs) await new Promise((r) => setTimeout(r, Math.random() * this.options.jitterMs!));
    if (this.options.skip?.has(index)) throw new SkippedSampleError(`item-${index}.jpg`, "corrupt");
    if (this.options.fail?.has(index)) throw new Error(`Cannot decode image item-${index}.jpg`);
    const size = this.options.sizeOf ? this.options.sizeOf(index) : 4;
    const image = this.options.uint8
      ? new Image(new Uint8Array(size * size * 3).fill(index % 256), size, size)
      : new Image(new Float32Array(size * size * 3).fill(index / 1000), size, size);
    const input = this.transform ? applyTransform(this.transform, image, generator) : (image as unknown as X);
    return [input, this.targets[index]];
  }
}

async function collect(loader: DataLoader<Image>): Promise<{ firstValues: number[][]; labels: number[][]; shapes: number[][] }> {
  const firstValues: number[][] = [];
  const labels: number[][] = [];
  const shapes: number[][] = [];
  for await (const [images, batchLabels] of loader) {
    const values = (await images.data()) as Float32Array;
    const perImage = images.shape[1] * images.shape[2] * images.shape[3];
    firstValues.push(Array.from({ length: images.shape[0] }, (_, r) => Math.round(values[r * perImage] * 1000)));
    labels.push(Array.from(await batchLabels.data()));
    shapes.push(images.shape);
    assert.equal(batchLabels.dtype, "int32");
    assert.equal(images.dtype, "float32");
    tf.dispose([images, batchLabels]);
  }
  return { firstValues, labels, shapes };
}

test("batches in order with length, dropLast and int32 labels", async () => {
  const dataset = new SyntheticDataset(10);
  const loader = new DataLoader(dataset, { batchSize: 4 });
  assert.equal(loader.length, 3);
  const { firstValues, labels, shapes } = await collect(loader);
  assert.deepEqual(firstValues, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  assert.deepEqual(labels, [[0, 1, 2, 0], [1, 2, 0, 1], [2, 0]]);
  assert.deepEqual(shapes[0], [4, 4, 4, 3]);
  const dropping = new DataLoader(dataset, { batchSize: 4, dropLast: true });
  assert.equal(dropping.length, 2);
  assert.equal((await collect(dropping)).firstValues.length, 2);
});

test("shuffle covers every item once per epoch, differs between epochs, and repeats with the seed", async () => {
  const dataset = new SyntheticDataset(23, undefined, { jitterMs: 3 });
  const loader = new DataLoader(dataset, { batchSize: 5, shuffle: true, seed: 7 });
  const epoch1 = (await collect(loader)).firstValues.flat();
  const epoch2 = (await collect(loader)).firstValues.flat();
  assert.deepEqual([...epoch1].sort((a, b) => a - b), Array.from({ length: 23 }, (_, i) => i));
  assert.notDeepEqual(epoch1, epoch2);
  const again = new DataLoader(dataset, { batchSize: 5, shuffle: true, seed: 7, concurrency: 1, prefetch: 0 });
  assert.deepEqual((await collect(again)).firstValues.flat(), epoch1, "same seed, other concurrency: same order");
});

test("random augmentation is reproducible whatever order concurrent loads finish in", async () => {
  const augment = new Compose([new RandomCrop(4, { padding: 2 }), new RandomHorizontalFlip()]);
  const values = async (concurrency: number): Promise<number[]> => {
    const dataset = new SyntheticDataset(12, augment, { jitterMs: 4 });
    const loader = new DataLoader(dataset, { batchSize: 4, shuffle: true, seed: 3, concurrency });
    const out: number[] = [];
    for await (const [images, labels] of loader) {
      out.push(...Array.from(await images.data()));
      tf.dispose([images, labels]);
    }
    return out;
  };
  const a = await values(8);
  assert.deepEqual(await values(1), a);
  assert.ok(a.some((v) => v === 0), "padding shows up, so augmentation really ran");
});

test("tensor count stays flat over an epoch and after stopping early", async () => {
  const dataset = new SyntheticDataset(40);
  const before = tf.memory().numTensors;
  const loader = new DataLoader(dataset, { batchSize: 4, prefetch: 3 });
  for await (const batch of loader) tf.dispose(batch);
  assert.equal(tf.memory().numTensors, before);
  let seen = 0;
  for await (const batch of loader) {
    tf.dispose(batch);
    if (++seen === 2) break;
  }
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(tf.memory().numTensors, before);
});

test("loading runs ahead of the consumer (prefetch) with bounded concurrency", async () => {
  const dataset = new SyntheticDataset(64);
  const loader = new DataLoader(dataset, { batchSize: 4, prefetch: 2 });
  const iterator = loader[Symbol.asyncIterator]();
  const first = await iterator.next();
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(dataset.calls, 12, "the current batch and 2 prefetched batches were requested, no more");
  tf.dispose(first.value as tf.Tensor[]);
  await iterator.return?.();
});

test("a MultiView transform yields [view1, view2, labels]", async () => {
  const twoViews = new MultiView([new RandomCrop(4, { padding: 1 }), new RandomCrop(4, { padding: 1 })]);
  const dataset = new SyntheticDataset<Image[]>(6, twoViews);
  const loader = new DataLoader(dataset, { batchSize: 3, seed: 1 });
  let batches = 0;
  for await (const batch of loader) {
    assert.equal(batch.length, 3);
    const {
      views: [view1, view2],
      labels,
    } = splitViews(batch);
    assert.notDeepEqual(Array.from(view1.dataSync()), Array.from(view2.dataSync()), "two independent augmentations");
    assert.deepEqual(view1.shape, [3, 4, 4, 3]);
    assert.deepEqual(view2.shape, [3, 4, 4, 3]);
    assert.equal(labels.dtype, "int32");
    batches++;
    tf.dispose(batch);
  }
  assert.equal(batches, 2);
});

test("skipped items are dropped from their batch and reported; other errors stop with the file named", async () => {
  const dataset = new SyntheticDataset(8, undefined, { skip: new Set([2, 5]) });
  const loader = new DataLoader(dataset, { batchSize: 4 });
  const { firstValues } = await collect(loader);
  assert.deepEqual(firstValues, [[0, 1, 3], [4, 6, 7]]);
  assert.deepEqual(loader.skipped, ["item-2.jpg", "item-5.jpg"]);

  const failing = new DataLoader(new SyntheticDataset(8, undefined, { fail: new Set([6]) }), { batchSize: 4 });
  const before = tf.memory().numTensors;
  await assert.rejects(collect(failing), /item-6\.jpg/);
  assert.equal(tf.memory().numTensors, before);
});

test("uint8 samples and mixed sizes get errors with the fix", async () => {
  await assert.rejects(collect(new DataLoader(new SyntheticDataset(4, undefined, { uint8: true }), { batchSize: 2 })), /end the transform with ToTensor\(\)/);
  await assert.rejects(
    collect(new DataLoader(new SyntheticDataset(4, undefined, { sizeOf: (i) => (i === 1 ? 5 : 4) }), { batchSize: 2 })),
    /mixes image sizes 5x5x3 and 4x4x3; add Resize/,
  );
  const withToTensor = new SyntheticDataset(4, new Compose([new ToTensor()]), { uint8: true });
  assert.deepEqual((await collect(new DataLoader(withToTensor, { batchSize: 4 }))).shapes, [[4, 4, 4, 3]]);
  assert.throws(() => new DataLoader(new SyntheticDataset(4), { batchSize: 0 }), /batchSize must be a positive integer/);
});

test("forEach runs a step per batch and disposes every batch, also when a step throws", async () => {
  const loader = new DataLoader(new SyntheticDataset(10), { batchSize: 3 });
  const before = tf.memory().numTensors;
  const sizes: number[] = [];
  await loader.forEach(async ([images], index) => {
    sizes.push(images.shape[0]);
    assert.equal(index, sizes.length - 1);
  });
  assert.deepEqual(sizes, [3, 3, 3, 1]);
  assert.equal(tf.memory().numTensors, before);
  await assert.rejects(
    loader.forEach((_, index) => {
      if (index === 1) throw new Error("step failed");
    }),
    /step failed/,
  );
  assert.equal(tf.memory().numTensors, before);
});

test("samples decoded straight into the batch (ImageFolder's direct path) give the batches getItem gives, with skipped files, Subset and cacheImages too", async () => {
  const fs = await import("node:fs");
  const os = await import("node:os");
  const path = await import("node:path");
  const { ImageFolder } = await import("../../kernel-lib/data/image-folder");
  const { Subset } = await import("../../kernel-lib/data/subset");
  const { Normalize, RandomResizedCrop } = await import("../../kernel-lib/data/transforms");
  const sample = path.resolve(__dirname, "../../data/hymenoptera-sample/train");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "direct-batch-"));
  try {
    for (const label of ["ants", "bees"]) {
      fs.mkdirSync(path.join(dir, label));
      for (const name of fs.readdirSync(path.join(sample, label)).sort().slice(0, 9)) fs.copyFileSync(path.join(sample, label, name), path.join(dir, label, name));
    }
    // A truncated file in the middle of a batch: its row is closed up, as getItem's path drops it.
    const good = fs.readFileSync(path.join(dir, "ants", fs.readdirSync(path.join(dir, "ants")).sort()[0]));
    fs.writeFileSync(path.join(dir, "ants", "broken.jpg"), good.subarray(0, good.length >> 1));
    const transform = new Compose([new RandomResizedCrop(40), new RandomHorizontalFlip(), new ToTensor(), new Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]);
    const folder = new ImageFolder(dir, { transform, onError: "skip" });
    assert.deepEqual(folder.directSampleShape(), [40, 40, 3]);
    // The same dataset without the direct path: only length and getItem.
    const viaGetItem = { length: folder.length, getItem: (i: number, g?: Generator) => folder.getItem(i, g) };
    const subset = new Subset(folder, [17, 3, 8, 0, 12, 5, 9]);
    const subsetViaGetItem = { length: subset.length, getItem: (i: number, g?: Generator) => subset.getItem(i, g) };
    // cacheImages: the samples come from the pixels in memory (notebook 01's set-up).
    const cached = new ImageFolder(dir, { transform, onError: "skip", cacheImages: true });
    const cachedViaGetItem = { length: cached.length, getItem: (i: number, g?: Generator) => cached.getItem(i, g) };
    const originalWarn = console.warn;
    console.warn = () => undefined;
    try {
      const pairs = [[folder, viaGetItem, 5], [subset, subsetViaGetItem, 3], [cached, cachedViaGetItem, 4], [cached, cachedViaGetItem, 6]] as const;
      for (const [direct, reference, batchSize] of pairs) {
        const a = new DataLoader(direct, { batchSize, shuffle: true, seed: 7 });
        const b = new DataLoader(reference, { batchSize, shuffle: true, seed: 7 });
        const batchesA: [number[], number[]][] = [];
        const batchesB: [number[], number[]][] = [];
        for await (const [images, labels] of a) batchesA.push([Array.from(images.dataSync()), Array.from(labels.dataSync())]), tf.dispose([images, labels]);
        for await (const [images, labels] of b) batchesB.push([Array.from(images.dataSync()), Array.from(labels.dataSync())]), tf.dispose([images, labels]);
        assert.equal(batchesA.length, batchesB.length);
        batchesA.forEach(([pixels, labels], i) => {
          assert.deepEqual(labels, batchesB[i][1], `batch ${i} labels`);
          assert.ok(pixels.length === batchesB[i][0].length && pixels.every((v, k) => v === batchesB[i][0][k]), `batch ${i} pixels differ`);
        });
        assert.deepEqual(a.skipped, b.skipped);
      }
      const skippedRows = new DataLoader(folder, { batchSize: 19, shuffle: false });
      for await (const [images, labels] of skippedRows) {
        assert.deepEqual(images.shape, [18, 40, 40, 3], "the broken file's row is left out");
        tf.dispose([images, labels]);
      }
      assert.ok(skippedRows.skipped.some((p) => p.endsWith("broken.jpg")));
    } finally {
      console.warn = originalWarn;
    }
    // No fixed float32 shape, no direct path.
    assert.equal(new ImageFolder(dir, { transform: new Compose([new RandomResizedCrop(40), new ToTensor(), new RandomCrop(32)]) }).directSampleShape(), undefined);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the default concurrency keeps libuv's whole thread pool busy: twice UV_THREADPOOL_SIZE, else twice libuv's 4", () => {
  const previous = process.env.UV_THREADPOOL_SIZE;
  try {
    delete process.env.UV_THREADPOOL_SIZE;
    assert.equal(new DataLoader(new SyntheticDataset(4)).concurrency, 8);
    process.env.UV_THREADPOOL_SIZE = "16";
    assert.equal(new DataLoader(new SyntheticDataset(4)).concurrency, 32);
    process.env.UV_THREADPOOL_SIZE = "not a number";
    assert.equal(new DataLoader(new SyntheticDataset(4)).concurrency, 8);
    assert.equal(new DataLoader(new SyntheticDataset(4), { concurrency: 3 }).concurrency, 3, "an explicit value wins");
  } finally {
    if (previous === undefined) delete process.env.UV_THREADPOOL_SIZE;
    else process.env.UV_THREADPOOL_SIZE = previous;
  }
});
