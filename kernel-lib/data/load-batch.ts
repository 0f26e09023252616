/**
 * One batch of chosen samples, PyTorch's `next(iter(DataLoader(Subset(ds, indices), batch_size=len(indices))))`:
 * for showing a few images (a sample grid, the top losses) without writing a loop, which tslab cannot
 * run at the top level as `for await`. The caller disposes the two tensors.
 */
import type * as tf from "@tensorflow/tfjs";
import type { Dataset } from "./dataset";
import { DataLoader } from "./data-loader";
import type { Image } from "./image";
import { Subset } from "./subset";

export async function loadBatch(dataset: Dataset<[Image, number]>, indices: ArrayLike<number>, options: { seed?: number } = {}): Promise<[tf.Tensor4D, tf.Tensor1D]> {
  if (indices.length === 0) throw new Error("loadBatch: indices is empty; pass the positions of the samples to load, e.g. [0, 1, 2, 3]");
  const loader = new DataLoader(new Subset(dataset, indices), { batchSize: indices.length, seed: options.seed ?? 0 });
  for await (const batch of loader) return batch;
  throw new Error(`loadBatch: none of the ${indices.length} samples could be loaded (all skipped by the dataset)`);
}

/**
 * `count` positions spread evenly over a dataset of `length` items (all of them when it is smaller):
 * image-folder datasets are sorted by class, so the first few samples would all show one class.
 */
export function evenlySpacedIndices(length: number, count: number): number[] {
  const n = Math.min(count, length);
  return Array.from({ length: n }, (_, i) => Math.floor((i * length) / n));
}
