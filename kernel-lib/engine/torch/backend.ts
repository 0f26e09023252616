/**
 * The TF.js backend "torch": every tensor's data is one at::Tensor in the addon, keyed by TF.js's DataId.
 * String tensors (rare: labels, file names) stay as JS values; kernels on them take the cpu fallback.
 */
import * as tf from "@tensorflow/tfjs";
import { aten } from "./aten";
import { torchBackendName } from "./fused-kernel-names";
import { addon, addonDtypeCode, atenScalarType, TensorHandle } from "./native-addon";

type BackendValues = tf.backend_util.BackendValues;
type DataId = object;

/**
 * What a kernel knows about an output's values, exactly, from how it was computed. It lets the BatchNorm
 * gradient recognise tf.moments' batch statistics of its own input (and take PyTorch's one-pass training
 * gradient), and lets elementwise kernels skip work on the all-zero gradients that then flow back.
 */
export type TensorOrigin =
  | { kind: "zeros" }
  /** Same values and shape as `source` (Cast to the same dtype). */
  | { kind: "alias"; source: DataId }
  /** mean over all axes but the last; `centered` = source - that mean; then its square; then the mean of that. */
  | { kind: "batchMean" | "centered" | "centeredSquare" | "batchVariance"; source: DataId };

interface TorchTensorData {
  /** undefined only for string tensors, which hold `strings` instead. */
  handle: TensorHandle | undefined;
  strings: Uint8Array[] | undefined;
  dtype: tf.DataType;
  shape: number[];
  refCount: number;
  origin?: TensorOrigin;
}

export { torchBackendName };

function nativeDtypeCode(dtype: tf.DataType, where: string): number {
  if (dtype === "float32" || dtype === "int32" || dtype === "bool") return addonDtypeCode[dtype];
  throw new Error(`torch backend: ${where}: dtype ${dtype} is not supported (float32, int32, bool and string only); ` +
    `run this op on the cpu backend (tf.setBackend("cpu")) or cast to float32`);
}

function typedArrayFor(values: BackendValues, dtype: tf.DataType): ArrayBufferView {
  // TF.js may hand over a plain array or a typed array of another type (e.g. Float32Array for int32).
  if (dtype === "float32") return values instanceof Float32Array ? values : new Float32Array(values as ArrayLike<number>);
  if (dtype === "int32") return values instanceof Int32Array ? values : new Int32Array(values as ArrayLike<number>);
  return values instanceof Uint8Array ? values : new Uint8Array(values as ArrayLike<number>);
}

export class TorchBackend extends tf.KernelBackend {
  private readonly data: tf.DataStorage<TorchTensorData>;
  private nextDataId = 0;
  /** Layout copies of a tensor (e.g. a conv filter in oneDNN's preferred layout), freed with the tensor. */
  private readonly derived = new WeakMap<DataId, Map<string, { handle: TensorHandle; signature: string }>>();
  private derivedCount = 0;
  private readonly dataNumbers = new WeakMap<DataId, number>();
  private nextDataNumber = 0;

  /** ArrayBuffers from stagingFloat32: a tensor written from a whole one takes its memory without a copy. */
  private readonly stagingBuffers = new WeakSet<ArrayBufferLike>();
  /** mkldnnTensorsAvailable's answer, once probed. */
  private mkldnnProbe: boolean | undefined;

  constructor(readonly device: "cpu" | "cuda") {
    super();
    this.data = new tf.DataStorage<TorchTensorData>(this, tf.engine());
  }

  // ----- TF.js storage contract -------------------------------------------------------------------------

  override write(values: BackendValues, shape: number[], dtype: tf.DataType): DataId {
    const dataId = { id: this.nextDataId++ };
    this.data.set(dataId, this.toStoredData(values, shape, dtype));
    return dataId;
  }

  override move(dataId: DataId, values: BackendValues, shape: number[], dtype: tf.DataType, refCount: number): void {
    this.data.set(dataId, { ...this.toStoredData(values, shape, dtype), refCount });
  }

  private toStoredData(values: BackendValues, shape: number[], dtype: tf.DataType): TorchTensorData {
    if (dtype === "string") return { handle: undefined, strings: values as Uint8Array[], dtype, shape, refCount: 1 };
    const code = nativeDtypeCode(dtype, "write");
    const handle = this.isWholeStagingBuffer(values, dtype)
      ? addon().adoptStaging(values.buffer as ArrayBuffer, shape, code)
      : addon().fromBuffer(typedArrayFor(values, dtype), shape, code);
    return { handle, strings: undefined, dtype, shape, refCount: 1 };
  }

  /**
   * Whether this libtorch runs oneDNN on its own (blocked-layout) tensors: a CPU device and a build with
   * MKLDNN (Debian's and PyTorch's wheels have it). Probed once.
   */
  mkldnnTensorsAvailable(): boolean {
    if (this.mkldnnProbe === undefined) {
      this.mkldnnProbe = false;
      if (this.device === "cpu") {
        const probe = addon().fromBuffer(new Float32Array(4), [1, 1, 2, 2], addonDtypeCode.float32);
        try {
          addon().dispose(aten("to_mkldnn").tensor(probe));
          this.mkldnnProbe = true;
        } catch {
          // "MKLDNN build is disabled": the per-layer kernels serve instead.
        } finally {
          addon().dispose(probe);
        }
      }
    }
    return this.mkldnnProbe;
  }

  // ----- Staging memory (DataLoader batches) -------------------------------------------------------------

  /**
   * A Float32Array over CPU tensor memory. A tensor made from the whole array (tf.tensor(array, shape))
   * takes that memory without a copy, so the array must not be written while the tensor lives: ask
   * stagingInUse before reusing it. undefined where the runtime refuses external memory.
   */
  stagingFloat32(length: number): Float32Array | undefined {
    let buffer: ArrayBuffer;
    try {
      buffer = addon().stagingBuffer(length, addonDtypeCode.float32);
    } catch {
      return undefined; // e.g. a V8 sandbox without external ArrayBuffers: callers use ordinary arrays
    }
    this.stagingBuffers.add(buffer);
    return new Float32Array(buffer);
  }

  /** For an array from stagingFloat32: whether a tensor still uses its memory. undefined for any other array. */
  stagingInUse(array: Float32Array): boolean | undefined {
    if (!this.stagingBuffers.has(array.buffer)) return undefined;
    return addon().stagingInUse(array.buffer as ArrayBuffer);
  }

  private isWholeStagingBuffer(values: BackendValues, dtype: tf.DataType): values is Float32Array {
    return dtype === "float32" && values instanceof Float32Array && values.byteOffset === 0 && values.byteLength === values.buffer.byteLength && this.stagingBuffers.has(values.buffer);
  }

  override readSync(dataId: DataId): BackendValues {
    const stored = this.data.get(dataId);
    if (stored.handle === undefined) return stored.strings ?? [];
    const buffer = addon().toBuffer(stored.handle, nativeDtypeCode(stored.dtype, "read"));
    if (stored.dtype === "float32") return new Float32Array(buffer);
    if (stored.dtype === "int32") return new Int32Array(buffer);
    return new Uint8Array(buffer);
  }

  override async read(dataId: DataId): Promise<BackendValues> {
    return this.readSync(dataId);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    if (!this.data.has(dataId)) return true;
    const stored = this.data.get(dataId);
    stored.refCount--;
    if (!force && stored.refCount > 0) return false;
    if (stored.handle !== undefined) addon().dispose(stored.handle);
    const copies = this.derived.get(dataId);
    if (copies) {
      for (const copy of copies.values()) addon().dispose(copy.handle);
      this.derivedCount -= copies.size;
      this.derived.delete(dataId);
    }
    this.data.delete(dataId);
    return true;
  }

  override refCount(dataId: DataId): number {
    return this.data.has(dataId) ? this.data.get(dataId).refCount : 0;
  }

  override incRef(dataId: DataId): void {
    this.data.get(dataId).refCount++;
  }

  override numDataIds(): number {
    return this.data.numDataIds();
  }

  override memory(): { unreliable: boolean; reasons?: string[]; liveNativeTensors?: number; derivedNativeTensors?: number } {
    // TF.js counts bytes from shapes; what the backend adds is the addon's own live-tensor count, which
    // must equal numDataIds() (minus string tensors) plus the derived layout copies when nothing leaks.
    return { unreliable: false, liveNativeTensors: addon().liveCount(), derivedNativeTensors: this.derivedCount };
  }

  override async time(work: () => void): Promise<tf.BackendTimingInfo> {
    const start = performance.now();
    work();
    return { kernelMs: performance.now() - start };
  }

  override timerAvailable(): boolean {
    return true;
  }

  override floatPrecision(): 32 {
    return 32;
  }

  override epsilon(): number {
    return 1e-7;
  }

  override dispose(): void {
    // Tensors are released one by one through disposeData; nothing global to free.
  }

  // ----- helpers for kernels --------------------------------------------------------------------------

  /** The native tensor behind a kernel input. */
  handleOf(info: tf.TensorInfo, kernelName?: string): TensorHandle {
    const stored = this.data.get(info.dataId);
    if (stored === undefined) throw new Error(`torch backend: ${kernelName ?? "kernel"} got a tensor whose data is not on backend torch`);
    if (stored.handle === undefined) throw new Error(`torch backend: kernel ${kernelName ?? "?"} does not take string tensors`);
    return stored.handle;
  }

  /** Wraps a native result (ownership moves to TF.js) as a kernel output. */
  output(handle: TensorHandle, shape: number[], dtype: tf.DataType, origin?: TensorOrigin): tf.TensorInfo {
    const dataId = { id: this.nextDataId++ };
    this.data.set(dataId, { handle, strings: undefined, dtype, shape, refCount: 1, origin });
    return { dataId, shape, dtype };
  }

  originOf(info: tf.TensorInfo): TensorOrigin | undefined {
    return this.data.has(info.dataId) ? this.data.get(info.dataId).origin : undefined;
  }

  /** The data buffer whose values `info` repeats unchanged (itself unless it is a same-dtype Cast of one). */
  valueRoot(info: tf.TensorInfo): DataId {
    const origin = this.originOf(info);
    return origin?.kind === "alias" ? origin.source : info.dataId;
  }

  /** Records what a kernel knows about its output's values (see TensorOrigin). */
  setOrigin(info: tf.TensorInfo, origin: TensorOrigin | undefined): tf.TensorInfo {
    if (origin) this.data.get(info.dataId).origin = origin;
    return info;
  }

  isZeros(info: tf.TensorInfo): boolean {
    return this.originOf(info)?.kind === "zeros";
  }

  /** An all-zero tensor as a broadcast view of one zero: no memory, no pass over data. */
  zeros(shape: number[], dtype: tf.DataType): tf.TensorInfo {
    const scalarType = dtype === "int32" ? atenScalarType.int32 : dtype === "bool" ? atenScalarType.bool : atenScalarType.float32;
    const zero = aten("zeros").tensor([], scalarType, null, this.device);
    const expanded = aten("expand").tensor(zero, shape);
    this.free(zero);
    return this.output(expanded, [...shape], dtype, { kind: "zeros" });
  }

  /**
   * A tensor derived from `info` that is computed once per data buffer and freed with it, e.g. a filter
   * converted to the layout the convolution library wants: model weights keep their data between calls.
   * `signature` names whatever else it was computed from (other tensors' data ids): a cached copy with
   * another signature is freed and made again. The returned handle belongs to the cache; callers must
   * not free it.
   */
  derivedHandle(info: tf.TensorInfo, key: string, make: (handle: TensorHandle) => TensorHandle, signature = ""): TensorHandle {
    let copies = this.derived.get(info.dataId);
    const cached = copies?.get(key);
    if (cached !== undefined && cached.signature === signature) return cached.handle;
    const handle = make(this.handleOf(info));
    if (!copies) {
      copies = new Map<string, { handle: TensorHandle; signature: string }>();
      this.derived.set(info.dataId, copies);
    }
    if (cached !== undefined) addon().dispose(cached.handle);
    else this.derivedCount++;
    copies.set(key, { handle, signature });
    return handle;
  }

  /**
   * A number that names `info`'s data buffer for a derivedHandle signature, unique for this backend's
   * lifetime (data ids that moved in from another backend carry that backend's numbering, so their own
   * ids could repeat ours).
   */
  dataNumber(info: tf.TensorInfo): number {
    let number = this.dataNumbers.get(info.dataId);
    if (number === undefined) {
      number = this.nextDataNumber++;
      this.dataNumbers.set(info.dataId, number);
    }
    return number;
  }

  /**
   * Puts another native tensor with the same values behind `info` (e.g. the same filter stored in the layout
   * the convolution library reads without a copy) and frees the old one. Values, shape and dtype are the
   * caller's promise; readers never see a difference, since reads copy out in row-major order.
   */
  replaceHandle(info: tf.TensorInfo, handle: TensorHandle): void {
    const stored = this.data.get(info.dataId);
    if (stored === undefined || stored.handle === undefined) throw new Error("torch backend: replaceHandle needs a numeric tensor stored on backend torch");
    const old = stored.handle;
    stored.handle = handle;
    addon().dispose(old);
  }

  /** Frees a native intermediate that never became a TF.js tensor. */
  free(...handles: TensorHandle[]): void {
    for (const handle of handles) addon().dispose(handle);
  }

  makeTensorInfo(shape: number[], dtype: tf.DataType, values: BackendValues): tf.TensorInfo {
    return { dataId: this.write(values, shape, dtype), shape, dtype };
  }
}
