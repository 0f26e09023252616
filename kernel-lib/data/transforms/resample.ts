/**
 * Antialiased bilinear resampling of a region, the algorithm behind PIL's `Image.resize(BILINEAR)`
 * and torchvision 0.14's `resize(antialias=True)`: a separable triangle filter whose support widens
 * with the downscaling factor, so every source pixel contributes when shrinking (plain bilinear, like
 * `tf.image.resizeBilinear`, skips pixels and aliases). Horizontal pass first, as PIL does.
 */
import { Image } from "../image";

interface FilterTaps {
  /** First source index used by each output index. */
  start: Int32Array;
  count: Int32Array;
  /** `maxTaps` normalized weights per output index. */
  weights: Float32Array;
  maxTaps: number;
}

function triangle(x: number): number {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
}

/** Taps mapping `regionSize` source pixels starting at `regionStart` onto `outSize` pixels. */
function computeTaps(regionStart: number, regionSize: number, outSize: number): FilterTaps {
  const scale = regionSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // the triangle filter's support is 1, widened when shrinking
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * maxTaps);
  const regionEnd = regionStart + regionSize;
  for (let i = 0; i < outSize; i++) {
    const center = regionStart + (i + 0.5) * scale;
    // Truncation toward zero and clamping to the region reproduce PIL's resample on a crop.
    const lo = Math.max(Math.trunc(center - support + 0.5), regionStart);
    const hi = Math.min(Math.trunc(center + support + 0.5), regionEnd);
    let total = 0;
    const base = i * maxTaps;
    for (let j = lo; j < hi; j++) {
      const w = triangle((j - center + 0.5) / filterScale);
      weights[base + j - lo] = w;
      total += w;
    }
    if (total > 0) for (let k = 0; k < hi - lo; k++) weights[base + k] /= total;
    start[i] = lo;
    count[i] = hi - lo;
  }
  return { start, count, weights, maxTaps };
}

/**
 * Crops `[top, top+height) x [left, left+width)` (inside the image) and resizes it to
 * `outHeight x outWidth` in one go. uint8 images come back as uint8 (rounded, clamped), float32 as float32.
 */
export function resizedCrop(
  image: Image,
  top: number,
  left: number,
  height: number,
  width: number,
  outHeight: number,
  outWidth: number,
): Image {
  if (top < 0 || left < 0 || height <= 0 || width <= 0 || top + height > image.height || left + width > image.width) {
    throw new Error(`resizedCrop: box top=${top} left=${left} ${height}x${width} is not inside a ${image.height}x${image.width} image`);
  }
  if (!(Number.isInteger(outHeight) && Number.isInteger(outWidth) && outHeight > 0 && outWidth > 0)) {
    throw new Error(`resizedCrop: output size must be positive integers, got ${outHeight}x${outWidth}`);
  }
  const channels = image.channels;
  const source = image.data;
  const horizontal = computeTaps(left, width, outWidth);
  const vertical = computeTaps(top, height, outHeight);
  // Local references keep the hot loops free of property lookups.
  const hWeights = horizontal.weights;
  const hStart = horizontal.start;
  const hCount = horizontal.count;
  const hMaxTaps = horizontal.maxTaps;

  // Horizontal pass over the region's rows into a float buffer.
  const rowStride = image.width * channels;
  const middle = new Float32Array(height * outWidth * channels);
  for (let y = 0; y < height; y++) {
    const rowBase = (top + y) * rowStride;
    const outBase = y * outWidth * channels;
    for (let x = 0; x < outWidth; x++) {
      const taps = hCount[x];
      const wBase = x * hMaxTaps;
      let src = rowBase + hStart[x] * channels;
      const dst = outBase + x * channels;
      if (channels === 3) {
        // The RGB case unrolled: one pass over the taps for all three channels.
        let r = 0;
        let g = 0;
        let b = 0;
        for (let k = 0; k < taps; k++, src += 3) {
          const w = hWeights[wBase + k];
          r += source[src] * w;
          g += source[src + 1] * w;
          b += source[src + 2] * w;
        }
        middle[dst] = r;
        middle[dst + 1] = g;
        middle[dst + 2] = b;
      } else {
        for (let c = 0; c < channels; c++) {
          let sum = 0;
          for (let k = 0, s = src + c; k < taps; k++, s += channels) sum += source[s] * hWeights[wBase + k];
          middle[dst + c] = sum;
        }
      }
    }
  }

  const output = Image.empty(image.pixelType, outHeight, outWidth, channels);
  const out = output.data;
  const isUint8 = image.pixelType === "uint8";
  const middleStride = outWidth * channels;
  // Vertical pass row by row: each tap adds a whole source row, so memory is read sequentially.
  const accumulator = new Float64Array(middleStride);
  for (let y = 0; y < outHeight; y++) {
    const taps = vertical.count[y];
    const firstRow = vertical.start[y] - top;
    const wBase = y * vertical.maxTaps;
    accumulator.fill(0);
    for (let k = 0; k < taps; k++) {
      const w = vertical.weights[wBase + k];
      const rowStart = (firstRow + k) * middleStride;
      for (let i = 0; i < middleStride; i++) accumulator[i] += middle[rowStart + i] * w;
    }
    const outBase = y * middleStride;
    if (isUint8) {
      for (let i = 0; i < middleStride; i++) {
        const v = Math.round(accumulator[i]);
        out[outBase + i] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    } else {
      for (let i = 0; i < middleStride; i++) out[outBase + i] = accumulator[i];
    }
  }
  return output;
}
