/**
 * The functional forms of the transforms, torchvision's `transforms.functional` (usually imported
 * as `F`): fixed parameters, no randomness. Kept in one namespace so that short names like `crop`
 * and `resize` do not crowd the library's top level.
 */
export { crop } from "./crop";
export { pad } from "./pad";
export { resize } from "./resize";
export { centerCrop } from "./center-crop";
export { resizedCrop } from "./resample";
export { horizontalFlip } from "./random-horizontal-flip";
export { adjustBrightness, adjustContrast, adjustSaturation, adjustHue, adjustSharpness, posterize, solarize, autocontrast, equalize } from "./color";
export { affine, rotate, warpAffineNearest, inverseAffineMatrix } from "./affine";
