/**
 * Decodes an image file to 3-channel RGB uint8, matching what torchvision's default loader gives
 * (`PIL.Image.open(f).convert("RGB")`): grayscale expanded, alpha dropped (not composited), palettes
 * converted, the first frame of a GIF, embedded ICC profiles ignored (all pixel-identical to PIL,
 * tested). Two deliberate differences: EXIF orientation is applied, so photos from phones come out
 * upright; and CMYK JPEGs go through libvips' built-in CMYK profile where PIL uses a naive formula, so
 * their colours differ from PIL's (tens of levels) but are closer to the original.
 *
 * Two decoders, both off the main thread (several decodes in flight run in parallel on libuv's pool):
 * - our libjpeg-turbo addon (native-jpeg.ts) for plain JPEGs (baseline or progressive, YCbCr/RGB/gray,
 *   EXIF orientation 1): about half sharp's cost per photo, the same libjpeg pixels, and a decode plan's
 *   crop decodes only the box's rows and columns, resized with PIL's bilinear filter;
 * - sharp (libvips) for everything else: PNG, GIF, WebP, CMYK/YCCK, rotated photos, and all files
 *   when the addon is not built or LAB_JPEG_DECODER=sharp.
 * Broken files (empty, bad header or tables, truncated) raise an ImageDecodeError naming the file;
 * libjpeg's warnings (e.g. junk after the image) are tolerated, as PIL tolerates them.
 */
import sharp from "sharp";
import { Image } from "./image";
import { nativeJpegDecoder, nativeJpegErrorCode, type NativeDecoded, type NativeJpegAddon, type NativeOutputSteps } from "./native-jpeg";
import { applyPlanOutputSteps } from "./plan-output";

/** Thrown for files that cannot be decoded; `filePath` names the culprit for `onError: "skip"` reports. */
export class ImageDecodeError extends Error {
  readonly filePath: string;
  constructor(filePath: string, message: string) {
    super(message);
    this.name = "ImageDecodeError";
    this.filePath = filePath;
  }
}

/**
 * A geometric step done while decoding, so the full-size image never reaches JavaScript: crop
 * `extract` (in upright coordinates), then resize to `resize` = [height, width] with an antialiased
 * triangle filter (PIL's bilinear: exact in the addon, within 1/255 on average in libvips).
 */
export interface DecodePlan {
  extract?: { top: number; left: number; height: number; width: number };
  resize?: readonly [number, number];
  /** Mirror left-right after the resize (a RandomHorizontalFlip whose draw was made when planning). */
  flip?: boolean;
  /**
   * Convert to float32 last, `value = toFloat[channel * 256 + byte]` (ToTensor, or ToTensor + Normalize:
   * their tables), so a whole training transform can finish on the decoder's thread.
   */
  toFloat?: Float32Array;
}

function decodeError(filePath: string, error: unknown): ImageDecodeError {
  const reason = (error as Error).message.split("\n")[0];
  return new ImageDecodeError(
    filePath,
    `Cannot decode image ${filePath}: ${reason}. The file is corrupt, truncated or not an image: ` +
      `replace or delete it, or pass onError: "skip" to leave such files out.`,
  );
}

/** Upright size (EXIF orientation applied) from the file header, without decoding pixels. */
export async function imageSize(filePath: string): Promise<{ height: number; width: number }> {
  const addon = nativeJpegDecoder();
  if (addon) {
    try {
      const header = await addon.readHeader(filePath);
      // Orientations 5..8 turn the picture a quarter turn: the upright image is the stored one transposed.
      const sideways = header.orientation >= 5;
      return sideways ? { height: header.width, width: header.height } : { height: header.height, width: header.width };
    } catch {
      // Not a JPEG, or a header libjpeg refuses: sharp reads the size or names the problem.
    }
  }
  try {
    const metadata = await sharp(filePath).metadata();
    const upright = metadata.autoOrient ?? { width: metadata.width, height: metadata.height };
    if (!upright.width || !upright.height) throw new Error("the header has no image size");
    return { height: upright.height, width: upright.width };
  } catch (error) {
    throw decodeError(filePath, error);
  }
}

export async function decodeImage(filePath: string, plan: DecodePlan = {}): Promise<Image> {
  const addon = nativeJpegDecoder();
  const decoded = addon ? await decodeWithAddon(addon, filePath, plan) : undefined;
  if (decoded) return imageFromAddon(decoded);
  return applyPlanOutputSteps(await decodeWithSharp(filePath, plan), plan);
}

function imageFromAddon({ pixels, height, width }: NativeDecoded): Image {
  const data = pixels instanceof Float32Array ? pixels : new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length);
  return new Image(data, height, width, 3);
}

/** The plan's crop as the addon takes it: [top, left, height, width], or null for the whole image. */
export function addonBox(plan: DecodePlan): readonly [number, number, number, number] | null {
  return plan.extract ? [plan.extract.top, plan.extract.left, plan.extract.height, plan.extract.width] : null;
}

/** The plan's last steps as the addon takes them, optionally writing into `destination` from `offset`. */
export function addonOutput(plan: DecodePlan, destination?: Float32Array, offset?: number): NativeOutputSteps {
  return { flip: plan.flip ?? false, table: plan.toFloat, destination, offset };
}

/**
 * The addon's decode of `filePath` with `plan`, or undefined for files it leaves to sharp (not a JPEG,
 * CMYK, rotated, unreadable); a damaged JPEG is an ImageDecodeError naming the file.
 */
export async function decodeWithAddon(addon: NativeJpegAddon, filePath: string, plan: DecodePlan, output = addonOutput(plan)): Promise<NativeDecoded | undefined> {
  try {
    return await addon.decode(filePath, addonBox(plan), plan.resize ?? null, output);
  } catch (error) {
    const code = nativeJpegErrorCode(error);
    if (code === "JPEG_CORRUPT") throw decodeError(filePath, error);
    if (code === "JPEG_BAD_REQUEST") {
      throw new Error(`decodeImage: the decode plan does not fit ${filePath}: ${(error as Error).message}; plan crops inside the image's upright size (imageSize)`);
    }
    if (code === undefined) throw error;
    return undefined;
  }
}

/** sharp's decode with the plan's crop and resize (its last steps are the caller's: applyPlanOutputSteps). */
export async function decodeWithSharp(filePath: string, plan: DecodePlan): Promise<Image> {
  try {
    // failOn "truncated" rejects a JPEG that ends early (PIL raises "image file is truncated" too) but
    // tolerates the harmless libjpeg warnings that many real photos trigger.
    // ignoreIcc: PIL ignores embedded colour profiles, so torchvision trains on the stored values; so do
    // we (pixel-identical to PIL on hymenoptera), and skipping the profile transform halves the decode
    // cost of photos that carry one.
    let pipeline = sharp(filePath, { failOn: "truncated", pages: 1, page: 0, ignoreIcc: true }).autoOrient();
    if (plan.extract) pipeline = pipeline.extract(plan.extract);
    if (plan.resize) {
      // fastShrinkOnLoad off: JPEG DCT shrinking would change pixels beyond torchvision's tolerance.
      pipeline = pipeline.resize(plan.resize[1], plan.resize[0], { kernel: "linear", fit: "fill", fastShrinkOnLoad: false });
    }
    const { data, info } = await pipeline.toColourspace("srgb").removeAlpha().raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      throw new Error(`decoded to ${info.channels} channels instead of 3`);
    }
    return new Image(new Uint8Array(data.buffer, data.byteOffset, data.length), info.height, info.width, 3);
  } catch (error) {
    throw decodeError(filePath, error);
  }
}

/**
 * Applies a decode plan to pixels already in memory (ImageFolder's image cache) with the same filter
 * as a fused decode (the addon's, or libvips' when JPEGs go to sharp), off the main thread.
 */
export async function applyDecodePlan(image: Image, plan: DecodePlan): Promise<Image> {
  if (image.pixelType !== "uint8") throw new Error("applyDecodePlan: expects a decoded uint8 image");
  if (!plan.extract && !plan.resize) return applyPlanOutputSteps(image, plan);
  const addon = nativeJpegDecoder();
  if (addon && image.channels === 3) {
    return imageFromAddon(await addon.resize(image.data as Uint8Array, image.height, image.width, addonBox(plan), plan.resize ?? null, addonOutput(plan)));
  }
  const pixels = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  let pipeline = sharp(pixels, { raw: { width: image.width, height: image.height, channels: image.channels as 3 } });
  if (plan.extract) pipeline = pipeline.extract(plan.extract);
  if (plan.resize) pipeline = pipeline.resize(plan.resize[1], plan.resize[0], { kernel: "linear", fit: "fill" });
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return applyPlanOutputSteps(new Image(new Uint8Array(data.buffer, data.byteOffset, data.length), info.height, info.width, info.channels), plan);
}
