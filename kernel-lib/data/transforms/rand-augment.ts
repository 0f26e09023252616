/**
 * `torchvision.transforms.RandAugment` (the strong augmentation of FixMatch): `numOps` operations
 * drawn uniformly from 14, each at the same `magnitude` bin (of `numMagnitudeBins`), signed ops
 * negated with probability 1/2. Works on uint8 images (before ToTensor), as torchvision's does on PIL.
 */
import type { Generator } from "../generator";
import { Image, requireImage } from "../image";
import { affine, rotate } from "./affine";
import { adjustBrightness, adjustContrast, adjustSaturation, adjustSharpness, autocontrast, equalize, posterize, solarize } from "./color";
import { roundHalfEven } from "./python-round";
import { pickGenerator, type RandomTransformOptions, type Transform } from "./transform";

export const RAND_AUGMENT_OPS = [
  "Identity",
  "ShearX",
  "ShearY",
  "TranslateX",
  "TranslateY",
  "Rotate",
  "Brightness",
  "Color",
  "Contrast",
  "Sharpness",
  "Posterize",
  "Solarize",
  "AutoContrast",
  "Equalize",
] as const;
export type RandAugmentOp = (typeof RAND_AUGMENT_OPS)[number];

export interface RandAugmentOptions extends RandomTransformOptions {
  numOps?: number;
  magnitude?: number;
  numMagnitudeBins?: number;
  /** Value for pixels that geometric ops move in from outside (default 0). */
  fill?: number | readonly number[];
}

function linspace(start: number, end: number, bins: number, index: number): number {
  return bins === 1 ? start : start + ((end - start) * index) / (bins - 1);
}

/** The magnitude of `op` at bin `index` and whether its sign is random (torchvision's augmentation space). */
export function randAugmentMagnitude(op: RandAugmentOp, index: number, bins: number, height: number, width: number): { magnitude: number; signed: boolean } {
  switch (op) {
    case "ShearX":
    case "ShearY":
      return { magnitude: linspace(0, 0.3, bins, index), signed: true };
    case "TranslateX":
      return { magnitude: linspace(0, (150 / 331) * width, bins, index), signed: true };
    case "TranslateY":
      return { magnitude: linspace(0, (150 / 331) * height, bins, index), signed: true };
    case "Rotate":
      return { magnitude: linspace(0, 30, bins, index), signed: true };
    case "Brightness":
    case "Color":
    case "Contrast":
    case "Sharpness":
      return { magnitude: linspace(0, 0.9, bins, index), signed: true };
    case "Posterize":
      // torch.round rounds halves to even (bin 1 of 9 is 8 bits, not 7), unlike Math.round.
      return { magnitude: 8 - roundHalfEven(index / ((bins - 1) / 4)), signed: false };
    case "Solarize":
      return { magnitude: linspace(255, 0, bins, index), signed: false };
    default:
      return { magnitude: 0, signed: false };
  }
}

/** torchvision's `_apply_op` for PIL images. */
export function applyRandAugmentOp(image: Image, op: RandAugmentOp, magnitude: number, fill: number | readonly number[] = 0): Image {
  const degrees = (Math.atan(magnitude) * 180) / Math.PI;
  switch (op) {
    case "ShearX":
      return affine(image, { shear: [degrees, 0], center: [0, 0], fill });
    case "ShearY":
      return affine(image, { shear: [0, degrees], center: [0, 0], fill });
    case "TranslateX":
      return affine(image, { translate: [Math.trunc(magnitude), 0], fill });
    case "TranslateY":
      return affine(image, { translate: [0, Math.trunc(magnitude)], fill });
    case "Rotate":
      return rotate(image, magnitude, fill);
    case "Brightness":
      return adjustBrightness(image, 1 + magnitude);
    case "Color":
      return adjustSaturation(image, 1 + magnitude);
    case "Contrast":
      return adjustContrast(image, 1 + magnitude);
    case "Sharpness":
      return adjustSharpness(image, 1 + magnitude);
    case "Posterize":
      return posterize(image, Math.trunc(magnitude));
    case "Solarize":
      return solarize(image, magnitude);
    case "AutoContrast":
      return autocontrast(image);
    case "Equalize":
      return equalize(image);
    case "Identity":
      return image;
    default:
      throw new Error(`RandAugment: unknown operation ${JSON.stringify(op)}; expected one of ${RAND_AUGMENT_OPS.join(", ")}`);
  }
}

export class RandAugment implements Transform<Image, Image> {
  readonly numOps: number;
  readonly magnitude: number;
  readonly numMagnitudeBins: number;
  readonly fill: number | readonly number[];
  private readonly generator: Generator | undefined;

  constructor(options: RandAugmentOptions = {}) {
    this.numOps = options.numOps ?? 2;
    this.magnitude = options.magnitude ?? 9;
    this.numMagnitudeBins = options.numMagnitudeBins ?? 31;
    this.fill = options.fill ?? 0;
    if (!(Number.isInteger(this.numOps) && this.numOps >= 0)) throw new Error(`RandAugment: numOps must be a non-negative integer, got ${this.numOps}`);
    if (!(Number.isInteger(this.numMagnitudeBins) && this.numMagnitudeBins >= 2)) throw new Error(`RandAugment: numMagnitudeBins must be an integer >= 2, got ${this.numMagnitudeBins}`);
    if (!(Number.isInteger(this.magnitude) && this.magnitude >= 0 && this.magnitude < this.numMagnitudeBins)) {
      throw new Error(`RandAugment: magnitude must be an integer bin in 0..${this.numMagnitudeBins - 1}, got ${this.magnitude}`);
    }
    this.generator = options.generator;
  }

  apply(input: Image, generator?: Generator): Image {
    let image = requireImage(input, "RandAugment");
    if (image.pixelType !== "uint8") throw new Error("RandAugment: works on uint8 images; put it before ToTensor()");
    const random = pickGenerator(generator, this.generator);
    for (let i = 0; i < this.numOps; i++) {
      const op = RAND_AUGMENT_OPS[random.randint(0, RAND_AUGMENT_OPS.length)];
      let { magnitude, signed } = randAugmentMagnitude(op, this.magnitude, this.numMagnitudeBins, image.height, image.width);
      if (signed && random.randint(0, 2) === 1) magnitude = -magnitude;
      image = applyRandAugmentOp(image, op, magnitude, this.fill);
    }
    return image;
  }

  toString(): string {
    return `RandAugment(numOps=${this.numOps}, magnitude=${this.magnitude}, numMagnitudeBins=${this.numMagnitudeBins})`;
  }
}
