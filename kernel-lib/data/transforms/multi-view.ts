/**
 * Several independently augmented views of one image (Mean Teacher's two noisy views, FixMatch's
 * weak + strong pair). A dataset with this transform makes the DataLoader yield
 * `[view1Batch, view2Batch, ..., labels]`.
 */
import type { Generator } from "../generator";
import type { Image } from "../image";
import { applyTransform, type Transform, type TransformLike } from "./transform";

export class MultiView implements Transform<Image, Image[]> {
  readonly views: TransformLike<Image, Image>[];

  constructor(views: TransformLike<Image, Image>[]) {
    if (!Array.isArray(views) || views.length < 1) throw new Error("MultiView: pass one transform per view, e.g. new MultiView([weak, strong])");
    this.views = views;
  }

  apply(image: Image, generator?: Generator): Image[] {
    return this.views.map((view) => applyTransform(view, image, generator));
  }

  toString(): string {
    return `MultiView(${this.views.length} views)`;
  }
}
