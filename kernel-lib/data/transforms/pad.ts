/**
 * `torchvision.transforms.functional.pad` with its four modes:
 * constant (fill), edge (repeat the border), reflect (mirror without repeating the border:
 * 2 1 | 0 1 2 | 1 0) and symmetric (mirror repeating it: 1 0 | 0 1 2 | 2 1).
 */
import { Image } from "../image";

export type PaddingMode = "constant" | "edge" | "reflect" | "symmetric";
/** One int for all sides, [left/right, top/bottom], or [left, top, right, bottom] as in torchvision. */
export type Padding = number | readonly [number, number] | readonly [number, number, number, number];

export function parsePadding(padding: Padding, owner: string): [number, number, number, number] {
  const values: readonly number[] = typeof padding === "number" ? [padding] : padding;
  if (!values.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new Error(`${owner}: padding must be non-negative integers, got ${JSON.stringify(padding)}`);
  }
  if (values.length === 1) return [values[0], values[0], values[0], values[0]];
  if (values.length === 2) return [values[0], values[1], values[0], values[1]];
  if (values.length === 4) return [values[0], values[1], values[2], values[3]];
  throw new Error(`${owner}: padding must be an int or a sequence of 2 or 4 ints, got ${JSON.stringify(padding)}`);
}

function sourceIndex(i: number, n: number, mode: PaddingMode): number {
  if (mode === "edge") return Math.min(n - 1, Math.max(0, i));
  if (n === 1) return 0;
  // Repeated mirroring handles pads wider than the image, as numpy's pad does.
  const period = mode === "reflect" ? 2 * (n - 1) : 2 * n;
  let k = ((i % period) + period) % period;
  if (mode === "reflect") return k < n ? k : period - k;
  return k < n ? k : period - 1 - k;
}

export function pad(
  image: Image,
  padding: Padding,
  fill: number | readonly number[] = 0,
  mode: PaddingMode = "constant",
): Image {
  const [left, top, right, bottom] = parsePadding(padding, "pad");
  return paddedCrop(image, [left, top, right, bottom], fill, mode, 0, 0, image.height + top + bottom, image.width + left + right);
}

/**
 * `crop(pad(image, padding, fill, mode), top, left, height, width)` without building the padded image:
 * RandomCrop(32, padding=4) runs this for every CIFAR image of every epoch.
 */
export function paddedCrop(
  image: Image,
  padding: readonly [number, number, number, number],
  fill: number | readonly number[],
  mode: PaddingMode,
  top: number,
  left: number,
  height: number,
  width: number,
): Image {
  const [padLeft, padTop, padRight, padBottom] = padding;
  if (!["constant", "edge", "reflect", "symmetric"].includes(mode)) {
    throw new Error(`pad: padding mode must be constant, edge, reflect or symmetric, got ${JSON.stringify(mode)}`);
  }
  const paddedHeight = image.height + padTop + padBottom;
  const paddedWidth = image.width + padLeft + padRight;
  if (!(top >= 0 && left >= 0 && top + height <= paddedHeight && left + width <= paddedWidth)) {
    throw new Error(`paddedCrop: box ${top},${left},${height}x${width} is not inside the ${paddedHeight}x${paddedWidth} padded image`);
  }
  const channels = image.channels;
  const fills = typeof fill === "number" ? new Array<number>(channels).fill(fill) : fill;
  if (fills.length !== channels) throw new Error(`pad: fill needs ${channels} values (one per channel), got ${fills.length}`);
  const output = Image.empty(image.pixelType, height, width, channels);
  const out = output.data;
  const src = image.data;
  const constant = mode === "constant";
  const sourceWidth = image.width;
  let o = 0;
  for (let y = 0; y < height; y++) {
    let sy = y + top - padTop;
    // -1: a row or column of the constant border.
    if (sy < 0 || sy >= image.height) sy = constant ? -1 : sourceIndex(sy, image.height, mode);
    for (let x = 0; x < width; x++, o += channels) {
      let sx = x + left - padLeft;
      if (sx < 0 || sx >= sourceWidth) sx = constant ? -1 : sourceIndex(sx, sourceWidth, mode);
      if (sy < 0 || sx < 0) {
        for (let c = 0; c < channels; c++) out[o + c] = fills[c];
      } else if (channels === 3) {
        const s = (sy * sourceWidth + sx) * 3;
        out[o] = src[s];
        out[o + 1] = src[s + 1];
        out[o + 2] = src[s + 2];
      } else {
        const s = (sy * sourceWidth + sx) * channels;
        for (let c = 0; c < channels; c++) out[o + c] = src[s + c];
      }
    }
  }
  return output;
}
