export { Generator, type GeneratorState } from "./generator";
export { downloadUrl, fileChecksum, type ChecksumAlgorithm, type DownloadOptions, type DownloadProgress } from "./download";
