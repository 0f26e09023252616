/** `torchvision.transforms.Normalize`: `(x - mean[c]) / std[c]` per channel, on float32 images. */
import { Image, requireImage } from "../image";
import type { Transform } from "./transform";

export class Normalize implements Transform<Image, Image> {
  readonly mean: number[];
  readonly std: number[];

  constructor(mean: readonly number[], std: readonly number[]) {
    if (!Array.isArray(mean) || !Array.isArray(std) || mean.length !== std.length || mean.length === 0) {
      throw new Error(`Normalize: mean and std must be arrays of the same length (one value per channel)`);
    }
    if (std.some((s) => s === 0 || !Number.isFinite(s))) {
      throw new Error(`Normalize: std ${JSON.stringify(std)} has a zero or non-finite value, which would divide by zero`);
    }
    this.mean = [...mean];
    this.std = [...std];
  }

  apply(input: Image): Image {
    const image = requireImage(input, "Normalize");
    if (image.pixelType !== "float32") throw new Error("Normalize: expects a float32 image; put ToTensor() before Normalize");
    const channels = image.channels;
    if (channels !== this.mean.length) {
      throw new Error(`Normalize: image has ${channels} channels but mean/std have ${this.mean.length} values`);
    }
    const src = image.data;
    const out = new Float32Array(src.length);
    const inverseStd = this.std.map((s) => 1 / s);
    if (channels === 3) {
      // Unrolled RGB loop: this runs on the main thread for every image of every epoch.
      const [m0, m1, m2] = this.mean;
      const [s0, s1, s2] = inverseStd;
      for (let i = 0; i < src.length; i += 3) {
        out[i] = (src[i] - m0) * s0;
        out[i + 1] = (src[i + 1] - m1) * s1;
        out[i + 2] = (src[i + 2] - m2) * s2;
      }
    } else {
      for (let i = 0; i < src.length; i += channels) {
        for (let c = 0; c < channels; c++) out[i + c] = (src[i + c] - this.mean[c]) * inverseStd[c];
      }
    }
    return new Image(out, image.height, image.width, channels);
  }

  toString(): string {
    return `Normalize(mean=[${this.mean.join(", ")}], std=[${this.std.join(", ")}])`;
  }
}
