/** `torchvision.transforms.RandomHorizontalFlip`: mirrors left-right with probability `p` (0.5). */
import type { Generator } from "../generator";
import { Image, requireImage } from "../image";
import { pickGenerator, type RandomTransformOptions, type Transform } from "./transform";

export function horizontalFlip(image: Image): Image {
  const { height, width, channels } = image;
  const output = Image.empty(image.pixelType, height, width, channels);
  const src = image.data;
  const out = output.data;
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    for (let x = 0; x < width; x++) {
      const from = row + x * channels;
      const to = row + (width - 1 - x) * channels;
      if (channels === 3) {
        out[to] = src[from];
        out[to + 1] = src[from + 1];
        out[to + 2] = src[from + 2];
      } else {
        for (let c = 0; c < channels; c++) out[to + c] = src[from + c];
      }
    }
  }
  return output;
}

export interface RandomHorizontalFlipOptions extends RandomTransformOptions {
  p?: number;
}

export class RandomHorizontalFlip implements Transform<Image, Image> {
  readonly p: number;
  private readonly generator: Generator | undefined;

  constructor(options: RandomHorizontalFlipOptions = {}) {
    this.p = options.p ?? 0.5;
    if (!(this.p >= 0 && this.p <= 1)) throw new Error(`RandomHorizontalFlip: p must be in [0, 1], got ${this.p}`);
    this.generator = options.generator;
  }

  /** The random draw of one `apply`: whether to mirror (a fused decode draws it when planning). */
  draws(generator?: Generator): boolean {
    return pickGenerator(generator, this.generator).random() < this.p;
  }

  apply(input: Image, generator?: Generator): Image {
    const image = requireImage(input, "RandomHorizontalFlip");
    return this.draws(generator) ? horizontalFlip(image) : image;
  }

  toString(): string {
    return `RandomHorizontalFlip(p=${this.p})`;
  }
}
