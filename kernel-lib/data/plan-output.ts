/**
 * The last steps of a decode plan (see DecodePlan in decode-image.ts), in JavaScript: what the JPEG
 * addon does on its worker thread, done here for sharp's output and for cached images when the addon
 * is not in use. Same pixels either way: the same mirror and the same byte -> float32 table.
 */
import { Image } from "./image";
import { horizontalFlip } from "./transforms/random-horizontal-flip";

export interface PlanOutputSteps {
  flip?: boolean;
  toFloat?: Float32Array;
}

export function applyPlanOutputSteps(image: Image, steps: PlanOutputSteps): Image {
  let result = steps.flip ? horizontalFlip(image) : image;
  const table = steps.toFloat;
  if (table) {
    if (result.pixelType !== "uint8" || result.channels !== 3) throw new Error(`decode plan: toFloat converts uint8 RGB images, got ${result}`);
    const src = result.data;
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i += 3) {
      out[i] = table[src[i]];
      out[i + 1] = table[256 + src[i + 1]];
      out[i + 2] = table[512 + src[i + 2]];
    }
    result = new Image(out, result.height, result.width, 3);
  }
  return result;
}
