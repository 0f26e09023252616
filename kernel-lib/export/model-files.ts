import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";

/**
 * Writes and reads a TF.js LayersModel folder (model.json + group1-shardKofN.bin) the way
 * `tf.loadLayersModel("…/model.json")` expects it over http(s) or from a bundle. Every file is
 * written to a temporary name and renamed, model.json last, so a crash never leaves a model.json
 * that points at missing or half-written shards.
 */
export const MODEL_JSON = "model.json";
/** TF.js's own default shard size: small enough for browser caches. */
export const DEFAULT_SHARD_BYTES = 4 * 1024 * 1024;

export interface WrittenModelFiles {
  directory: string;
  modelJson: string;
  shards: string[];
  /** Bytes of all weight shards (what quantization shrinks). */
  weightBytes: number;
  /** Bytes of model.json plus shards. */
  totalBytes: number;
}

export function writeLayersModelFiles(
  directory: string,
  artifacts: tf.io.ModelArtifacts,
  shardBytes: number = DEFAULT_SHARD_BYTES,
): WrittenModelFiles {
  if (!artifacts.modelTopology || !artifacts.weightSpecs || !artifacts.weightData) {
    throw new Error("writeLayersModelFiles: artifacts need modelTopology, weightSpecs and weightData (from graphToLayersArtifacts).");
  }
  if (!(shardBytes > 0)) throw new Error(`writeLayersModelFiles: shardBytes must be positive, got ${shardBytes}.`);
  fs.mkdirSync(directory, { recursive: true });
  const data = weightBytesOf(artifacts.weightData);
  const shardCount = Math.max(1, Math.ceil(data.byteLength / shardBytes));
  const shards: string[] = [];
  for (let index = 0; index < shardCount; index++) {
    const name = `group1-shard${index + 1}of${shardCount}.bin`;
    writeAtomically(path.join(directory, name), data.subarray(index * shardBytes, Math.min(data.byteLength, (index + 1) * shardBytes)));
    shards.push(name);
  }
  const modelJson = {
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: shards, weights: artifacts.weightSpecs }],
  };
  const jsonBytes = Buffer.from(JSON.stringify(modelJson));
  writeAtomically(path.join(directory, MODEL_JSON), jsonBytes);
  return { directory, modelJson: MODEL_JSON, shards, weightBytes: data.byteLength, totalBytes: data.byteLength + jsonBytes.byteLength };
}

/** An IOHandler that loads a LayersModel folder from disk (tfjs has no file:// loader without tfjs-node). */
export function layersModelFromDirectory(directory: string): tf.io.IOHandler {
  return {
    load: async () => {
      const jsonPath = path.join(directory, MODEL_JSON);
      if (!fs.existsSync(jsonPath)) {
        throw new Error(`layersModelFromDirectory: ${jsonPath} does not exist; export the model there first (exportLayersModel).`);
      }
      const modelJson = JSON.parse(fs.readFileSync(jsonPath, "utf8")) as tf.io.ModelJSON;
      const weightSpecs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Buffer[] = [];
      for (const group of modelJson.weightsManifest) {
        weightSpecs.push(...group.weights);
        for (const shard of group.paths) buffers.push(fs.readFileSync(path.join(directory, shard)));
      }
      const joined = Buffer.concat(buffers);
      return {
        modelTopology: modelJson.modelTopology,
        format: modelJson.format,
        generatedBy: modelJson.generatedBy,
        convertedBy: modelJson.convertedBy,
        weightSpecs,
        weightData: joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength),
      };
    },
  };
}

let fileRouterRegistered = false;

/**
 * Lets `tf.loadLayersModel("file:///abs/path/model.json")` work in Node without tfjs-node (which
 * registers its own file:// handler; then nothing is added, as TF.js refuses two handlers for a URL).
 */
export function registerFileUrlLoader(): void {
  if (fileRouterRegistered || tf.io.getLoadHandlers("file:///probe/model.json").length > 0) return;
  // TF.js routers answer null for URLs they do not handle, although IORouter's type omits it.
  const router = (url: string | string[]): tf.io.IOHandler | null => {
    if (typeof url !== "string" || !url.startsWith("file://")) return null;
    const file = fileURLToPath(url);
    if (path.basename(file) !== MODEL_JSON) return null;
    return layersModelFromDirectory(path.dirname(file));
  };
  tf.io.registerLoadRouter(router as Parameters<typeof tf.io.registerLoadRouter>[0]);
  fileRouterRegistered = true;
}

export function writeAtomically(file: string, bytes: Uint8Array): void {
  const temporary = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(temporary, bytes);
  fs.renameSync(temporary, file);
}

function weightBytesOf(weightData: tf.io.WeightData): Uint8Array {
  if (weightData instanceof ArrayBuffer) return new Uint8Array(weightData);
  return Buffer.concat(weightData.map((buffer) => new Uint8Array(buffer)));
}
