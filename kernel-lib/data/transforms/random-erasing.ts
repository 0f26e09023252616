/**
 * `torchvision.transforms.RandomErasing` (Cutout-style occlusion, used with RandAugment for
 * FixMatch's strong view): with probability `p`, a rectangle of 2%–33% of the area and aspect ratio
 * 0.3–3.3 is filled with `value` (0 by default, per-channel values, or "random" normal noise).
 * Works on float32 images, i.e. after ToTensor, as torchvision's works on tensors.
 */
import type { Generator } from "../generator";
import { Image, requireImage } from "../image";
import { roundHalfEven } from "./python-round";
import { pickGenerator, type RandomTransformOptions, type Transform } from "./transform";

export interface RandomErasingOptions extends RandomTransformOptions {
  p?: number;
  scale?: readonly [number, number];
  ratio?: readonly [number, number];
  value?: number | readonly number[] | "random";
}

export interface ErasingBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

export class RandomErasing implements Transform<Image, Image> {
  readonly p: number;
  readonly scale: readonly [number, number];
  readonly ratio: readonly [number, number];
  readonly value: number | readonly number[] | "random";
  private readonly generator: Generator | undefined;

  constructor(options: RandomErasingOptions = {}) {
    this.p = options.p ?? 0.5;
    this.scale = options.scale ?? [0.02, 0.33];
    this.ratio = options.ratio ?? [0.3, 3.3];
    this.value = options.value ?? 0;
    if (!(this.p >= 0 && this.p <= 1)) throw new Error(`RandomErasing: p must be in [0, 1], got ${this.p}`);
    if (!(this.scale[0] >= 0 && this.scale[0] <= this.scale[1] && this.scale[1] <= 1)) {
      throw new Error(`RandomErasing: scale must be (min, max) within [0, 1], got ${JSON.stringify(this.scale)}`);
    }
    if (!(this.ratio[0] > 0 && this.ratio[0] <= this.ratio[1])) throw new Error(`RandomErasing: ratio must be (min, max) with 0 < min <= max, got ${JSON.stringify(this.ratio)}`);
    this.generator = options.generator;
  }

  /** torchvision's `RandomErasing.get_params` box (note: height from area·ratio); null after 10 misses. */
  static getParams(height: number, width: number, scale: readonly [number, number], ratio: readonly [number, number], generator: Generator): ErasingBox | null {
    const area = height * width;
    const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])];
    for (let attempt = 0; attempt < 10; attempt++) {
      const eraseArea = area * generator.uniform(scale[0], scale[1]);
      const aspect = Math.exp(generator.uniform(logRatio[0], logRatio[1]));
      const h = roundHalfEven(Math.sqrt(eraseArea * aspect));
      const w = roundHalfEven(Math.sqrt(eraseArea / aspect));
      if (!(h < height && w < width)) continue;
      const top = generator.randint(0, height - h + 1);
      const left = generator.randint(0, width - w + 1);
      return { top, left, height: h, width: w };
    }
    return null;
  }

  apply(input: Image, generator?: Generator): Image {
    const image = requireImage(input, "RandomErasing");
    if (image.pixelType !== "float32") throw new Error("RandomErasing: works on float32 images; put it after ToTensor()");
    const random = pickGenerator(generator, this.generator);
    if (!(random.random() < this.p)) return image;
    const box = RandomErasing.getParams(image.height, image.width, this.scale, this.ratio, random);
    if (box === null) return image;
    const { channels } = image;
    const fills = this.value === "random" ? undefined : typeof this.value === "number" ? new Array<number>(channels).fill(this.value) : this.value;
    if (fills !== undefined && fills.length !== channels) throw new Error(`RandomErasing: value needs ${channels} numbers (one per channel), got ${fills.length}`);
    const out = new Image(Float32Array.from(image.data), image.height, image.width, channels);
    for (let y = box.top; y < box.top + box.height; y++) {
      for (let x = box.left; x < box.left + box.width; x++) {
        const o = (y * image.width + x) * channels;
        for (let c = 0; c < channels; c++) out.data[o + c] = fills ? fills[c] : random.normal();
      }
    }
    return out;
  }

  toString(): string {
    return `RandomErasing(p=${this.p}, scale=[${this.scale.join(", ")}], ratio=[${this.ratio.join(", ")}], value=${JSON.stringify(this.value)})`;
  }
}
