/**
 * `torchvision.datasets.ImageFolder`: `root/<class>/.../<image>` (any depth) with classes in sorted order.
 *
 * Same samples and labels as torchvision for the same tree: class folders sorted by name (code-point
 * order, like Python's `sorted`), files found by walking each class folder recursively in sorted order,
 * and only torchvision's IMG_EXTENSIONS (case-insensitive) count as images. One deliberate difference:
 * hidden entries (`.ipynb_checkpoints`, dotfiles) are skipped, because Jupyter creates them inside data
 * folders and torchvision would otherwise turn `.ipynb_checkpoints` into a class.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { checkOptionNames } from "./check-options";
import { checkIndex, SkippedSampleError, type DirectBatchSource, type LabeledDataset } from "./dataset";
import { applyDecodePlan, decodeImage, imageSize, ImageDecodeError } from "./decode-image";
import { applyDecodePlanInto, decodeImageInto } from "./decode-into";
import type { Generator } from "./generator";
import type { Image } from "./image";
import { planFusedDecode, splitFusable, type FusedSplit } from "./transforms/fused-decode";
import { applyTransform, type TransformLike } from "./transforms/transform";

/** torchvision.datasets.folder.IMG_EXTENSIONS */
export const IMG_EXTENSIONS: readonly string[] = [".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"];

export type OnImageError = "raise" | "skip";

export interface ImageFolderOptions<T> {
  transform?: TransformLike<Image, T>;
  /**
   * "raise" (default): an undecodable file throws an error naming it. "skip": it is left out and
   * listed in `skipped` (the DataLoader drops it from its batch; `verify()` removes it up front).
   */
  onError?: OnImageError;
  /** File extensions that count as images (default IMG_EXTENSIONS; add ".gif" to load GIFs). */
  extensions?: readonly string[];
  /** Turns a file into an Image (default: decodeImage, RGB uint8: the JPEG addon or sharp). */
  loader?: (filePath: string) => Promise<Image>;
  /**
   * When the transform starts with RandomResizedCrop or Resize, let the decoder crop and resize on its
   * threads instead of JavaScript on the main thread, and also mirror (RandomHorizontalFlip) and convert
   * (ToTensor, Normalize) when those come next: same random draws; PIL's filter in the JPEG addon
   * (within one level of the JavaScript path), libvips' (within 1/255 on average) for other files.
   * Default true; false runs every transform in JavaScript (the PIL-exact path).
   */
  fusedDecode?: boolean;
  /**
   * Keep every decoded image in memory so later epochs skip JPEG decoding (the costly part): true
   * for up to 2 GiB of pixels, or a byte budget; images beyond it are decoded each time. Suits small
   * sets such as hymenoptera (train+val ~220 MB). Transforms must not modify their input in place.
   */
  cacheImages?: boolean | number;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

function isHidden(name: string): boolean {
  return name.startsWith(".");
}

/** Python's `sorted` on str compares code points; localeCompare would not. */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Every file under `directory`, in torchvision's order: `sorted(os.walk(dir))` sorts the folders by
 * their full path string (so "a b" comes before "a/sub"), then each folder's files by name.
 */
function walkFiles(directory: string): string[] {
  const folders: { folder: string; files: string[] }[] = [];
  const visit = (folder: string): void => {
    const files: string[] = [];
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      if (isHidden(entry.name)) continue;
      const full = path.join(folder, entry.name);
      const isDirectory = entry.isDirectory() || (entry.isSymbolicLink() && fs.statSync(full).isDirectory());
      if (isDirectory) visit(full);
      else files.push(entry.name);
    }
    folders.push({ folder, files: files.sort(byCodePoint) });
  };
  visit(directory);
  folders.sort((a, b) => byCodePoint(a.folder, b.folder));
  return folders.flatMap(({ folder, files }) => files.map((name) => path.join(folder, name)));
}

/** A transform passed where the options go (torchvision's `ImageFolder(root, transform)`) becomes `{ transform }`. */
function asOptions<T>(value: ImageFolderOptions<T> | TransformLike<Image, T>): ImageFolderOptions<T> {
  if (typeof value === "function" || (typeof value === "object" && value !== null && "apply" in value)) {
    return { transform: value as TransformLike<Image, T> };
  }
  if (typeof value !== "object" || value === null) {
    throw new Error(`ImageFolder: the second argument must be a transform or an options object such as { transform, onError }, got ${String(value)}`);
  }
  return value as ImageFolderOptions<T>; // tslab compiles non-strict, where the checks above do not narrow
}

export class ImageFolder<T = Image> implements LabeledDataset<T>, DirectBatchSource {
  readonly root: string;
  readonly classes: string[];
  readonly classToIdx: Record<string, number>;
  /** `[filePath, classIndex]` for every image, like torchvision's `samples` (alias `imgs`). */
  samples: [string, number][];
  targets: number[];
  /** Files that `onError: "skip"` left out, with the reason. */
  readonly skipped: SkippedFile[] = [];
  /** Files ignored because their extension is not an image extension (torchvision ignores them silently). */
  readonly ignoredFiles: string[] = [];
  private readonly transform: TransformLike<Image, T> | undefined;
  private readonly onError: OnImageError;
  private readonly loader: (filePath: string) => Promise<Image>;
  private readonly fusedDecode: boolean;
  /** What of the transform the decoder does, worked out once (undefined: not yet; null: nothing fuses). */
  private fusedSplit: FusedSplit<T> | null | undefined;
  // Both caches are keyed by file path, so they stay right when `samples` is filtered or reordered.
  private readonly imageCache = new Map<string, Image>();
  /** Upright sizes read for fused decoding, so later epochs skip the header read (~10% of a decode). */
  private readonly sizeCache = new Map<string, { height: number; width: number }>();
  private cacheBytesLeft: number;

  /**
   * `new ImageFolder(root, { transform, ... })`, or torchvision's positional form
   * `new ImageFolder(root, transform)`.
   */
  constructor(root: string, optionsOrTransform: ImageFolderOptions<T> | TransformLike<Image, T> = {}) {
    const options = asOptions(optionsOrTransform);
    checkOptionNames("ImageFolder", options, ["transform", "onError", "extensions", "loader", "fusedDecode", "cacheImages"]);
    if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
      throw new Error(`ImageFolder: root ${root} is not a folder; pass the folder that holds one sub-folder per class`);
    }
    this.root = root;
    this.transform = options.transform;
    this.onError = options.onError ?? "raise";
    if (this.onError !== "raise" && this.onError !== "skip") {
      throw new Error(`ImageFolder: onError must be "raise" or "skip", got ${JSON.stringify(this.onError)}`);
    }
    this.loader = options.loader ?? ((filePath: string) => decodeImage(filePath));
    this.fusedDecode = (options.fusedDecode ?? true) && options.loader === undefined;
    const cacheImages = options.cacheImages ?? false;
    if (typeof cacheImages === "number" && !(cacheImages >= 0)) throw new Error(`ImageFolder: cacheImages must be true/false or a byte budget >= 0, got ${cacheImages}`);
    this.cacheBytesLeft = cacheImages === true ? 2 * 1024 ** 3 : cacheImages === false ? 0 : cacheImages;
    const extensions = (options.extensions ?? IMG_EXTENSIONS).map((e) => e.toLowerCase());

    this.classes = fs
      .readdirSync(root, { withFileTypes: true })
      .filter((e) => !isHidden(e.name) && (e.isDirectory() || (e.isSymbolicLink() && fs.statSync(path.join(root, e.name)).isDirectory())))
      .map((e) => e.name)
      .sort(byCodePoint);
    if (this.classes.length === 0) {
      throw new Error(`ImageFolder: found no class folder in ${root}; expected ${root}/<class name>/<images>`);
    }
    this.classToIdx = Object.fromEntries(this.classes.map((name, index) => [name, index]));

    this.samples = [];
    const emptyClasses: string[] = [];
    for (const className of this.classes) {
      let count = 0;
      for (const file of walkFiles(path.join(root, className))) {
        if (extensions.some((ext) => file.toLowerCase().endsWith(ext))) {
          this.samples.push([file, this.classToIdx[className]]);
          count++;
        } else {
          this.ignoredFiles.push(file);
        }
      }
      if (count === 0) emptyClasses.push(className);
    }
    if (emptyClasses.length > 0) {
      throw new Error(
        `ImageFolder: no image files in class folder(s) ${emptyClasses.map((c) => path.join(root, c)).join(", ")}; ` +
          `add images (extensions ${extensions.join(" ")}) or remove the folder(s)`,
      );
    }
    this.targets = this.samples.map((s) => s[1]);
  }

  get length(): number {
    return this.samples.length;
  }

  /** torchvision's alias of `samples`. */
  get imgs(): [string, number][] {
    return this.samples;
  }

  /** Loads and decodes one image, without the transform (from the cache when `cacheImages` holds it). */
  async loadImage(index: number): Promise<Image> {
    checkIndex(index, this.samples.length, "ImageFolder");
    const filePath = this.samples[index][0];
    const cached = this.imageCache.get(filePath);
    if (cached) return cached;
    const image = await this.guarded(filePath, this.loader);
    if (image.data.byteLength <= this.cacheBytesLeft && !this.imageCache.has(filePath)) {
      this.imageCache.set(filePath, image);
      this.cacheBytesLeft -= image.data.byteLength;
    }
    return image;
  }

  /** Bytes of decoded pixels held by `cacheImages`. */
  get cachedBytes(): number {
    let total = 0;
    for (const image of this.imageCache.values()) total += image.data.byteLength;
    return total;
  }

  /** Runs `load`, turning a failure into a report + SkippedSampleError under onError "skip". */
  private async guarded<R>(filePath: string, load: (filePath: string) => Promise<R>): Promise<R> {
    try {
      return await load(filePath);
    } catch (error) {
      if (this.onError === "raise") throw error;
      const reason = error instanceof ImageDecodeError ? error.message : String((error as Error).message ?? error);
      if (!this.skipped.some((s) => s.path === filePath)) {
        this.skipped.push({ path: filePath, reason });
        console.warn(`ImageFolder: skipping ${filePath} (onError: "skip"): ${reason.split(". ")[0]}`);
      }
      throw new SkippedSampleError(filePath, reason);
    }
  }

  async getItem(index: number, generator?: Generator): Promise<[T, number]> {
    checkIndex(index, this.samples.length, "ImageFolder");
    const [filePath, target] = this.samples[index];
    const transform = this.transform;
    if (!transform) return [(await this.loadImage(index)) as unknown as T, target];
    const fused = this.split();
    if (!fused) return [applyTransform(transform, await this.loadImage(index), generator), target];
    let image: Image;
    if (this.imageCache.has(filePath) || this.cacheBytesLeft > 0) {
      // Caching: decode the whole image once, then crop/resize the pixels in memory.
      const full = await this.loadImage(index);
      image = await applyDecodePlan(full, planFusedDecode(fused, full.height, full.width, generator));
    } else {
      image = await this.guarded(filePath, async (file) => {
        // Files are taken as unchanged during a run, as torchvision takes its samples list.
        const size = this.sizeCache.get(file) ?? (await imageSize(file));
        this.sizeCache.set(file, size);
        return decodeImage(file, planFusedDecode(fused, size.height, size.width, generator));
      });
    }
    return [fused.rest ? applyTransform(fused.rest, image, generator) : (image as unknown as T), target];
  }

  /** What of the transform the decoder does (undefined when nothing fuses or fusing is off). */
  private split(): FusedSplit<T> | undefined {
    if (this.fusedSplit === undefined) this.fusedSplit = (this.fusedDecode && this.transform ? splitFusable(this.transform) : undefined) ?? null;
    return this.fusedSplit ?? undefined;
  }

  /**
   * `[height, width, 3]` when every sample comes out of the fused decode as a float32 image of that
   * size (e.g. RandomResizedCrop + flip + ToTensor + Normalize), so the DataLoader can have samples
   * decoded straight into its batch (`loadInto`); undefined otherwise.
   */
  directSampleShape(): [number, number, number] | undefined {
    const fused = this.split();
    if (!fused || !fused.toFloat || fused.rest) return undefined;
    const size = fused.first.fixedOutputSize?.();
    return size ? [size[0], size[1], 3] : undefined;
  }

  /** `getItem`'s sample written into `destination` from `offset` (see directSampleShape); returns the label. */
  async loadInto(index: number, destination: Float32Array, offset: number, generator?: Generator): Promise<number> {
    checkIndex(index, this.samples.length, "ImageFolder");
    const shape = this.directSampleShape();
    const fused = this.split();
    if (!shape || !fused) throw new Error("ImageFolder.loadInto: the transform does not end in a fixed-size float32 image made while decoding; use getItem");
    const [filePath, target] = this.samples[index];
    if (this.imageCache.has(filePath) || this.cacheBytesLeft > 0) {
      const full = await this.loadImage(index);
      await applyDecodePlanInto(full, planFusedDecode(fused, full.height, full.width, generator), destination, offset, shape);
    } else {
      await this.guarded(filePath, async (file) => {
        const size = this.sizeCache.get(file) ?? (await imageSize(file));
        this.sizeCache.set(file, size);
        await decodeImageInto(file, planFusedDecode(fused, size.height, size.width, generator), destination, offset, shape);
      });
    }
    return target;
  }

  /**
   * Decodes every file once (several in flight). With onError "skip" the bad ones are removed from
   * `samples`/`targets` and returned; with "raise" one error lists them all. Call it before making a
   * DataLoader so that batches keep their full size.
   */
  async verify(concurrency = 8): Promise<SkippedFile[]> {
    const bad: SkippedFile[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < this.samples.length) {
        const [filePath] = this.samples[next++];
        try {
          await this.loader(filePath);
        } catch (error) {
          bad.push({ path: filePath, reason: (error as Error).message });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
    if (bad.length === 0) return [];
    if (this.onError === "raise") {
      throw new Error(
        `ImageFolder: ${bad.length} file(s) under ${this.root} cannot be decoded:\n` +
          bad.map((b) => `  ${b.reason}`).join("\n") +
          `\nFix or delete them, or pass onError: "skip"`,
      );
    }
    const badPaths = new Set(bad.map((b) => b.path));
    this.samples = this.samples.filter(([p]) => !badPaths.has(p));
    this.targets = this.samples.map((s) => s[1]);
    for (const b of bad) if (!this.skipped.some((s) => s.path === b.path)) this.skipped.push(b);
    return bad;
  }

  toString(): string {
    return `ImageFolder(${this.root}: ${this.samples.length} images, ${this.classes.length} classes [${this.classes.join(", ")}])`;
  }
}
