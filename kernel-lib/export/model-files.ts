import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";

/**
 * Writes and reads a TF.js LayersModel folder (model.json + group1-shardKofN.bin) the way
 * `tf.loadLayersModel("…/model.json")` expects it over http(s) or from a bundle. The folder is
 * written complete under a temporary name and then swapped in by rename, so a reader or a crash
 * never sees a model.json next to shards of another export (or half-written ones), and shards of an
 * earlier, larger export do not linger.
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
  refuseForeignFiles(directory);
  const staging = `${directory}.partial-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  const data = weightBytesOf(artifacts.weightData);
  const shardCount = Math.max(1, Math.ceil(data.byteLength / shardBytes));
  const shards: string[] = [];
  for (let index = 0; index < shardCount; index++) {
    const name = `group1-shard${index + 1}of${shardCount}.bin`;
    fs.writeFileSync(path.join(staging, name), data.subarray(index * shardBytes, Math.min(data.byteLength, (index + 1) * shardBytes)));
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
  fs.writeFileSync(path.join(staging, MODEL_JSON), jsonBytes);
  const previous = `${directory}.previous-${process.pid}`;
  if (fs.existsSync(directory)) fs.renameSync(directory, previous);
  fs.renameSync(staging, directory);
  fs.rmSync(previous, { recursive: true, force: true });
  return { directory, modelJson: MODEL_JSON, shards, weightBytes: data.byteLength, totalBytes: data.byteLength + jsonBytes.byteLength };
}

/** The folder is replaced as a whole, so it must hold nothing but an earlier export. */
function refuseForeignFiles(directory: string): void {
  if (!fs.existsSync(directory)) return;
  if (!fs.statSync(directory).isDirectory()) {
    throw new Error(`writeLayersModelFiles: ${directory} is a file; pass a folder path for model.json and its shards.`);
  }
  const foreign = fs.readdirSync(directory).filter((name) => name !== MODEL_JSON && !/^group\d+-shard\d+of\d+\.bin$/.test(name));
  if (foreign.length > 0) {
    throw new Error(
      `writeLayersModelFiles: ${directory} holds other files (${foreign.slice(0, 3).join(", ")}${foreign.length > 3 ? ", ..." : ""}); ` +
        "the export replaces its folder as a whole, so pass an empty or model-only folder such as out/tfjs.",
    );
  }
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
