import { encodeFloat16 } from "./float16";

/**
 * Weight quantization as TF.js's weightsManifest describes it: 'float16' halves the download,
 * 'uint8' quarters it with one affine (min, scale) per tensor: value = q * scale + min. TF.js
 * dequantizes to float32 on load, so only size and (for uint8) accuracy change.
 */
export type WeightQuantization = "float32" | "float16" | "uint8";

export interface QuantizedWeight {
  bytes: Uint8Array;
  /** The manifest entry's `quantization` field; undefined for plain float32. */
  quantization?: { dtype: "float16" } | { dtype: "uint8"; min: number; scale: number };
}

export function quantizeWeight(values: Float32Array, quantization: WeightQuantization): QuantizedWeight {
  switch (quantization) {
    case "float32":
      return { bytes: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) };
    case "float16": {
      const half = encodeFloat16(values);
      return { bytes: new Uint8Array(half.buffer), quantization: { dtype: "float16" } };
    }
    case "uint8": {
      let min = Infinity;
      let max = -Infinity;
      for (const value of values) {
        if (value < min) min = value;
        if (value > max) max = value;
      }
      if (!Number.isFinite(min) || !Number.isFinite(max)) {
        throw new Error("quantizeWeight: uint8 quantization needs finite weights; this tensor holds NaN/Infinity or is empty.");
      }
      // A constant tensor still needs a non-zero scale for the decoder; q = 0 then reproduces min.
      const scale = max > min ? (max - min) / 255 : 1;
      const bytes = new Uint8Array(values.length);
      for (let i = 0; i < values.length; i++) bytes[i] = Math.min(255, Math.max(0, Math.round((values[i] - min) / scale)));
      return { bytes, quantization: { dtype: "uint8", min, scale } };
    }
    default:
      throw new Error(`quantizeWeight: unknown quantization ${JSON.stringify(quantization)}; use "float32", "float16" or "uint8".`);
  }
}
