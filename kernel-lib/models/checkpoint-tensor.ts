/**
 * A tensor read from a checkpoint file, still in PyTorch's layout (conv OIHW, linear [out, in]).
 * Floating types arrive as float32 and integer types as int32, TF.js's two working dtypes.
 */
export interface CheckpointTensor {
  dtype: "float32" | "int32";
  shape: number[];
  values: Float32Array | Int32Array;
  /** The dtype in the file (PyTorch's name), for messages and round trips. */
  sourceDtype: string;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** IEEE half → float32 (checkpoints saved in float16). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/**
 * Decodes `count` little-endian elements of a PyTorch/safetensors dtype starting at byte `offset`.
 * int64 values must fit in int32 (step counters do); anything else is a clear error.
 */
export function decodeElements(bytes: Uint8Array, offset: number, count: number, dtype: string, what: string): Float32Array | Int32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, bytes.byteLength - offset);
  const size = ELEMENT_BYTES[dtype];
  if (size === undefined) throw new Error(`${what}: unsupported dtype ${dtype} (supported: ${Object.keys(ELEMENT_BYTES).join(", ")})`);
  if (offset + count * size > bytes.byteLength) throw new Error(`${what}: data is truncated (needs ${count * size} bytes at ${offset}, file has ${bytes.byteLength})`);
  if (dtype === "float32") {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  if (dtype === "float64") return Float32Array.from({ length: count }, (_, i) => view.getFloat64(i * 8, true));
  if (dtype === "float16") return Float32Array.from({ length: count }, (_, i) => halfToFloat(view.getUint16(i * 2, true)));
  if (dtype === "bfloat16") {
    const out = new Float32Array(count);
    const wide = new DataView(new ArrayBuffer(4));
    for (let i = 0; i < count; i++) {
      wide.setUint32(0, view.getUint16(i * 2, true) << 16);
      out[i] = wide.getFloat32(0);
    }
    return out;
  }
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let value: number;
    if (dtype === "int64") {
      const wide = view.getBigInt64(i * 8, true);
      if (wide > BigInt(2147483647) || wide < BigInt(-2147483648)) throw new Error(`${what}: int64 value ${wide} does not fit in int32`);
      value = Number(wide);
    } else if (dtype === "int32") value = view.getInt32(i * 4, true);
    else if (dtype === "int16") value = view.getInt16(i * 2, true);
    else if (dtype === "int8") value = view.getInt8(i);
    else value = view.getUint8(i);
    out[i] = value;
  }
  return out;
}

export const ELEMENT_BYTES: Record<string, number> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1,
};

export function isFloatDtype(dtype: string): boolean {
  return dtype.startsWith("float") || dtype === "bfloat16";
}
