/**
 * `torchvision.transforms.Resize` (bilinear, antialiased as torchvision 0.14 does for PIL images):
 * an int resizes the shorter side keeping the aspect ratio (the longer side truncated, as
 * torchvision's `int(size * long / short)`), a pair gives (height, width).
 */
import { Image, requireImage } from "../image";
import { resizedCrop } from "./resample";
import type { DecodePlan } from "../decode-image";
import type { DecodeFusable } from "./fused-decode";
import type { Transform } from "./transform";

export interface ResizeOptions {
  /** Cap on the longer side when `size` is an int (torchvision's `max_size`). */
  maxSize?: number;
}

export function resizedOutputSize(height: number, width: number, size: number | readonly [number, number], maxSize?: number): [number, number] {
  if (typeof size !== "number") return [size[0], size[1]];
  const [shortSide, longSide] = width <= height ? [width, height] : [height, width];
  let newShort = size;
  let newLong = Math.trunc((size * longSide) / shortSide);
  if (maxSize !== undefined) {
    if (maxSize <= size) throw new Error(`Resize: maxSize ${maxSize} must be greater than size ${size}`);
    if (newLong > maxSize) {
      newShort = Math.trunc((maxSize * newShort) / newLong);
      newLong = maxSize;
    }
  }
  return width <= height ? [newLong, newShort] : [newShort, newLong];
}

export function resize(image: Image, size: number | readonly [number, number], maxSize?: number): Image {
  const [height, width] = resizedOutputSize(image.height, image.width, size, maxSize);
  if (height === image.height && width === image.width) return image;
  return resizedCrop(image, 0, 0, image.height, image.width, height, width);
}

export class Resize implements Transform<Image, Image>, DecodeFusable {
  readonly size: number | readonly [number, number];
  readonly maxSize: number | undefined;

  constructor(size: number | readonly [number, number], options: ResizeOptions = {}) {
    const valid = typeof size === "number" ? Number.isInteger(size) && size > 0 : size.length === 2 && size.every((v) => Number.isInteger(v) && v > 0);
    if (!valid) throw new Error(`Resize: size must be a positive integer (shorter side) or [height, width], got ${JSON.stringify(size)}`);
    if (typeof size !== "number" && options.maxSize !== undefined) throw new Error("Resize: maxSize only applies when size is a single int");
    this.size = size;
    this.maxSize = options.maxSize;
  }

  planDecode(height: number, width: number): DecodePlan {
    const [outHeight, outWidth] = resizedOutputSize(height, width, this.size, this.maxSize);
    return outHeight === height && outWidth === width ? {} : { resize: [outHeight, outWidth] };
  }

  fixedOutputSize(): readonly [number, number] | undefined {
    return typeof this.size === "number" ? undefined : this.size;
  }

  apply(input: Image): Image {
    return resize(requireImage(input, "Resize"), this.size, this.maxSize);
  }

  toString(): string {
    return `Resize(size=${JSON.stringify(this.size)}, interpolation=bilinear, antialias=true)`;
  }
}
