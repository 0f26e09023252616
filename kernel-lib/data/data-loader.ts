/**
 * `torch.utils.data.DataLoader` for TF.js: batches of NHWC float32 images and int32 labels.
 *
 * Loading overlaps with training: up to `concurrency` items decode at once (the decoders work on libuv's
 * thread pool) and up to `prefetch` batches are assembled ahead while the consumer trains on the
 * current one. Batches are kept as typed arrays until yielded, so the only tensors are the ones the
 * consumer receives, and the CONSUMER disposes them (`tf.dispose(batch)`); stopping early leaves
 * nothing behind.
 *
 * Reproducible whatever order decodes finish in: each epoch's order comes from `generator`, and every
 * item gets its own generator for its random transforms, seeded in sample order.
 *
 * Datasets that can (DirectBatchSource: an ImageFolder whose whole transform runs in the decoder) write
 * each sample straight into its batch's buffer: no array per sample, no copy, less garbage to collect.
 * On the torch backend the batch buffers are its staging memory: the batch tensors take them over without a
 * copy, and they are reused once those tensors are disposed (BatchBufferPool).
 */
import * as tf from "@tensorflow/tfjs";
import { checkOptionNames } from "./check-options";
import { BatchBufferPool } from "./batch-buffer-pool";
import { decodeThreadCount } from "./decode-threads";
import { isDirectBatchSource, SkippedSampleError, type Dataset } from "./dataset";
import { Generator } from "./generator";
import { Image } from "./image";
import { defaultGenerator } from "./transforms/transform";

/** A sample's input: one image, or several views of it (see MultiView). */
export type SampleInput = Image | Image[];

/** `[images, labels]`, or `[view1, view2, ..., labels]` when the transform returns several views. */
export type BatchOf<X extends SampleInput> = X extends Image[] ? [...tf.Tensor4D[], tf.Tensor1D] : [tf.Tensor4D, tf.Tensor1D];

export interface DataLoaderOptions {
  /** Items per batch (default 1, as in PyTorch). */
  batchSize?: number;
  /** Reshuffle every epoch (default false). */
  shuffle?: boolean;
  /** Drop the last, incomplete batch (default false). */
  dropLast?: boolean;
  /** Drives shuffling and per-item augmentation; takes precedence over `seed`. */
  generator?: Generator;
  /** Seed for a new generator when none is given (default: drawn from the shared default generator). */
  seed?: number;
  /** Batches assembled ahead of the one being consumed (default 2). */
  prefetch?: number;
  /** Items loading at once (default: twice libuv's thread pool, UV_THREADPOOL_SIZE or 4, so every decode thread stays busy). */
  concurrency?: number;
}

interface CollatedBatch {
  views: Float32Array[];
  /** The pool's buffers this batch was assembled in (the views, or what they were sliced from). */
  buffers: Float32Array[];
  shape: [number, number, number];
  labels: Int32Array;
}

/** A FIFO counting semaphore, so items are started in sample order. */
class Slots {
  private free: number;
  private waiting: (() => void)[] = [];
  constructor(count: number) {
    this.free = count;
  }
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

/** Twice the threads of libuv's pool, where the decoders run: one item decoding and one waiting per thread. */
export function defaultConcurrency(): number {
  return 2 * decodeThreadCount(process.env.UV_THREADPOOL_SIZE);
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`DataLoader: ${name} must be a positive integer, got ${value}`);
  return value;
}

export class DataLoader<X extends SampleInput = Image> implements AsyncIterable<BatchOf<X>> {
  readonly dataset: Dataset<[X, number]>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly prefetch: number;
  readonly concurrency: number;
  readonly generator: Generator;
  /** Items left out of batches because the dataset skipped them (onError: "skip"). */
  readonly skipped: string[] = [];
  /** Batch buffers: staging memory the batch tensors take over, reused once no tensor uses it (torch backend). */
  readonly bufferPool: BatchBufferPool;

  constructor(dataset: Dataset<[X, number]>, options: DataLoaderOptions = {}) {
    if (!dataset || typeof dataset.getItem !== "function" || !Number.isInteger(dataset.length)) {
      throw new Error("DataLoader: the first argument must be a dataset (ImageFolder, CIFAR10, Subset, ...)");
    }
    checkOptionNames("DataLoader", options, ["batchSize", "shuffle", "dropLast", "generator", "seed", "prefetch", "concurrency"]);
    this.dataset = dataset;
    this.batchSize = positiveInteger(options.batchSize ?? 1, "batchSize");
    this.shuffle = options.shuffle ?? false;
    this.dropLast = options.dropLast ?? false;
    this.prefetch = options.prefetch === 0 ? 0 : positiveInteger(options.prefetch ?? 2, "prefetch");
    this.concurrency = positiveInteger(options.concurrency ?? defaultConcurrency(), "concurrency");
    // Enough for every batch in flight with a few views each (FixMatch's weak + strong).
    this.bufferPool = new BatchBufferPool((this.prefetch + 2) * 3);
    this.generator = options.generator ?? new Generator(options.seed ?? defaultGenerator.nextUint32());
  }

  /** Number of batches per epoch, like `len(loader)`. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<BatchOf<X>, void, undefined> {
    const n = this.dataset.length;
    const order = this.shuffle ? this.generator.randperm(n) : Int32Array.from({ length: n }, (_, i) => i);
    // Seeds are drawn for every item up front, in order, so results do not depend on timing.
    const itemSeeds = Uint32Array.from({ length: n }, () => this.generator.nextUint32());
    const batchCount = this.length;
    const slots = new Slots(this.concurrency);
    const pending: Promise<CollatedBatch | null>[] = [];
    let stopped = false;

    /** Runs one sample's load in a slot with its own generator; null when stopped or the dataset skipped it. */
    const loadInSlot = async <T>(position: number, load: (index: number, generator: Generator) => Promise<T>): Promise<T | null> => {
      await slots.acquire();
      try {
        if (stopped) return null;
        return await load(order[position], new Generator(itemSeeds[position]));
      } catch (error) {
        if (error instanceof SkippedSampleError) {
          this.skipped.push(error.filePath);
          return null;
        }
        throw error;
      } finally {
        slots.release();
      }
    };
    const loadItem = (position: number): Promise<[X, number] | null> => loadInSlot(position, (index, generator) => this.dataset.getItem(index, generator));
    const direct = isDirectBatchSource(this.dataset) ? this.dataset : undefined;
    const directShape = direct?.directSampleShape();
    /** Loads a batch's samples into one buffer (rows of skipped samples closed up afterwards). */
    const loadDirectBatch = async (first: number, last: number, shape: [number, number, number]): Promise<CollatedBatch | null> => {
      const perImage = shape[0] * shape[1] * shape[2];
      const buffer = this.bufferPool.take((last - first) * perImage);
      const labels = new Int32Array(last - first);
      const loaded = new Uint8Array(last - first);
      const loadRow = async (row: number): Promise<void> => {
        const position = first + row;
        const label = await loadInSlot(position, (index, generator) => direct!.loadInto(index, buffer, row * perImage, generator));
        if (label === null) return;
        if (!Number.isInteger(label)) throw new Error(`DataLoader: label ${label} of sample at position ${position} is not an integer class index`);
        labels[row] = label;
        loaded[row] = 1;
      };
      await Promise.all(Array.from({ length: last - first }, (_, row) => loadRow(row)));
      if (stopped) return null;
      let count = 0;
      for (let row = 0; row < last - first; row++) {
        if (!loaded[row]) continue;
        if (row !== count) {
          buffer.copyWithin(count * perImage, row * perImage, (row + 1) * perImage);
          labels[count] = labels[row];
        }
        count++;
      }
      if (count === 0) return null;
      return { views: [count === last - first ? buffer : buffer.slice(0, count * perImage)], buffers: [buffer], shape, labels: labels.slice(0, count) };
    };
    const startBatch = (batchIndex: number): void => {
      const first = batchIndex * this.batchSize;
      const last = Math.min(n, first + this.batchSize);
      if (directShape) {
        const batch = loadDirectBatch(first, last, directShape);
        batch.catch(() => undefined);
        pending.push(batch);
        return;
      }
      const items: Promise<[X, number] | null>[] = [];
      for (let position = first; position < last; position++) items.push(loadItem(position));
      const batch = Promise.all(items).then((loaded) => (stopped ? null : collate(loaded, first, this.bufferPool)));
      // A batch abandoned by an early stop must not surface as an unhandled rejection.
      batch.catch(() => undefined);
      pending.push(batch);
    };

    let started = 0;
    try {
      for (let batchIndex = 0; batchIndex < batchCount; batchIndex++) {
        while (started < batchCount && started <= batchIndex + this.prefetch) startBatch(started++);
        const collated = await pending.shift();
        if (!collated) continue; // every item of this batch was skipped
        const images = collated.views.map((data) => tf.tensor4d(data, [collated.labels.length, ...collated.shape], "float32"));
        const labels = tf.tensor1d(collated.labels, "int32");
        this.bufferPool.recycle(collated.buffers);
        yield [...images, labels] as BatchOf<X>;
      }
    } finally {
      stopped = true;
    }
  }

  /**
   * Runs `step` on every batch of one epoch and disposes each batch after its step resolves (to keep
   * a tensor beyond the step, `clone()` it). tslab cannot run a top-level `for await`, so in
   * notebooks write `await loader.forEach(async ([images, labels], i) => { ... })`.
   */
  async forEach(step: (batch: BatchOf<X>, batchIndex: number) => void | Promise<void>): Promise<void> {
    let batchIndex = 0;
    for await (const batch of this) {
      try {
        await step(batch, batchIndex++);
      } finally {
        tf.dispose(batch as tf.Tensor[]);
      }
    }
  }

  toString(): string {
    return `DataLoader(${this.dataset.length} items, batchSize=${this.batchSize}, shuffle=${this.shuffle}, dropLast=${this.dropLast}, ${this.length} batches)`;
  }
}

/** Stacks a batch's samples (dropping skipped ones) into one NHWC buffer per view. */
function collate<X extends SampleInput>(loaded: ([X, number] | null)[], firstPosition: number, pool: BatchBufferPool): CollatedBatch | null {
  const present = loaded.filter((item): item is [X, number] => item !== null);
  if (present.length === 0) return null;
  const viewsOf = (input: X): Image[] => (Array.isArray(input) ? input : [input]);
  const reference = viewsOf(present[0][0]);
  for (const [index, view] of reference.entries()) checkCollatable(view, firstPosition, index);
  const shape = reference[0].shape;
  const perImage = shape[0] * shape[1] * shape[2];
  const views = reference.map(() => pool.take(present.length * perImage));
  const labels = new Int32Array(present.length);
  present.forEach(([input, label], row) => {
    const imageViews = viewsOf(input);
    if (imageViews.length !== views.length) {
      throw new Error(`DataLoader: samples return different numbers of views (${imageViews.length} vs ${views.length})`);
    }
    imageViews.forEach((view, v) => {
      checkCollatable(view, firstPosition + row, v);
      if (view.height !== shape[0] || view.width !== shape[1] || view.channels !== shape[2]) {
        throw new Error(
          `DataLoader: a batch mixes image sizes ${view.height}x${view.width}x${view.channels} and ${shape.join("x")}; ` +
            `add Resize + CenterCrop or RandomResizedCrop so every image has one size`,
        );
      }
      views[v].set(view.data as Float32Array, row * perImage);
    });
    if (!Number.isInteger(label)) throw new Error(`DataLoader: label ${label} of sample at position ${firstPosition + row} is not an integer class index`);
    labels[row] = label;
  });
  return { views, buffers: views, shape, labels };
}

function checkCollatable(view: unknown, position: number, viewIndex: number): void {
  if (!(view instanceof Image)) {
    throw new Error(`DataLoader: sample at position ${position} (view ${viewIndex}) is not an Image; the dataset's transform must return an Image or an array of Images`);
  }
  if (view.pixelType !== "float32") {
    throw new Error(`DataLoader: samples are uint8 images; end the transform with ToTensor() (and Normalize) so batches are float32`);
  }
}

/**
 * Names the parts of a multi-view batch: `const { views: [weak, strong], labels } = splitViews(batch)`
 * (destructuring the tuple directly types every element as Tensor4D | Tensor1D).
 */
export function splitViews(batch: readonly tf.Tensor[]): { views: tf.Tensor4D[]; labels: tf.Tensor1D } {
  if (batch.length < 2) throw new Error(`splitViews: a batch has at least [images, labels], got ${batch.length} tensors`);
  return { views: batch.slice(0, -1) as tf.Tensor4D[], labels: batch[batch.length - 1] as tf.Tensor1D };
}
