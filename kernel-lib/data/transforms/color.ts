/**
 * Colour adjustments of torchvision.transforms.functional (used by ColorJitter and RandAugment).
 *
 * uint8 images follow PIL (what torchvision applies to PIL images): ITU-R 601 luma in fixed point,
 * blends truncated to integers. float32 images follow torchvision's tensor code: luma
 * 0.2989/0.587/0.114, results clamped to [0, 1].
 */
import { Image } from "../image";

function isUint8(image: Image): boolean {
  return image.pixelType === "uint8";
}

function requireRgb(image: Image, owner: string): void {
  if (image.channels !== 3) throw new Error(`${owner}: expects an RGB image (3 channels), got ${image.channels}`);
}

/** Luma of one pixel: PIL's "L" conversion for uint8, torchvision's rgb_to_grayscale for float. */
function luma(r: number, g: number, b: number, uint8: boolean): number {
  return uint8 ? (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16 : 0.2989 * r + 0.587 * g + 0.114 * b;
}

/** `degenerate + factor * (image - degenerate)`, clamped; uint8 truncates like PIL's Image.blend. */
function blendInto(out: Image["data"], value: number, uint8: boolean, index: number): void {
  if (uint8) out[index] = value <= 0 ? 0 : value >= 255 ? 255 : Math.trunc(value);
  else out[index] = value <= 0 ? 0 : value >= 1 ? 1 : value;
}

function checkFactor(factor: number, owner: string): void {
  if (!(factor >= 0) || !Number.isFinite(factor)) throw new Error(`${owner}: factor must be a non-negative number, got ${factor}`);
}

export function adjustBrightness(image: Image, factor: number): Image {
  checkFactor(factor, "adjustBrightness");
  const out = Image.empty(image.pixelType, image.height, image.width, image.channels);
  const uint8 = isUint8(image);
  for (let i = 0; i < image.data.length; i++) blendInto(out.data, image.data[i] * factor, uint8, i);
  return out;
}

/** Blends towards the mean grey level of the image. */
export function adjustContrast(image: Image, factor: number): Image {
  checkFactor(factor, "adjustContrast");
  requireRgb(image, "adjustContrast");
  const uint8 = isUint8(image);
  const src = image.data;
  let sum = 0;
  for (let i = 0; i < src.length; i += 3) sum += luma(src[i], src[i + 1], src[i + 2], uint8);
  const pixels = src.length / 3;
  // PIL rounds the mean to an integer grey level.
  const mean = uint8 ? Math.trunc(sum / pixels + 0.5) : sum / pixels;
  const out = Image.empty(image.pixelType, image.height, image.width, 3);
  for (let i = 0; i < src.length; i++) blendInto(out.data, mean + factor * (src[i] - mean), uint8, i);
  return out;
}

/** Blends towards the grayscale version: 0 gives grey, 1 the original, 2 doubles saturation. */
export function adjustSaturation(image: Image, factor: number): Image {
  checkFactor(factor, "adjustSaturation");
  requireRgb(image, "adjustSaturation");
  const uint8 = isUint8(image);
  const src = image.data;
  const out = Image.empty(image.pixelType, image.height, image.width, 3);
  for (let i = 0; i < src.length; i += 3) {
    const gray = luma(src[i], src[i + 1], src[i + 2], uint8);
    for (let c = 0; c < 3; c++) blendInto(out.data, gray + factor * (src[i + c] - gray), uint8, i + c);
  }
  return out;
}

/** Shifts hue by `hueFactor` turns (in [-0.5, 0.5]) through HSV, as torchvision's tensor code does. */
export function adjustHue(image: Image, hueFactor: number): Image {
  if (!(hueFactor >= -0.5 && hueFactor <= 0.5)) throw new Error(`adjustHue: hueFactor must be in [-0.5, 0.5], got ${hueFactor}`);
  requireRgb(image, "adjustHue");
  const uint8 = isUint8(image);
  const scale = uint8 ? 255 : 1;
  const src = image.data;
  const out = Image.empty(image.pixelType, image.height, image.width, 3);
  for (let i = 0; i < src.length; i += 3) {
    const r = src[i] / scale;
    const g = src[i + 1] / scale;
    const b = src[i + 2] / scale;
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    const chroma = max - min;
    let h = 0;
    if (chroma > 0) {
      const rc = (max - r) / chroma;
      const gc = (max - g) / chroma;
      const bc = (max - b) / chroma;
      h = max === r ? bc - gc : max === g ? 2 + rc - bc : 4 + gc - rc;
    }
    h = (((h / 6 + 1) % 1) + hueFactor + 1) % 1;
    const s = max === 0 ? 0 : chroma / max;
    const v = max;
    const sector = Math.floor(h * 6);
    const f = h * 6 - sector;
    const p = v * (1 - s);
    const q = v * (1 - s * f);
    const t = v * (1 - s * (1 - f));
    const k = ((sector % 6) + 6) % 6;
    // No per-pixel arrays: this loop runs for every pixel of every jittered image.
    const red = k === 0 || k === 5 ? v : k === 1 ? q : k === 4 ? t : p;
    const green = k === 1 || k === 2 ? v : k === 0 ? t : k === 3 ? q : p;
    const blue = k === 3 || k === 4 ? v : k === 2 ? t : k === 5 ? q : p;
    if (uint8) {
      out.data[i] = Math.min(255, Math.max(0, Math.round(red * 255)));
      out.data[i + 1] = Math.min(255, Math.max(0, Math.round(green * 255)));
      out.data[i + 2] = Math.min(255, Math.max(0, Math.round(blue * 255)));
    } else {
      out.data[i] = Math.min(1, Math.max(0, red));
      out.data[i + 1] = Math.min(1, Math.max(0, green));
      out.data[i + 2] = Math.min(1, Math.max(0, blue));
    }
  }
  return out;
}

/**
 * Blends with a smoothed copy (3x3 kernel [1 1 1; 1 5 1; 1 1 1] / 13, border pixels kept), as PIL's
 * ImageEnhance.Sharpness: factors above 1 sharpen, below 1 blur.
 */
export function adjustSharpness(image: Image, factor: number): Image {
  checkFactor(factor, "adjustSharpness");
  const { height, width, channels } = image;
  const uint8 = isUint8(image);
  const src = image.data;
  const out = Image.empty(image.pixelType, height, width, channels);
  out.data.set(src);
  if (height < 3 || width < 3) return out;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      for (let c = 0; c < channels; c++) {
        const center = (y * width + x) * channels + c;
        let sum = 4 * src[center];
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) sum += src[center + (dy * width + dx) * channels];
        const smoothed = uint8 ? Math.round(sum / 13) : sum / 13;
        blendInto(out.data, smoothed + factor * (src[center] - smoothed), uint8, center);
      }
    }
  }
  return out;
}

function requireUint8(image: Image, owner: string): void {
  if (!isUint8(image)) throw new Error(`${owner}: works on uint8 images; apply it before ToTensor()`);
}

/** Keeps the top `bits` bits of every value. */
export function posterize(image: Image, bits: number): Image {
  requireUint8(image, "posterize");
  if (!(Number.isInteger(bits) && bits >= 0 && bits <= 8)) throw new Error(`posterize: bits must be an integer in 0..8, got ${bits}`);
  const mask = (0xff << (8 - bits)) & 0xff;
  return new Image(Uint8Array.from(image.data, (v) => v & mask), image.height, image.width, image.channels);
}

/** Inverts every value at or above `threshold`. */
export function solarize(image: Image, threshold: number): Image {
  requireUint8(image, "solarize");
  return new Image(Uint8Array.from(image.data, (v) => (v >= threshold ? 255 - v : v)), image.height, image.width, image.channels);
}

/** Stretches each channel to the full 0..255 range (PIL's ImageOps.autocontrast with cutoff 0). */
export function autocontrast(image: Image): Image {
  requireUint8(image, "autocontrast");
  const { channels } = image;
  const src = image.data;
  const out = new Uint8Array(src.length);
  for (let c = 0; c < channels; c++) {
    let lo = 255;
    let hi = 0;
    for (let i = c; i < src.length; i += channels) {
      lo = Math.min(lo, src[i]);
      hi = Math.max(hi, src[i]);
    }
    const lut = new Uint8Array(256);
    for (let v = 0; v < 256; v++) {
      lut[v] = hi <= lo ? v : Math.min(255, Math.max(0, Math.trunc(v * (255 / (hi - lo)) - lo * (255 / (hi - lo)))));
    }
    for (let i = c; i < src.length; i += channels) out[i] = lut[src[i]];
  }
  return new Image(out, image.height, image.width, channels);
}

/** Histogram equalization per channel (PIL's ImageOps.equalize). */
export function equalize(image: Image): Image {
  requireUint8(image, "equalize");
  const { channels } = image;
  const src = image.data;
  const out = new Uint8Array(src.length);
  for (let c = 0; c < channels; c++) {
    const histogram = new Array<number>(256).fill(0);
    for (let i = c; i < src.length; i += channels) histogram[src[i]]++;
    const nonZero = histogram.filter((count) => count > 0);
    const lut = new Uint8Array(256);
    const step = nonZero.length <= 1 ? 0 : Math.floor((nonZero.reduce((a, b) => a + b, 0) - nonZero[nonZero.length - 1]) / 255);
    let n = Math.floor(step / 2);
    for (let v = 0; v < 256; v++) {
      lut[v] = step === 0 ? v : Math.min(255, Math.floor(n / step));
      n += histogram[v];
    }
    for (let i = c; i < src.length; i += channels) out[i] = lut[src[i]];
  }
  return new Image(out, image.height, image.width, channels);
}
