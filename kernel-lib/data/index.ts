export { Generator, type GeneratorState } from "./generator";
export { downloadUrl, fileChecksum, type ChecksumAlgorithm, type DownloadOptions, type DownloadProgress } from "./download";
export { Image, type PixelType, type PixelData } from "./image";
export { decodeImage, imageSize, ImageDecodeError, type DecodePlan } from "./decode-image";
export { type Dataset, type LabeledDataset, SkippedSampleError } from "./dataset";
export { ImageFolder, IMG_EXTENSIONS, type ImageFolderOptions, type OnImageError, type SkippedFile } from "./image-folder";
export { Subset } from "./subset";
export { randomSplit, labeledUnlabeledSplit, type LabeledUnlabeledSplit } from "./splits";
export { DataLoader, splitViews, type DataLoaderOptions, type BatchOf, type SampleInput } from "./data-loader";
export * from "./transforms";
export { CIFAR10, CIFAR10Dataset, CIFAR10_URL, CIFAR10_MD5, readCifarBinary, type CIFAR10Options } from "./cifar10";
export { extractTar, type ExtractOptions } from "./tar";
/** torchvision style: `transforms.Compose([...])` next to the flat names. */
export * as transforms from "./transforms";
export { datasetTree, showDatasetTree, type DatasetTree, type SplitCounts, type ClassCount } from "./dataset-tree";
export { loadBatch, evenlySpacedIndices } from "./load-batch";
export { nativeJpegStatus, jpegDecoderChoice, type JpegDecoderChoice } from "./native-jpeg";
