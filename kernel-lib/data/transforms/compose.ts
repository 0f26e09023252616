/** `torchvision.transforms.Compose`: applies transforms in order, passing the generator along. */
import type { Generator } from "../generator";
import type { Image } from "../image";
import { applyTransform, type Transform, type TransformLike } from "./transform";

export class Compose implements Transform<Image, Image> {
  readonly transforms: TransformLike<Image, Image>[];

  constructor(transforms: TransformLike<Image, Image>[]) {
    if (!Array.isArray(transforms)) throw new Error("Compose: pass an array of transforms, e.g. new Compose([new ToTensor()])");
    transforms.forEach((t, i) => {
      if (typeof t !== "function" && (typeof t !== "object" || t === null || typeof t.apply !== "function")) {
        throw new Error(`Compose: item ${i} is not a transform (an object with apply() or a function)`);
      }
    });
    this.transforms = transforms;
  }

  apply(image: Image, generator?: Generator): Image {
    let current = image;
    for (const transform of this.transforms) current = applyTransform(transform, current, generator);
    return current;
  }

  toString(): string {
    return `Compose(\n${this.transforms.map((t) => `    ${typeof t === "function" ? t.name || "function" : String(t)}`).join("\n")}\n)`;
  }
}
