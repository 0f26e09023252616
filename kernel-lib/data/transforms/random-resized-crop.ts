/**
 * `torchvision.transforms.RandomResizedCrop`: a crop with a random area (default 8%–100% of the
 * image) and aspect ratio (3/4–4/3, drawn log-uniformly), resized to `size` with antialiased
 * bilinear. After 10 failed tries it falls back to the largest centered crop within the ratio range.
 */
import type { Generator } from "../generator";
import { Image, requireImage } from "../image";
import { resizedCrop } from "./resample";
import { roundHalfEven } from "./python-round";
import { checkSize, type Size } from "./size";
import type { DecodePlan } from "../decode-image";
import type { DecodeFusable } from "./fused-decode";
import { pickGenerator, type RandomTransformOptions, type Transform } from "./transform";

export interface RandomResizedCropOptions extends RandomTransformOptions {
  scale?: readonly [number, number];
  ratio?: readonly [number, number];
}

/** A crop box `(top, left, height, width)`, torchvision's `(i, j, h, w)`. */
export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

export class RandomResizedCrop implements Transform<Image, Image>, DecodeFusable {
  readonly size: [number, number];
  readonly scale: readonly [number, number];
  readonly ratio: readonly [number, number];
  private readonly generator: Generator | undefined;

  constructor(size: Size, options: RandomResizedCropOptions = {}) {
    this.size = checkSize(size, "RandomResizedCrop");
    this.scale = options.scale ?? [0.08, 1.0];
    this.ratio = options.ratio ?? [3 / 4, 4 / 3];
    if (!(this.scale[0] > 0 && this.scale[0] <= this.scale[1])) throw new Error(`RandomResizedCrop: scale must be (min, max) with 0 < min <= max, got ${JSON.stringify(this.scale)}`);
    if (!(this.ratio[0] > 0 && this.ratio[0] <= this.ratio[1])) throw new Error(`RandomResizedCrop: ratio must be (min, max) with 0 < min <= max, got ${JSON.stringify(this.ratio)}`);
    this.generator = options.generator;
  }

  /** torchvision's `RandomResizedCrop.get_params`, drawing from `generator`. */
  static getParams(height: number, width: number, scale: readonly [number, number], ratio: readonly [number, number], generator: Generator): CropBox {
    const area = height * width;
    const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])];
    for (let attempt = 0; attempt < 10; attempt++) {
      const targetArea = area * generator.uniform(scale[0], scale[1]);
      const aspectRatio = Math.exp(generator.uniform(logRatio[0], logRatio[1]));
      const w = roundHalfEven(Math.sqrt(targetArea * aspectRatio));
      const h = roundHalfEven(Math.sqrt(targetArea / aspectRatio));
      if (w > 0 && w <= width && h > 0 && h <= height) {
        const top = generator.randint(0, height - h + 1);
        const left = generator.randint(0, width - w + 1);
        return { top, left, height: h, width: w };
      }
    }
    const inRatio = width / height;
    let w: number;
    let h: number;
    if (inRatio < Math.min(...ratio)) {
      w = width;
      h = roundHalfEven(w / Math.min(...ratio));
    } else if (inRatio > Math.max(...ratio)) {
      h = height;
      w = roundHalfEven(h * Math.max(...ratio));
    } else {
      w = width;
      h = height;
    }
    return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
  }

  /** The crop box and output size, for decoders that crop and resize themselves (ImageFolder). */
  planDecode(height: number, width: number, generator?: Generator): DecodePlan {
    const box = RandomResizedCrop.getParams(height, width, this.scale, this.ratio, pickGenerator(generator, this.generator));
    return { extract: box, resize: this.size };
  }

  fixedOutputSize(): readonly [number, number] {
    return this.size;
  }

  apply(input: Image, generator?: Generator): Image {
    const image = requireImage(input, "RandomResizedCrop");
    const box = RandomResizedCrop.getParams(image.height, image.width, this.scale, this.ratio, pickGenerator(generator, this.generator));
    return resizedCrop(image, box.top, box.left, box.height, box.width, this.size[0], this.size[1]);
  }

  toString(): string {
    return `RandomResizedCrop(size=[${this.size.join(", ")}], scale=[${this.scale.join(", ")}], ratio=[${this.ratio.map((r) => r.toFixed(4)).join(", ")}])`;
  }
}
