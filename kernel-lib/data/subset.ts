/** `torch.utils.data.Subset`: a view of some indices of a dataset (labels carried along when known). */
import { checkIndex, isDirectBatchSource, type Dataset, type DirectBatchSource, type LabeledDataset } from "./dataset";
import type { Generator } from "./generator";

export class Subset<T> implements Dataset<T>, DirectBatchSource {
  readonly dataset: Dataset<T>;
  readonly indices: Int32Array;

  constructor(dataset: Dataset<T>, indices: ArrayLike<number>) {
    this.dataset = dataset;
    this.indices = Int32Array.from(indices);
    for (const index of this.indices) {
      if (index < 0 || index >= dataset.length) {
        throw new RangeError(`Subset: index ${index} is out of range for a dataset of ${dataset.length} items`);
      }
    }
  }

  get length(): number {
    return this.indices.length;
  }

  /** The parent's `targets` at this subset's indices (empty when the parent has none). */
  get targets(): Int32Array {
    const parent = (this.dataset as Partial<LabeledDataset<unknown>>).targets;
    if (!parent) return new Int32Array(0);
    return Int32Array.from(this.indices, (i) => parent[i]);
  }

  get classes(): readonly string[] | undefined {
    return (this.dataset as Partial<LabeledDataset<unknown>>).classes;
  }

  getItem(index: number, generator?: Generator): Promise<T> {
    checkIndex(index, this.indices.length, "Subset");
    return this.dataset.getItem(this.indices[index], generator);
  }

  /** The parent's fixed sample shape, when it can load samples into a batch directly. */
  directSampleShape(): [number, number, number] | undefined {
    return isDirectBatchSource(this.dataset) ? this.dataset.directSampleShape() : undefined;
  }

  loadInto(index: number, destination: Float32Array, offset: number, generator?: Generator): Promise<number> {
    checkIndex(index, this.indices.length, "Subset");
    if (!isDirectBatchSource(this.dataset)) throw new Error("Subset.loadInto: the parent dataset cannot load into a batch; use getItem");
    return this.dataset.loadInto(this.indices[index], destination, offset, generator);
  }
}
