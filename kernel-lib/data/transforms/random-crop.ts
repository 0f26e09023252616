/**
 * `torchvision.transforms.RandomCrop`: optional padding first (CIFAR's `RandomCrop(32, padding=4)`),
 * `padIfNeeded` pads images smaller than the crop, then a uniformly placed crop.
 */
import type { Generator } from "../generator";
import { Image, requireImage } from "../image";
import { crop } from "./crop";
import { pad, paddedCrop, parsePadding, type Padding, type PaddingMode } from "./pad";
import { checkSize, type Size } from "./size";
import { pickGenerator, type RandomTransformOptions, type Transform } from "./transform";

export interface RandomCropOptions extends RandomTransformOptions {
  padding?: Padding;
  padIfNeeded?: boolean;
  fill?: number | readonly number[];
  paddingMode?: PaddingMode;
}

export class RandomCrop implements Transform<Image, Image> {
  readonly size: [number, number];
  readonly padding: [number, number, number, number] | undefined;
  readonly padIfNeeded: boolean;
  readonly fill: number | readonly number[];
  readonly paddingMode: PaddingMode;
  private readonly generator: Generator | undefined;

  constructor(size: Size, options: RandomCropOptions = {}) {
    this.size = checkSize(size, "RandomCrop");
    this.padding = options.padding === undefined ? undefined : parsePadding(options.padding, "RandomCrop");
    this.padIfNeeded = options.padIfNeeded ?? false;
    this.fill = options.fill ?? 0;
    this.paddingMode = options.paddingMode ?? "constant";
    if (!["constant", "edge", "reflect", "symmetric"].includes(this.paddingMode)) {
      throw new Error(`RandomCrop: paddingMode must be constant, edge, reflect or symmetric, got ${JSON.stringify(this.paddingMode)}`);
    }
    this.generator = options.generator;
  }

  apply(input: Image, generator?: Generator): Image {
    let image = requireImage(input, "RandomCrop");
    const [cropHeight, cropWidth] = this.size;
    if (this.padding !== undefined && !this.padIfNeeded) return this.cropPadded(image, this.padding, pickGenerator(generator, this.generator));
    if (this.padding !== undefined) image = pad(image, this.padding, this.fill, this.paddingMode);
    if (this.padIfNeeded && image.width < cropWidth) image = pad(image, [cropWidth - image.width, 0], this.fill, this.paddingMode);
    if (this.padIfNeeded && image.height < cropHeight) image = pad(image, [0, cropHeight - image.height], this.fill, this.paddingMode);
    if (image.height < cropHeight || image.width < cropWidth) {
      throw new Error(
        `RandomCrop: crop ${cropHeight}x${cropWidth} is larger than the ${image.height}x${image.width} image; pass padding or padIfNeeded: true`,
      );
    }
    if (image.height === cropHeight && image.width === cropWidth) return image;
    const random = pickGenerator(generator, this.generator);
    const top = random.randint(0, image.height - cropHeight + 1);
    const left = random.randint(0, image.width - cropWidth + 1);
    return crop(image, top, left, cropHeight, cropWidth);
  }

  /** The padded path without building the padded image; same draws as torchvision's get_params. */
  private cropPadded(image: Image, padding: [number, number, number, number], random: Generator): Image {
    const [cropHeight, cropWidth] = this.size;
    const height = image.height + padding[1] + padding[3];
    const width = image.width + padding[0] + padding[2];
    if (height < cropHeight || width < cropWidth) {
      throw new Error(`RandomCrop: crop ${cropHeight}x${cropWidth} is larger than the ${height}x${width} image; pass padding or padIfNeeded: true`);
    }
    // torchvision draws nothing when the padded image already has the crop's size.
    const exact = height === cropHeight && width === cropWidth;
    const top = exact ? 0 : random.randint(0, height - cropHeight + 1);
    const left = exact ? 0 : random.randint(0, width - cropWidth + 1);
    return paddedCrop(image, padding, this.fill, this.paddingMode, top, left, cropHeight, cropWidth);
  }

  toString(): string {
    return `RandomCrop(size=[${this.size.join(", ")}], padding=${JSON.stringify(this.padding)}, paddingMode=${this.paddingMode})`;
  }
}
