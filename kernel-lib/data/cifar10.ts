/**
 * CIFAR-10 (torchvision.datasets.CIFAR10), read from the official *binary* distribution: records of
 * 1 label byte + 3072 pixel bytes (R, G, B planes of 32x32, row-major). The whole split is held in
 * memory (150 MB for train) as HWC bytes, so items cost no I/O.
 *
 * Where the data comes from, in order:
 * 1. `root/cifar-10-batches-bin/` or `root` itself holding `data_batch_1.bin`... (already extracted),
 * 2. an ImageFolder-of-images layout `root/{train,test}/<class>/*` (e.g. a JPEG export; decoded once,
 *    then cached beside the folder as `<split>.decoded.bin`),
 * 3. a local `archive` (.tar.gz of either layout), extracted safely into `root`,
 * 4. with `download: true`, the official archive (md5-checked, resumable) extracted into `root`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { checkOptionNames } from "./check-options";
import { checkIndex, type LabeledDataset } from "./dataset";
import { decodeImage } from "./decode-image";
import { downloadUrl, type DownloadOptions, type DownloadProgress } from "./download";
import type { Generator } from "./generator";
import { Image } from "./image";
import { ImageFolder } from "./image-folder";
import { extractTar } from "./tar";
import { applyTransform, type TransformLike } from "./transforms/transform";

export const CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
export const CIFAR10_MD5 = "c32a1d4ab5d03f1284b67883e8d87530";
export const CIFAR10_ARCHIVE_BYTES = 170_052_171;
const FOLDER = "cifar-10-batches-bin";
const TRAIN_FILES = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];
const TEST_FILES = ["test_batch.bin"];
const RECORD_BYTES = 1 + 3 * 32 * 32;
const OFFICIAL_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

export interface CIFAR10Options<T> {
  /** Folder holding (or receiving) the data, like torchvision's `root`. */
  root: string;
  /** Training split (50,000 images) or test split (10,000); default true. */
  train?: boolean;
  /** Download and extract the official archive when the data is not under `root`; default false. */
  download?: boolean;
  transform?: TransformLike<Image, T>;
  /** A local .tar.gz to extract instead of downloading (binary or ImageFolder layout). */
  archive?: string;
  /** Mirror of the official archive; its bytes must still match `md5`. */
  url?: string;
  md5?: string;
  onProgress?: (progress: DownloadProgress) => void;
  /** Retry tuning for flaky connections. */
  downloadOptions?: Pick<DownloadOptions, "retries" | "retryDelayMs" | "idleTimeoutMs">;
}

/** The loaded split; create it with `await CIFAR10({ root, train, download })`. */
export class CIFAR10Dataset<T = Image> implements LabeledDataset<T> {
  readonly classes: string[];
  readonly classToIdx: Record<string, number>;
  readonly targets: Uint8Array;
  /** HWC uint8 pixels of every image, 3072 bytes each. */
  readonly data: Uint8Array;
  readonly source: string;
  private readonly transform: TransformLike<Image, T> | undefined;

  constructor(data: Uint8Array, targets: Uint8Array, classes: string[], source: string, transform?: TransformLike<Image, T>) {
    if (data.length !== targets.length * 3072) throw new Error(`CIFAR10Dataset: ${data.length} pixel bytes do not match ${targets.length} labels`);
    this.data = data;
    this.targets = targets;
    this.classes = classes;
    this.classToIdx = Object.fromEntries(classes.map((name, i) => [name, i]));
    this.source = source;
    this.transform = transform;
  }

  get length(): number {
    return this.targets.length;
  }

  /** The untransformed 32x32 RGB uint8 image (a copy). */
  image(index: number): Image {
    checkIndex(index, this.targets.length, "CIFAR10");
    return new Image(this.data.slice(index * 3072, (index + 1) * 3072), 32, 32, 3);
  }

  async getItem(index: number, generator?: Generator): Promise<[T, number]> {
    const image = this.image(index);
    const input = this.transform ? applyTransform(this.transform, image, generator) : (image as unknown as T);
    return [input, this.targets[index]];
  }

  toString(): string {
    return `CIFAR10(${this.targets.length} images from ${this.source})`;
  }
}

function binaryFolder(root: string, files: string[]): string | undefined {
  for (const candidate of [path.join(root, FOLDER), root]) {
    if (files.every((f) => fs.existsSync(path.join(candidate, f)))) return candidate;
  }
  return undefined;
}

function imageFolderSplit(root: string, split: string): string | undefined {
  for (const candidate of [path.join(root, split), ...safeSubfolders(root).map((d) => path.join(root, d, split))]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isDirectory()) return candidate;
  }
  return undefined;
}

function safeSubfolders(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith(".")).map((e) => e.name);
}

function readClassNames(folder: string): string[] {
  const metaPath = path.join(folder, "batches.meta.txt");
  if (!fs.existsSync(metaPath)) return [...OFFICIAL_CLASSES];
  const names = fs.readFileSync(metaPath, "utf8").split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  if (names.length === 0) throw new Error(`CIFAR10: ${metaPath} lists no class names; delete the folder and extract the archive again`);
  return names;
}

/** Reads binary record files into HWC pixels + labels, validating sizes and labels. */
export function readCifarBinary(files: string[], classCount: number): { data: Uint8Array; targets: Uint8Array } {
  const sizes = files.map((file) => {
    const size = fs.statSync(file).size;
    if (size === 0 || size % RECORD_BYTES !== 0) {
      throw new Error(
        `CIFAR10: ${file} has ${size} bytes, not a whole number of ${RECORD_BYTES}-byte records; ` +
          `it is truncated or not a CIFAR-10 binary batch: delete it and extract the archive again`,
      );
    }
    return size;
  });
  const count = sizes.reduce((a, b) => a + b, 0) / RECORD_BYTES;
  const data = new Uint8Array(count * 3072);
  const targets = new Uint8Array(count);
  let record = 0;
  for (const file of files) {
    const bytes = fs.readFileSync(file);
    for (let offset = 0; offset < bytes.length; offset += RECORD_BYTES, record++) {
      const label = bytes[offset];
      if (label >= classCount) {
        throw new Error(`CIFAR10: record ${offset / RECORD_BYTES} of ${file} has label ${label}, but there are ${classCount} classes; the file is corrupt: delete it and extract the archive again`);
      }
      targets[record] = label;
      // CHW planes to HWC.
      const base = record * 3072;
      for (let i = 0; i < 1024; i++) {
        data[base + i * 3] = bytes[offset + 1 + i];
        data[base + i * 3 + 1] = bytes[offset + 1 + 1024 + i];
        data[base + i * 3 + 2] = bytes[offset + 1 + 2048 + i];
      }
    }
  }
  return { data, targets };
}

async function readImageFolderSplit(folder: string): Promise<{ data: Uint8Array; targets: Uint8Array; classes: string[] }> {
  const images = new ImageFolder(folder);
  const data = new Uint8Array(images.length * 3072);
  const targets = Uint8Array.from(images.targets);
  let next = 0;
  // Several decodes in flight keep the decoders' thread pool (libuv's) busy.
  const worker = async (): Promise<void> => {
    while (next < images.length) {
      const index = next++;
      const image = await decodeImage(images.samples[index][0]);
      if (image.height !== 32 || image.width !== 32) {
        throw new Error(`CIFAR10: ${images.samples[index][0]} is ${image.height}x${image.width}, not 32x32; this is not a CIFAR-10 image folder`);
      }
      data.set(image.data, index * 3072);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return { data, targets, classes: images.classes };
}

/**
 * Decoding 50,000 JPEGs takes about half a minute on 2 cores, so the decoded split is cached beside
 * the folder in the binary record format (`<split>.decoded.bin` + `.classes.txt`) and reused while
 * it is newer than the folder and has one record per image. A read-only folder simply gets no cache.
 */
async function readDecodedImageFolderSplit(folder: string): Promise<{ data: Uint8Array; targets: Uint8Array; classes: string[] }> {
  const cachePath = `${folder.replace(/[\\/]+$/, "")}.decoded.bin`;
  const classesPath = `${folder.replace(/[\\/]+$/, "")}.classes.txt`;
  const imageCount = new ImageFolder(folder).length;
  if (fs.existsSync(cachePath) && fs.existsSync(classesPath)) {
    const cacheStat = fs.statSync(cachePath);
    if (cacheStat.size === imageCount * RECORD_BYTES && cacheStat.mtimeMs >= fs.statSync(folder).mtimeMs) {
      const classes = fs.readFileSync(classesPath, "utf8").split("\n").filter((line) => line.length > 0);
      return { ...readCifarBinary([cachePath], classes.length), classes };
    }
  }
  const decoded = await readImageFolderSplit(folder);
  try {
    const records = Buffer.alloc(decoded.targets.length * RECORD_BYTES);
    for (let i = 0; i < decoded.targets.length; i++) {
      const base = i * RECORD_BYTES;
      records[base] = decoded.targets[i];
      for (let p = 0; p < 1024; p++) {
        for (let c = 0; c < 3; c++) records[base + 1 + c * 1024 + p] = decoded.data[i * 3072 + p * 3 + c];
      }
    }
    // Temp file + rename: a crash mid-write never leaves a short cache behind.
    fs.writeFileSync(`${cachePath}.tmp`, records);
    fs.writeFileSync(`${classesPath}.tmp`, decoded.classes.join("\n") + "\n");
    fs.renameSync(`${classesPath}.tmp`, classesPath);
    fs.renameSync(`${cachePath}.tmp`, cachePath);
  } catch {
    // No cache for read-only folders; the data itself is fine.
  }
  return decoded;
}

async function loadFromDisk<T>(root: string, train: boolean, transform?: TransformLike<Image, T>): Promise<CIFAR10Dataset<T> | undefined> {
  const files = train ? TRAIN_FILES : TEST_FILES;
  const folder = binaryFolder(root, files);
  if (folder !== undefined) {
    const classes = readClassNames(folder);
    const { data, targets } = readCifarBinary(files.map((f) => path.join(folder, f)), classes.length);
    return new CIFAR10Dataset(data, targets, classes, folder, transform);
  }
  const splitFolder = imageFolderSplit(root, train ? "train" : "test");
  if (splitFolder !== undefined) {
    const { data, targets, classes } = await readDecodedImageFolderSplit(splitFolder);
    return new CIFAR10Dataset(data, targets, classes, splitFolder, transform);
  }
  return undefined;
}

/**
 * Loads a CIFAR-10 split, like `torchvision.datasets.CIFAR10(root, train, download=...)`.
 * `await CIFAR10({ root: "data/cache", train: true, download: true })`.
 */
export async function CIFAR10<T = Image>(options: CIFAR10Options<T>): Promise<CIFAR10Dataset<T>> {
  if (!options || typeof options.root !== "string" || options.root.length === 0) {
    throw new Error('CIFAR10: pass { root: "<folder>" } (where the data is, or should be downloaded to)');
  }
  checkOptionNames("CIFAR10", options, ["root", "train", "download", "transform", "archive", "url", "md5", "onProgress", "downloadOptions"]);
  const { root, transform } = options;
  const train = options.train ?? true;
  const canRestore = options.archive !== undefined || options.download === true;
  let damage: Error | undefined;
  try {
    const existing = await loadFromDisk(root, train, transform);
    if (existing) return existing;
  } catch (error) {
    // A damaged extracted file is never used: with an archive at hand, extract again below.
    if (!canRestore) throw error;
    damage = error as Error;
  }

  let archive = options.archive;
  if (archive === undefined && options.download) {
    archive = await downloadUrl(options.url ?? CIFAR10_URL, path.join(root, "cifar-10-binary.tar.gz"), {
      md5: options.md5 ?? CIFAR10_MD5,
      expectedBytes: options.url === undefined ? CIFAR10_ARCHIVE_BYTES : undefined,
      onProgress: options.onProgress,
      ...options.downloadOptions,
    });
  }
  if (archive !== undefined) {
    if (damage) console.warn(`CIFAR10: ${damage.message.split("; ")[0]}; extracting ${archive} again`);
    await extractTar(archive, root);
    const extracted = await loadFromDisk(root, train, transform);
    if (extracted) return extracted;
    throw new Error(`CIFAR10: ${archive} did not contain CIFAR-10 (${FOLDER}/ with ${(train ? TRAIN_FILES : TEST_FILES).join(", ")}, or train/ and test/ image folders)`);
  }
  throw new Error(
    `CIFAR10: no CIFAR-10 ${train ? "train" : "test"} data under ${root}; pass download: true to fetch the official archive, ` +
      `archive: "<file>.tar.gz" for a local copy, or point root at an extracted ${FOLDER} folder`,
  );
}
