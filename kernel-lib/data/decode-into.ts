/**
 * Decoding straight into a DataLoader's batch buffer: for a plan that ends in float32 (`toFloat`), the
 * sample is written into `destination` from `offset`, so it needs no array of its own and no copy
 * (see DirectBatchSource in dataset.ts). The same values as decodeImage / applyDecodePlan give.
 */
import { addonBox, addonOutput, applyDecodePlan, decodeWithAddon, decodeWithSharp, type DecodePlan } from "./decode-image";
import type { Image } from "./image";
import { nativeJpegDecoder } from "./native-jpeg";
import { applyPlanOutputSteps } from "./plan-output";

/** `[height, width, channels]` of the sample a plan produces. */
export type SampleShape = readonly [number, number, number];

function checkSlot(caller: string, plan: DecodePlan, destination: Float32Array, offset: number, shape: SampleShape): number {
  if (!plan.toFloat) throw new Error(`${caller}: the plan must end in float32 (toFloat)`);
  const size = shape[0] * shape[1] * shape[2];
  if (!(Number.isInteger(offset) && offset >= 0 && offset + size <= destination.length)) {
    throw new Error(`${caller}: ${shape.join("x")} values do not fit in the destination (${destination.length}) at offset ${offset}`);
  }
  return size;
}

function checkProduced(caller: string, height: number, width: number, shape: SampleShape): void {
  if (height !== shape[0] || width !== shape[1]) throw new Error(`${caller}: the plan gave ${height}x${width}, not ${shape.join("x")}`);
}

/** decodeImage(filePath, plan) written into `destination` from `offset`. */
export async function decodeImageInto(filePath: string, plan: DecodePlan, destination: Float32Array, offset: number, shape: SampleShape): Promise<void> {
  checkSlot("decodeImageInto", plan, destination, offset, shape);
  const addon = nativeJpegDecoder();
  const decoded = addon ? await decodeWithAddon(addon, filePath, plan, addonOutput(plan, destination, offset)) : undefined;
  if (decoded) return checkProduced("decodeImageInto", decoded.height, decoded.width, shape);
  const image = applyPlanOutputSteps(await decodeWithSharp(filePath, plan), plan);
  checkProduced("decodeImageInto", image.height, image.width, shape);
  destination.set(image.data, offset);
}

/** applyDecodePlan(image, plan) (ImageFolder's image cache) written into `destination` from `offset`. */
export async function applyDecodePlanInto(image: Image, plan: DecodePlan, destination: Float32Array, offset: number, shape: SampleShape): Promise<void> {
  checkSlot("applyDecodePlanInto", plan, destination, offset, shape);
  const addon = nativeJpegDecoder();
  if (addon && image.pixelType === "uint8" && image.channels === 3 && (plan.extract || plan.resize)) {
    const output = addonOutput(plan, destination, offset);
    const { height, width } = await addon.resize(image.data as Uint8Array, image.height, image.width, addonBox(plan), plan.resize ?? null, output);
    return checkProduced("applyDecodePlanInto", height, width, shape);
  }
  const result = await applyDecodePlan(image, plan);
  checkProduced("applyDecodePlanInto", result.height, result.width, shape);
  destination.set(result.data, offset);
}
