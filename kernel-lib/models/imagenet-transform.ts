import { Compose } from "../data/transforms/compose";
import { Resize } from "../data/transforms/resize";
import { CenterCrop } from "../data/transforms/center-crop";
import { ToTensor } from "../data/transforms/to-tensor";
import { Normalize } from "../data/transforms/normalize";

/** ImageNet's per-channel RGB mean and std, as every torchvision classification weight uses. */
export const IMAGENET_MEAN: readonly number[] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly number[] = [0.229, 0.224, 0.225];

/**
 * `ResNet18_Weights.IMAGENET1K_V1.transforms()`: Resize(256) (bilinear, antialiased), CenterCrop(224),
 * ToTensor, Normalize(ImageNet mean, std), on a decoded uint8 image.
 */
export function imagenetTransform(): Compose {
  return new Compose([new Resize(256), new CenterCrop(224), new ToTensor(), new Normalize(IMAGENET_MEAN, IMAGENET_STD)]);
}
