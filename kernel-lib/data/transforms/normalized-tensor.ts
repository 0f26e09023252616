/**
 * `ToTensor()` followed by `Normalize(mean, std)` in one pass, which Compose substitutes for the pair:
 * every uint8 value maps through a per-channel table to exactly the float32 the two steps give, so
 * an image costs one output array and one loop instead of two (both pipelines of the tutorials end
 * this way, for every image of every epoch).
 */
import { Image, requireImage } from "../image";
import type { Normalize } from "./normalize";
import type { ToTensor } from "./to-tensor";
import type { Transform } from "./transform";

export class NormalizedTensor implements Transform<Image, Image> {
  private readonly toTensor: ToTensor;
  private readonly normalize: Normalize;
  /** `table[c * 256 + v]`: channel c's normalized value for byte v (a fused decode converts with it too). */
  readonly table: Float32Array;

  constructor(toTensor: ToTensor, normalize: Normalize) {
    this.toTensor = toTensor;
    this.normalize = normalize;
    const channels = normalize.mean.length;
    this.table = new Float32Array(channels * 256);
    for (let c = 0; c < channels; c++) {
      const inverseStd = 1 / normalize.std[c];
      // The same arithmetic as the two steps: float32 v/255, then (x - mean) * (1 / std) rounded to float32.
      for (let v = 0; v < 256; v++) this.table[c * 256 + v] = (Math.fround(v / 255) - normalize.mean[c]) * inverseStd;
    }
  }

  apply(input: Image): Image {
    const image = requireImage(input, "ToTensor");
    // Anything unusual (float input, a channel mismatch) goes through the two steps and their errors.
    if (image.pixelType !== "uint8" || image.channels !== 3 || this.normalize.mean.length !== 3) {
      return this.normalize.apply(this.toTensor.apply(image));
    }
    const src = image.data;
    const out = new Float32Array(src.length);
    const table = this.table;
    for (let i = 0; i < src.length; i += 3) {
      out[i] = table[src[i]];
      out[i + 1] = table[256 + src[i + 1]];
      out[i + 2] = table[512 + src[i + 2]];
    }
    return new Image(out, image.height, image.width, 3);
  }

  toString(): string {
    return `${this.toTensor}, ${this.normalize}`;
  }
}
