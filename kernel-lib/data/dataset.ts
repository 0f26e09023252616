/**
 * The dataset contract shared by ImageFolder, CIFAR10, Subset and the DataLoader, the analogue of
 * `torch.utils.data.Dataset` (map-style): a length and an item by index. Items are loaded
 * asynchronously because decoding runs off the main thread.
 */
import type { Generator } from "./generator";

export interface Dataset<T> {
  readonly length: number;
  /**
   * The item at `index`. `generator`, when given, drives the random transforms of this one item,
   * so that concurrent loading stays reproducible whatever order the decodes finish in.
   */
  getItem(index: number, generator?: Generator): Promise<T>;
}

/** A dataset of `[input, classIndex]` pairs that knows every label without loading the inputs. */
export interface LabeledDataset<T> extends Dataset<[T, number]> {
  /** Class index of every item, like torchvision's `dataset.targets`. */
  readonly targets: ArrayLike<number>;
  readonly classes?: readonly string[];
}

/**
 * An optional fast path for the DataLoader: a dataset whose samples all come out as float32 images of
 * one shape can write each one straight into the batch buffer, so no sample needs an array of its own
 * (no allocation, no copy, less garbage collection). Same values and random draws as `getItem`.
 */
export interface DirectBatchSource {
  /** `[height, width, channels]` of every sample, or undefined when there is no such fixed shape. */
  directSampleShape(): [number, number, number] | undefined;
  /** Writes sample `index` (HWC float32) into `destination` from `offset` and returns its label. */
  loadInto(index: number, destination: Float32Array, offset: number, generator?: Generator): Promise<number>;
}

export function isDirectBatchSource(value: unknown): value is DirectBatchSource {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Partial<DirectBatchSource>).directSampleShape === "function" &&
    typeof (value as Partial<DirectBatchSource>).loadInto === "function"
  );
}

/**
 * Thrown by a dataset for an item it has decided to leave out (`onError: "skip"`); the DataLoader
 * drops such items from their batch instead of stopping the epoch.
 */
export class SkippedSampleError extends Error {
  readonly filePath: string;
  constructor(filePath: string, reason: string) {
    super(`skipped ${filePath}: ${reason}`);
    this.name = "SkippedSampleError";
    this.filePath = filePath;
  }
}

export function checkIndex(index: number, length: number, owner: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new RangeError(`${owner}: index ${index} is out of range for a dataset of ${length} items`);
  }
}
