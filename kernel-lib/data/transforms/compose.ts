/** `torchvision.transforms.Compose`: applies transforms in order, passing the generator along. */
import type { Generator } from "../generator";
import type { Image } from "../image";
import { NormalizedTensor } from "./normalized-tensor";
import { Normalize } from "./normalize";
import { ToTensor } from "./to-tensor";
import { applyTransform, type Transform, type TransformLike } from "./transform";

/** The transforms as run: each ToTensor directly followed by Normalize becomes one NormalizedTensor pass. */
function fuseSteps(transforms: TransformLike<Image, Image>[]): TransformLike<Image, Image>[] {
  const steps: TransformLike<Image, Image>[] = [];
  for (let i = 0; i < transforms.length; i++) {
    const current = transforms[i];
    const next = transforms[i + 1];
    if (current instanceof ToTensor && next instanceof Normalize) {
      steps.push(new NormalizedTensor(current, next));
      i++;
    } else {
      steps.push(current);
    }
  }
  return steps;
}

export class Compose implements Transform<Image, Image> {
  /** As given (torchvision's `transforms`); `apply` runs them with ToTensor + Normalize fused. */
  readonly transforms: TransformLike<Image, Image>[];
  private readonly steps: TransformLike<Image, Image>[];

  constructor(transforms: TransformLike<Image, Image>[]) {
    if (!Array.isArray(transforms)) throw new Error("Compose: pass an array of transforms, e.g. new Compose([new ToTensor()])");
    transforms.forEach((t, i) => {
      if (typeof t !== "function" && (typeof t !== "object" || t === null || typeof t.apply !== "function")) {
        throw new Error(`Compose: item ${i} is not a transform (an object with apply() or a function)`);
      }
    });
    this.transforms = transforms;
    this.steps = fuseSteps(transforms);
  }

  apply(image: Image, generator?: Generator): Image {
    let current = image;
    for (const step of this.steps) current = applyTransform(step, current, generator);
    return current;
  }

  toString(): string {
    return `Compose(\n${this.transforms.map((t) => `    ${typeof t === "function" ? t.name || "function" : String(t)}`).join("\n")}\n)`;
  }
}
