/**
 * The libjpeg-turbo addon (native/, built at install time by native/build.js) that decodes JPEGs for
 * ImageFolder about twice as cheaply as sharp, and decodes only the rows and columns of a crop box.
 * It is optional: where it was not built (no compiler, no libjpeg headers) everything goes to sharp.
 *
 * LAB_JPEG_DECODER chooses, read at every decode so that tests and benchmarks can switch it:
 *   auto (default)  the addon for the JPEGs it handles, sharp for the rest and when it is not built;
 *   sharp           sharp only (A/B comparisons, or to rule the addon out);
 *   native          like auto, but a missing addon is an error instead of a silent fallback.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface NativeJpegHeader {
  width: number;
  height: number;
  components: number;
  colorSpace: "gray" | "rgb" | "ycbcr" | "cmyk" | "ycck" | "unknown";
  progressive: boolean;
  /** EXIF orientation 1..8 (1 when there is none). */
  orientation: number;
}

export interface NativeDecoded {
  /** RGB, height x width x 3: bytes, or float32 when `output.table` was given. */
  pixels: Buffer | Float32Array;
  height: number;
  width: number;
}

/**
 * Why a call was refused (the rejection's `code`): JPEG_UNSUPPORTED (not a JPEG, CMYK/YCCK, an EXIF
 * orientation other than 1: sharp handles those), JPEG_CORRUPT (libjpeg's error or a truncated file),
 * JPEG_IO (unreadable file), JPEG_BAD_REQUEST (a crop box outside the image).
 */
export type NativeJpegErrorCode = "JPEG_UNSUPPORTED" | "JPEG_CORRUPT" | "JPEG_IO" | "JPEG_BAD_REQUEST";

/** Steps after the resize: mirror left-right, then bytes -> float32 through `table[channel * 256 + byte]` (768 values). */
export interface NativeOutputSteps {
  flip?: boolean;
  table?: Float32Array;
  /** With `table`: write the floats here from `offset` (a batch buffer) instead of into a new array. */
  destination?: Float32Array;
  offset?: number;
}

export interface NativeJpegAddon {
  /** `box` = [top, left, height, width] to decode only that region; `size` = [height, width] to resize it (PIL bilinear). */
  decode(
    source: string | Buffer,
    box: readonly [number, number, number, number] | null,
    size: readonly [number, number] | null,
    output?: NativeOutputSteps,
  ): Promise<NativeDecoded>;
  readHeader(source: string | Buffer): Promise<NativeJpegHeader>;
  /** The same crop + resize as `decode`, on RGB pixels in memory (height x width x 3). */
  resize(
    pixels: Uint8Array,
    height: number,
    width: number,
    box: readonly [number, number, number, number] | null,
    size: readonly [number, number] | null,
    output?: NativeOutputSteps,
  ): Promise<NativeDecoded>;
  libjpegTurboVersion?: string;
}

export type JpegDecoderChoice = "auto" | "sharp" | "native";

// tslab evaluates notebook-imported modules without __dirname; its kernel runs from the repository root.
const dataDirectory = typeof __dirname === "string" ? __dirname : path.join(process.cwd(), "kernel-lib", "data");
export const nativeJpegAddonPath = path.join(dataDirectory, "native", "build", "Release", "lab_jpeg.node");
const buildMarkerPath = path.join(dataDirectory, "native", "build", "jpeg.json");

let loaded: { addon: NativeJpegAddon } | { reason: string } | undefined;

/** The LAB_JPEG_DECODER setting; anything else is an error that lists the choices. */
export function jpegDecoderChoice(): JpegDecoderChoice {
  const value = (process.env.LAB_JPEG_DECODER ?? "auto").trim().toLowerCase() || "auto";
  if (value === "auto" || value === "sharp" || value === "native") return value;
  throw new Error(`LAB_JPEG_DECODER=${process.env.LAB_JPEG_DECODER} is not one of auto, sharp, native`);
}

function load(): { addon: NativeJpegAddon } | { reason: string } {
  if (loaded) return loaded;
  if (!fs.existsSync(nativeJpegAddonPath)) {
    let reason = "the JPEG addon was never built (run `node kernel-lib/data/native/build.js`)";
    try {
      const marker = JSON.parse(fs.readFileSync(buildMarkerPath, "utf8")) as { built?: boolean; reason?: string; fix?: string };
      if (marker.built === false && marker.reason) reason = `the JPEG addon's build did not succeed: ${marker.reason}; ${marker.fix ?? ""}`.trim();
      if (marker.built === true) reason = `the built JPEG addon ${nativeJpegAddonPath} is gone (run \`node kernel-lib/data/native/build.js\`)`;
    } catch {
      // No marker: the build script never ran (npm install --ignore-scripts).
    }
    loaded = { reason };
    return loaded;
  }
  try {
    loaded = { addon: require(nativeJpegAddonPath) as NativeJpegAddon };
  } catch (error) {
    loaded = { reason: `the JPEG addon ${nativeJpegAddonPath} does not load: ${(error as Error).message}; rebuild it with \`node kernel-lib/data/native/build.js\`` };
  }
  return loaded;
}

/** Whether the addon is there, and if not, why (for environment reports and benchmarks). */
export function nativeJpegStatus(): { available: true; libjpegTurboVersion: string } | { available: false; reason: string } {
  const state = load();
  return "addon" in state ? { available: true, libjpegTurboVersion: state.addon.libjpegTurboVersion ?? "unknown" } : { available: false, reason: state.reason };
}

/** The addon when LAB_JPEG_DECODER lets JPEGs go through it, undefined for sharp. */
export function nativeJpegDecoder(): NativeJpegAddon | undefined {
  const choice = jpegDecoderChoice();
  if (choice === "sharp") return undefined;
  const state = load();
  if ("addon" in state) return state.addon;
  if (choice === "native") throw new Error(`LAB_JPEG_DECODER=native but ${state.reason}`);
  return undefined;
}

/** The `code` of an addon rejection, undefined for any other error. */
export function nativeJpegErrorCode(error: unknown): NativeJpegErrorCode | undefined {
  const code = typeof error === "object" && error !== null && "code" in error ? (error as { code: unknown }).code : undefined;
  return code === "JPEG_UNSUPPORTED" || code === "JPEG_CORRUPT" || code === "JPEG_IO" || code === "JPEG_BAD_REQUEST" ? code : undefined;
}
