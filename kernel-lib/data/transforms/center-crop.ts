/**
 * `torchvision.transforms.CenterCrop`: the offset is Python's `round((H - h) / 2)` (halves to even),
 * and a crop larger than the image pads with zeros first, as torchvision does.
 */
import { Image, requireImage } from "../image";
import { crop } from "./crop";
import { pad } from "./pad";
import { roundHalfEven } from "./python-round";
import { checkSize, type Size } from "./size";
import type { Transform } from "./transform";

export function centerCrop(image: Image, height: number, width: number): Image {
  let source = image;
  if (width > source.width || height > source.height) {
    const padLeft = width > source.width ? Math.floor((width - source.width) / 2) : 0;
    const padTop = height > source.height ? Math.floor((height - source.height) / 2) : 0;
    const padRight = width > source.width ? Math.floor((width - source.width + 1) / 2) : 0;
    const padBottom = height > source.height ? Math.floor((height - source.height + 1) / 2) : 0;
    source = pad(source, [padLeft, padTop, padRight, padBottom]);
    if (source.width === width && source.height === height) return source;
  }
  const top = roundHalfEven((source.height - height) / 2);
  const left = roundHalfEven((source.width - width) / 2);
  return crop(source, top, left, height, width);
}

export class CenterCrop implements Transform<Image, Image> {
  readonly size: [number, number];

  constructor(size: Size) {
    this.size = checkSize(size, "CenterCrop");
  }

  apply(input: Image): Image {
    return centerCrop(requireImage(input, "CenterCrop"), this.size[0], this.size[1]);
  }

  toString(): string {
    return `CenterCrop(size=[${this.size.join(", ")}])`;
  }
}
