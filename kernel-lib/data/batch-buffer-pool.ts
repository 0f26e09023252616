/**
 * The float32 buffers a DataLoader assembles batches in: on a backend that offers staging memory (the torch
 * backend), buffers the batch tensor takes over without a copy and that are reused once no tensor uses them;
 * elsewhere, a new array per batch.
 *
 * Why: a 224x224 batch of 32 is a 19 MB Float32Array, memory outside V8's heap that V8 still counts. A new
 * one per batch starts a full mark-compact on the JavaScript thread every few batches, and with a
 * notebook's TypeScript compiler in the heap each one costs 15-30 ms. Measured on the hymenoptera
 * pipeline (2-core VM): 31 mark-compacts in 8 epochs and 1.8 ms of CPU per image with new buffers;
 * 2 mark-compacts and 1.2 ms with reused ones. Staging memory also spares the copy into the tensor
 * (19 MB per batch on the JavaScript thread).
 *
 * Never wrong: a buffer is written again only when the backend says no tensor uses its memory, so a
 * batch the consumer keeps keeps its values (its buffer is simply not reused). The cpu backend keeps the
 * very array as the tensor's storage and hands it out again from dataSync(), so it gets new arrays.
 */
import * as tf from "@tensorflow/tfjs";

/** What a backend offers to take batch memory without a copy (TorchBackend implements it). */
export interface StagingMemory {
  /** New memory a tensor made from the whole array takes over; undefined when none can be had. */
  stagingFloat32(length: number): Float32Array | undefined;
  /** For an array stagingFloat32 gave: whether a tensor still uses it. undefined for other arrays. */
  stagingInUse(array: Float32Array): boolean | undefined;
}

/** The active backend's staging memory, or undefined when it has none (cpu, wasm). */
export function activeStagingMemory(): StagingMemory | undefined {
  const backend = tf.backend() as Partial<StagingMemory>;
  return typeof backend.stagingFloat32 === "function" && typeof backend.stagingInUse === "function" ? (backend as StagingMemory) : undefined;
}

export class BatchBufferPool {
  private readonly free: Float32Array[] = [];
  /** Arrays this pool has allocated (reuse keeps it flat across epochs while batches are disposed). */
  allocations = 0;

  /** `capacity`: free buffers kept for reuse; older ones beyond it are left to the garbage collector. */
  constructor(readonly capacity: number) {}

  /** A buffer of exactly `length` floats, with any values in it: a free one no tensor uses, else a new one. */
  take(length: number): Float32Array {
    const staging = activeStagingMemory();
    if (staging) {
      const index = this.free.findIndex((buffer) => buffer.length === length && staging.stagingInUse(buffer) === false);
      if (index >= 0) return this.free.splice(index, 1)[0];
    }
    this.allocations++;
    return staging?.stagingFloat32(length) ?? new Float32Array(length);
  }

  /**
   * Offers `buffers` (from take) for reuse once the caller is done writing them: staging buffers join the
   * free list (take checks that no tensor uses them); other arrays may be a tensor's storage and are dropped.
   */
  recycle(buffers: readonly Float32Array[]): void {
    const staging = activeStagingMemory();
    if (!staging) return;
    for (const buffer of buffers) {
      if (staging.stagingInUse(buffer) === undefined || this.free.includes(buffer)) continue;
      this.free.push(buffer);
      if (this.free.length > this.capacity) this.free.shift();
    }
  }
}
