/** `torchvision.transforms.ToTensor`: uint8 0..255 → float32 0..1, staying channels-last (HWC). */
import { Image, requireImage } from "../image";
import type { Transform } from "./transform";

/** `v / 255` as float32 for every byte value, what torch's `img.float().div(255)` gives. */
const UNIT_VALUES = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/** ToTensor as a per-channel byte -> float32 table for 3 channels (`table[c * 256 + v]`), for decoders that convert. */
export function unitValueTable(): Float32Array {
  const table = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) table.set(UNIT_VALUES, c * 256);
  return table;
}

export class ToTensor implements Transform<Image, Image> {
  apply(input: Image): Image {
    const image = requireImage(input, "ToTensor");
    if (image.pixelType !== "uint8") {
      throw new Error("ToTensor: the image is already float32; ToTensor belongs once, after the uint8 transforms");
    }
    const out = new Float32Array(image.data.length);
    const src = image.data;
    // A table lookup instead of a division per value: the same float32 results, several times faster.
    for (let i = 0; i < src.length; i++) out[i] = UNIT_VALUES[src[i]];
    return new Image(out, image.height, image.width, image.channels);
  }

  toString(): string {
    return "ToTensor()";
  }
}
