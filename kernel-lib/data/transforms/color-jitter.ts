/**
 * `torchvision.transforms.ColorJitter`: brightness, contrast and saturation factors drawn from
 * [max(0, 1 - x), 1 + x] (or a given [min, max]), hue from [-h, h], applied in a random order.
 */
import type { Generator } from "../generator";
import { Image, requireImage } from "../image";
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation } from "./color";
import { pickGenerator, type RandomTransformOptions, type Transform } from "./transform";

type Range = readonly [number, number];

export interface ColorJitterOptions extends RandomTransformOptions {
  brightness?: number | Range;
  contrast?: number | Range;
  saturation?: number | Range;
  hue?: number | Range;
}

function factorRange(value: number | Range | undefined, name: string, center: number, bounds: Range, clipFirst: boolean): Range | undefined {
  if (value === undefined) return undefined;
  let range: Range;
  if (typeof value === "number") {
    if (!(value >= 0)) throw new Error(`ColorJitter: ${name} must be non-negative, got ${value}`);
    range = [center - value, center + value];
    if (clipFirst) range = [Math.max(range[0], 0), range[1]];
  } else {
    range = value;
  }
  if (!(range.length === 2 && bounds[0] <= range[0] && range[0] <= range[1] && range[1] <= bounds[1])) {
    throw new Error(`ColorJitter: ${name} range ${JSON.stringify(range)} must lie within [${bounds.join(", ")}] as [min, max]`);
  }
  // A range collapsed on the identity means "off", as in torchvision.
  return range[0] === center && range[1] === center ? undefined : range;
}

export class ColorJitter implements Transform<Image, Image> {
  readonly brightness: Range | undefined;
  readonly contrast: Range | undefined;
  readonly saturation: Range | undefined;
  readonly hue: Range | undefined;
  private readonly generator: Generator | undefined;

  constructor(options: ColorJitterOptions = {}) {
    this.brightness = factorRange(options.brightness, "brightness", 1, [0, Infinity], true);
    this.contrast = factorRange(options.contrast, "contrast", 1, [0, Infinity], true);
    this.saturation = factorRange(options.saturation, "saturation", 1, [0, Infinity], true);
    this.hue = factorRange(options.hue, "hue", 0, [-0.5, 0.5], false);
    this.generator = options.generator;
  }

  /** The order (a permutation of 0..3: brightness, contrast, saturation, hue) and the factors. */
  static getParams(
    brightness: Range | undefined,
    contrast: Range | undefined,
    saturation: Range | undefined,
    hue: Range | undefined,
    generator: Generator,
  ): { order: number[]; factors: (number | undefined)[] } {
    const order = Array.from(generator.randperm(4));
    const factors = [brightness, contrast, saturation, hue].map((range) => (range ? generator.uniform(range[0], range[1]) : undefined));
    return { order, factors };
  }

  apply(input: Image, generator?: Generator): Image {
    let image = requireImage(input, "ColorJitter");
    const { order, factors } = ColorJitter.getParams(this.brightness, this.contrast, this.saturation, this.hue, pickGenerator(generator, this.generator));
    const adjust = [adjustBrightness, adjustContrast, adjustSaturation, adjustHue];
    for (const which of order) {
      const factor = factors[which];
      if (factor !== undefined) image = adjust[which](image, factor);
    }
    return image;
  }

  toString(): string {
    return `ColorJitter(brightness=${JSON.stringify(this.brightness)}, contrast=${JSON.stringify(this.contrast)}, saturation=${JSON.stringify(this.saturation)}, hue=${JSON.stringify(this.hue)})`;
  }
}
