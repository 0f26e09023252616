/**
 * Decodes an image file to 3-channel RGB uint8 with sharp, matching what torchvision's default loader
 * gives (`PIL.Image.open(f).convert("RGB")`): grayscale expanded, alpha dropped (not composited), CMYK
 * and palettes converted, the first frame of a GIF. Unlike PIL, EXIF orientation is applied, so photos
 * from phones come out upright. sharp decodes on libuv's thread pool, so several decodes in flight run
 * in parallel off the main thread.
 */
import sharp from "sharp";
import { Image } from "./image";

/** Thrown for files that cannot be decoded; `filePath` names the culprit for `onError: "skip"` reports. */
export class ImageDecodeError extends Error {
  readonly filePath: string;
  constructor(filePath: string, message: string) {
    super(message);
    this.name = "ImageDecodeError";
    this.filePath = filePath;
  }
}

export async function decodeImage(filePath: string): Promise<Image> {
  try {
    // failOn "truncated" rejects a JPEG that ends early (PIL raises "image file is truncated" too) but
    // tolerates the harmless libjpeg warnings that many real photos trigger.
    const { data, info } = await sharp(filePath, { failOn: "truncated", pages: 1, page: 0 })
      .autoOrient()
      .toColourspace("srgb")
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      throw new Error(`decoded to ${info.channels} channels instead of 3`);
    }
    return new Image(new Uint8Array(data.buffer, data.byteOffset, data.length), info.height, info.width, 3);
  } catch (error) {
    const reason = (error as Error).message.split("\n")[0];
    throw new ImageDecodeError(
      filePath,
      `Cannot decode image ${filePath}: ${reason}. The file is corrupt, truncated or not an image: ` +
        `replace or delete it, or pass onError: "skip" to leave such files out.`,
    );
  }
}
