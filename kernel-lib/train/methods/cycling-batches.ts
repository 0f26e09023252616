/**
 * Endless batches from a loader that restarts (and so reshuffles) whenever an epoch ends: the
 * labeled set is far smaller than the unlabeled one, so semi-supervised training counts steps, not
 * epochs, and cycles each loader at its own pace (as the Mean Teacher and FixMatch code do).
 */
import type * as tf from "@tensorflow/tfjs";

export class CyclingBatches {
  private iterator: AsyncIterator<tf.Tensor[]> | undefined;
  /** Completed passes over the loader. */
  epochs = 0;

  constructor(private readonly loader: AsyncIterable<tf.Tensor[]>, private readonly name: string) {}

  /** The next batch; the caller disposes it. */
  async next(): Promise<tf.Tensor[]> {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (!this.iterator) this.iterator = this.loader[Symbol.asyncIterator]();
      const result = await this.iterator.next();
      if (!result.done) return result.value;
      this.iterator = undefined;
      this.epochs++;
    }
    throw new Error(`CyclingBatches: the ${this.name} loader yielded no batches; check its dataset (empty split?) and dropLast with a batch size larger than the dataset`);
  }

  /** Stops the current pass so the loader's prefetching ends. */
  async close(): Promise<void> {
    if (this.iterator?.return) await this.iterator.return();
    this.iterator = undefined;
  }
}
