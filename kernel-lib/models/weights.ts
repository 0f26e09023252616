import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as tf from "@tensorflow/tfjs";
import { downloadUrl, fileChecksum } from "../data/download";
import { readPth } from "./pth";
import { readSafetensors, writeSafetensors } from "./safetensors";
import { fromTorchLayout, toTorchLayout } from "./torchvision-layout";
import type { CheckpointTensor } from "./checkpoint-tensor";

/**
 * Pretrained weights by name (torchvision's enum), by local path (.pth or .safetensors) or by URL.
 * URLs are cached; a torchvision-style file name `<name>-<sha256 prefix>.pth` is checked against
 * that prefix, as torch.hub's check_hash does.
 */
export interface WeightsEntry {
  url: string;
  /** Leading hex digits of the file's sha256 (torchvision publishes a prefix in the file name). */
  sha256Prefix: string;
  bytes?: number;
  numClasses: number;
}

export const RESNET_WEIGHTS = {
  resnet18: {
    IMAGENET1K_V1: { url: "https://download.pytorch.org/models/resnet18-f37072fd.pth", sha256Prefix: "f37072fd", bytes: 46830571, numClasses: 1000 },
  },
  resnet34: {
    IMAGENET1K_V1: { url: "https://download.pytorch.org/models/resnet34-b627a593.pth", sha256Prefix: "b627a593", numClasses: 1000 },
  },
} as const satisfies Record<string, Record<string, WeightsEntry>>;

/** A weights name, a local file path, an http(s) URL, or a URL with its expected sha256. */
export type WeightsSource = "IMAGENET1K_V1" | "DEFAULT" | string | { url: string; sha256?: string; sha256Prefix?: string };

export interface WeightsOptions {
  /** Where downloads are cached. Default: $KERNEL_LIB_WEIGHTS_DIR, else `data/cache/models` under the working directory. */
  cacheDir?: string;
  /**
   * A folder URL serving torchvision's files under their own names (a local mirror, for machines
   * that cannot reach download.pytorch.org). Default: $KERNEL_LIB_WEIGHTS_MIRROR. Only named weights
   * ("IMAGENET1K_V1") use it; the hash prefix and size checks still apply.
   */
  mirror?: string;
}

export const WEIGHTS_DIR_VARIABLE = "KERNEL_LIB_WEIGHTS_DIR";
export const WEIGHTS_MIRROR_VARIABLE = "KERNEL_LIB_WEIGHTS_MIRROR";

export function weightsCacheDir(options: WeightsOptions = {}): string {
  return path.resolve(options.cacheDir ?? process.env[WEIGHTS_DIR_VARIABLE] ?? path.join("data", "cache", "models"));
}

/** Reads a `.pth` (zip) or `.safetensors` file into a state dict in TF.js layouts. */
export function loadCheckpointFile(filePath: string): Record<string, tf.Tensor> {
  return fromTorchLayout(readCheckpointTensors(filePath));
}

/** The file's tensors in PyTorch layout (for inspection or conversion). */
export function readCheckpointTensors(filePath: string): Map<string, CheckpointTensor> {
  if (!fs.existsSync(filePath)) throw new Error(`loadCheckpointFile: no file at ${path.resolve(filePath)}`);
  const data = fs.readFileSync(filePath);
  const looksSafetensors = filePath.endsWith(".safetensors") || (data.length > 9 && data[8] === 0x7b && !(data[0] === 0x50 && data[1] === 0x4b));
  return looksSafetensors ? readSafetensors(data, filePath) : readPth(data, filePath);
}

/** Writes a state dict (TF.js layouts) as `.safetensors` in PyTorch's layouts, atomically. */
export function saveSafetensors(state: Record<string, tf.Tensor>, filePath: string): void {
  writeSafetensors(filePath, toTorchLayout(state));
}

/**
 * Resolves a weights source to a local file, downloading into the cache when needed. Before
 * touching the network it looks in the cache and in PyTorch's own hub cache
 * (~/.cache/torch/hub/checkpoints), so a file downloaded by PyTorch is reused.
 */
export async function resolveWeightsFile(architecture: keyof typeof RESNET_WEIGHTS, source: WeightsSource, options: WeightsOptions = {}): Promise<string> {
  let url: string;
  let sha256: string | undefined;
  let sha256Prefix: string | undefined;
  let bytes: number | undefined;
  if (source === "IMAGENET1K_V1" || source === "DEFAULT") {
    const entry: WeightsEntry = RESNET_WEIGHTS[architecture].IMAGENET1K_V1;
    ({ url, sha256Prefix, bytes } = entry);
    url = onMirror(url, options.mirror ?? process.env[WEIGHTS_MIRROR_VARIABLE]);
  } else if (typeof source === "string" && !/^https?:\/\//.test(source)) {
    if (!fs.existsSync(source)) {
      throw new Error(`${architecture}: weights file ${path.resolve(source)} does not exist (give a .pth/.safetensors path, a URL or "IMAGENET1K_V1")`);
    }
    return source;
  } else if (typeof source === "string") {
    url = source;
  } else {
    ({ url, sha256, sha256Prefix } = source);
  }
  const fileName = path.basename(new URL(url).pathname);
  sha256Prefix ??= /-([0-9a-f]{8,})\.[a-z]+$/.exec(fileName)?.[1];
  const cacheDir = weightsCacheDir(options);
  const destination = path.join(cacheDir, fileName);
  const torchHubCopy = path.join(os.homedir(), ".cache", "torch", "hub", "checkpoints", fileName);
  for (const candidate of [destination, torchHubCopy]) {
    if (fs.existsSync(candidate) && (await hashMatches(candidate, sha256, sha256Prefix))) return candidate;
  }
  try {
    // downloadUrl verifies size and hash (a prefix is accepted) on `<file>.part` before renaming it,
    // so a short or corrupt download never appears in the cache under the real name.
    await downloadUrl(url, destination, { sha256: sha256 ?? sha256Prefix, expectedBytes: bytes, retries: 1, retryDelayMs: 200 });
  } catch (error) {
    throw new Error(
      `${architecture}: could not download ${url} (${(error as Error).message.split("\n")[0]}).\n` +
        `  To use a copy obtained elsewhere, put it at ${destination}\n` +
        `  (or set ${WEIGHTS_DIR_VARIABLE} to the folder holding ${fileName}, or pass weights: "/path/to/${fileName}").`,
    );
  }
  return destination;
}

/** The same file name under the mirror's folder URL. */
function onMirror(url: string, mirror: string | undefined): string {
  if (mirror === undefined || mirror === "") return url;
  if (!/^https?:\/\//.test(mirror)) throw new Error(`weights mirror must be an http(s) folder URL, got ${JSON.stringify(mirror)} (option mirror / ${WEIGHTS_MIRROR_VARIABLE})`);
  return new URL(path.posix.basename(new URL(url).pathname), mirror.endsWith("/") ? mirror : `${mirror}/`).toString();
}

async function hashMatches(filePath: string, sha256: string | undefined, prefix: string | undefined): Promise<boolean> {
  if (sha256 === undefined && prefix === undefined) return true;
  const digest = await fileChecksum(filePath, "sha256");
  return sha256 !== undefined ? digest === sha256.toLowerCase() : digest.startsWith(prefix!.toLowerCase());
}
