import { decodeImage } from "../data/decode-image";
import { Image } from "../data/image";
import type { TransformLike } from "../data/transforms/transform";
import { predictImage } from "../train/predict";
import type { Module } from "./module";
import { IMAGENET_CLASSES } from "./imagenet-classes";
import { imagenetTransform } from "./imagenet-transform";

export interface ClassifyOptions {
  /** How many classes to return, most probable first (default 5). */
  topk?: number;
  /** Class names by output index (default: the 1000 ImageNet classes). */
  classes?: readonly string[];
  /** Evaluation transform from a decoded uint8 image (default: the ImageNet weights' transform). */
  transform?: TransformLike<Image, Image>;
}

export interface ClassPrediction {
  label: string;
  index: number;
  probability: number;
}

/**
 * The tutorials' "predict one image" for a model with ImageNet weights:
 * `await classify(model, "cat.jpg")` → the top-5 `{ label, index, probability }`. Takes a file path
 * or a decoded `Image`; switches the model to eval mode, as inference in PyTorch needs.
 */
export async function classify(model: Module, image: Image | string, options: ClassifyOptions = {}): Promise<ClassPrediction[]> {
  const topk = options.topk ?? 5;
  const classes = options.classes ?? IMAGENET_CLASSES;
  if (!Number.isInteger(topk) || topk < 1 || topk > classes.length) {
    throw new Error(`classify: topk must be an integer in 1..${classes.length}, got ${topk}`);
  }
  if (!(image instanceof Image) && typeof image !== "string") {
    throw new Error("classify: image must be a file path or a decoded Image (decodeImage(path))");
  }
  const decoded = typeof image === "string" ? await decodeImage(image) : image;
  const ranked = predictImage(model, decoded, options.transform ?? imagenetTransform(), classes, topk);
  return ranked.map(({ classIndex, className, probability }) => ({ label: className, index: classIndex, probability }));
}
