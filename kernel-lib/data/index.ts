export { Generator, type GeneratorState } from "./generator";
export { downloadUrl, fileChecksum, type ChecksumAlgorithm, type DownloadOptions, type DownloadProgress } from "./download";
export { Image, type PixelType, type PixelData } from "./image";
export { decodeImage, ImageDecodeError } from "./decode-image";
export { type Dataset, type LabeledDataset, SkippedSampleError } from "./dataset";
export { ImageFolder, IMG_EXTENSIONS, type ImageFolderOptions, type OnImageError, type SkippedFile } from "./image-folder";
export { type Transform, type TransformLike, applyTransform, defaultGenerator } from "./transforms/transform";
