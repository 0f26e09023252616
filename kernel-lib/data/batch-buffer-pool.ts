/**
 * The float32 buffers a DataLoader assembles batches in, reused across batches and epochs where that is
 * safe.
 *
 * Why: a 224x224 batch of 32 is a 19 MB Float32Array, memory outside V8's heap that V8 still counts. A new
 * one per batch starts a full mark-compact on the JavaScript thread every few batches, and with a
 * notebook's TypeScript compiler in the heap each one costs 15-30 ms. Measured on the hymenoptera
 * pipeline (2-core VM): 31 mark-compacts in 8 epochs and 1.8 ms of CPU per image with new buffers;
 * 2 mark-compacts and 1.2 ms with reused ones.
 *
 * When it is safe: only once the backend no longer reads the array. A backend that copies the values
 * into its own storage when a tensor is made says so with `copiesWrittenValues` (the torch backend).
 * The cpu backend keeps the very array as the tensor's storage and hands it out again from dataSync(),
 * so under it every batch gets a new array.
 */
import * as tf from "@tensorflow/tfjs";

/** A backend that declares it copies what `write` is given, so the caller may overwrite it afterwards. */
interface CopyingBackend {
  readonly copiesWrittenValues?: boolean;
}

/** True when the active backend copies tensor values on creation (see the module comment). */
export function backendCopiesWrittenValues(): boolean {
  return (tf.backend() as CopyingBackend).copiesWrittenValues === true;
}

export class BatchBufferPool {
  private readonly free: Float32Array[] = [];
  /** Arrays this pool has allocated (reuse keeps it flat across epochs). */
  allocations = 0;

  /** `capacity`: free buffers kept for reuse; older ones beyond it are left to the garbage collector. */
  constructor(readonly capacity: number) {}

  /** A buffer of exactly `length` floats: a free one when there is one, else a new (zeroed) array. */
  take(length: number): Float32Array {
    const index = this.free.findIndex((buffer) => buffer.length === length);
    if (index >= 0) return this.free.splice(index, 1)[0];
    this.allocations++;
    return new Float32Array(length);
  }

  /** Makes `buffers` available to `take` again; the caller no longer uses them, nor does any tensor. */
  recycle(buffers: readonly Float32Array[]): void {
    for (const buffer of buffers) {
      if (this.free.includes(buffer)) continue;
      this.free.push(buffer);
      if (this.free.length > this.capacity) this.free.shift();
    }
  }

  get freeCount(): number {
    return this.free.length;
  }
}
