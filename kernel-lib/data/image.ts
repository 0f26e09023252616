/**
 * The image type transforms work on, the analogue of a `PIL.Image` / a CHW tensor in torchvision,
 * but channels-last (HWC) because TF.js is channels-last.
 *
 * Two pixel types, as in torchvision: `uint8` holds 0..255 (what decoding gives, like a PIL image),
 * `float32` holds 0..1 after `ToTensor` (and any range after `Normalize`).
 */
export type PixelType = "uint8" | "float32";
export type PixelData = Uint8Array | Float32Array;

export class Image {
  readonly data: PixelData;
  readonly height: number;
  readonly width: number;
  readonly channels: number;

  constructor(data: PixelData, height: number, width: number, channels = 3) {
    if (!Number.isInteger(height) || !Number.isInteger(width) || height <= 0 || width <= 0) {
      throw new Error(`Image: height and width must be positive integers, got ${height}x${width}`);
    }
    if (data.length !== height * width * channels) {
      throw new Error(`Image: ${data.length} values do not fill ${height}x${width}x${channels} (HWC)`);
    }
    this.data = data;
    this.height = height;
    this.width = width;
    this.channels = channels;
  }

  get pixelType(): PixelType {
    return this.data instanceof Uint8Array ? "uint8" : "float32";
  }

  /** `[height, width, channels]`, the shape of the tensor this image becomes. */
  get shape(): [number, number, number] {
    return [this.height, this.width, this.channels];
  }

  /** A new image of the same pixel type and channel count. */
  static empty(pixelType: PixelType, height: number, width: number, channels = 3): Image {
    const size = height * width * channels;
    return new Image(pixelType === "uint8" ? new Uint8Array(size) : new Float32Array(size), height, width, channels);
  }

  /** Builds an image from channels-first (CHW) bytes, the layout of CIFAR-10 records and PyTorch tensors. */
  static fromChw(chw: Uint8Array, height: number, width: number, channels = 3): Image {
    const plane = height * width;
    if (chw.length !== plane * channels) throw new Error(`Image.fromChw: ${chw.length} bytes are not ${channels}x${height}x${width}`);
    const hwc = new Uint8Array(chw.length);
    for (let c = 0; c < channels; c++) {
      const offset = c * plane;
      for (let i = 0; i < plane; i++) hwc[i * channels + c] = chw[offset + i];
    }
    return new Image(hwc, height, width, channels);
  }

  toString(): string {
    return `Image(${this.height}x${this.width}x${this.channels}, ${this.pixelType})`;
  }
}

/** The transforms' uniform error for a wrong input type. */
export function requireImage(value: unknown, transformName: string): Image {
  if (!(value instanceof Image)) {
    throw new Error(`${transformName}: expected an Image (HWC), got ${describe(value)}; put decoding (ImageFolder / CIFAR10) before it`);
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object") return (value as object).constructor?.name ?? "an object";
  return typeof value;
}
