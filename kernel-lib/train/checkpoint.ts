/**
 * Training checkpoints: everything needed to continue a run exactly — model state dict, optimizer state,
 * scheduler state, epoch (and step inside it), random generator states, history — in one file.
 *
 * Format (safetensors-compatible, so `safetensors.torch.load_file` reads the tensors):
 *   bytes 0..8   header length N, unsigned 64-bit little-endian
 *   bytes 8..8+N JSON header, space-padded to a multiple of 8:
 *                { "<tensor name>": { "dtype": "F32" | "I32" | "U8", "shape": [...], "data_offsets": [begin, end] },
 *                  "__metadata__": { "format": "kernel-lib.checkpoint/1", "state": "<JSON of the non-tensor state>" } }
 *   then the raw little-endian tensor data; offsets count from the end of the header.
 * Tensor names: `model.<state dict key>` and `optimizer.<parameter name>.<state key>` (momentumBuffer,
 * expAvg, ...). The file is written to a temporary name and renamed, so a crash never leaves half a file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { GeneratorState } from "../data/generator";
import type { OptimizerStateDict, ParameterState } from "./optimizer";
import type { Scheduler, SchedulerStateDict } from "./lr-scheduler/lr-scheduler";
import { stateDictEntries, type TrainableModule } from "./trainable-module";

export const CHECKPOINT_FORMAT = "kernel-lib.checkpoint/1";

/** The optimizer as checkpoints see it. */
export interface CheckpointableOptimizer {
  stateDict(): OptimizerStateDict;
  loadStateDict(state: OptimizerStateDict): void;
}

/** A random generator whose state is saved (kernel-lib/data's Generator, a DataLoader's `generator`). */
export interface CheckpointableGenerator {
  getState(): GeneratorState;
  setState(state: GeneratorState): unknown;
}

export interface TrainingState {
  model: TrainableModule;
  optimizer?: CheckpointableOptimizer;
  scheduler?: Scheduler;
  generators?: Record<string, CheckpointableGenerator>;
}

/** Where the run stands, saved next to the tensors. */
export interface CheckpointProgress {
  /** Epochs fully finished. */
  epoch: number;
  /** Optimizer steps already taken inside the next (unfinished) epoch; 0 at an epoch boundary. */
  stepInEpoch?: number;
  /** Generator states at the start of the unfinished epoch, so its batches can be replayed. */
  epochStartGenerators?: Record<string, GeneratorState>;
  /** JSON-serialisable extras (history, best metric, ...). */
  extra?: Record<string, unknown>;
}

interface SavedMetadata extends CheckpointProgress {
  optimizer?: { paramGroups: OptimizerStateDict["paramGroups"]; numbers: Record<string, Record<string, number>>; tensors: Record<string, string[]> };
  scheduler?: SchedulerStateDict;
  generators?: Record<string, GeneratorState>;
  savedAt: string;
}

interface RawTensor {
  dtype: "F32" | "I32" | "U8";
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

export function saveCheckpoint(file: string, state: TrainingState, progress: CheckpointProgress): void {
  const tensors: Record<string, RawTensor> = {};
  for (const [key, tensor] of stateDictEntries(state.model.stateDict())) tensors[`model.${key}`] = rawTensor(tensor);
  const metadata: SavedMetadata = { ...progress, savedAt: new Date().toISOString() };
  if (state.optimizer) {
    const saved = state.optimizer.stateDict();
    const numbers: Record<string, Record<string, number>> = {};
    const tensorKeys: Record<string, string[]> = {};
    for (const [parameter, entry] of Object.entries(saved.state)) {
      numbers[parameter] = {};
      tensorKeys[parameter] = [];
      for (const [key, value] of Object.entries(entry)) {
        if (typeof value === "number") numbers[parameter][key] = value;
        else {
          tensors[`optimizer.${parameter}.${key}`] = rawTensor(value);
          tensorKeys[parameter].push(key);
        }
      }
    }
    metadata.optimizer = { paramGroups: saved.paramGroups, numbers, tensors: tensorKeys };
  }
  if (state.scheduler) metadata.scheduler = state.scheduler.stateDict();
  if (state.generators) {
    metadata.generators = Object.fromEntries(Object.entries(state.generators).map(([name, generator]) => [name, generator.getState()]));
  }
  writeAtomically(file, encode(tensors, metadata));
}

/**
 * Restores what `saveCheckpoint` wrote into the given objects (model, optimizer, scheduler, generators)
 * and returns the progress (epoch, step, extras) to continue from.
 */
export function loadCheckpoint(file: string, state: TrainingState): CheckpointProgress {
  const { tensors, metadata } = decode(file);
  try {
    const modelState: Record<string, tf.Tensor> = {};
    for (const [name, tensor] of Object.entries(tensors)) if (name.startsWith("model.")) modelState[name.slice("model.".length)] = tensor;
    state.model.loadStateDict(modelState, { strict: true });
    if (state.optimizer) {
      if (!metadata.optimizer) throw new Error(`loadCheckpoint: ${file} holds no optimizer state; load it without an optimizer`);
      const restored: Record<string, ParameterState> = {};
      for (const [parameter, numbers] of Object.entries(metadata.optimizer.numbers)) {
        restored[parameter] = { ...numbers };
        for (const key of metadata.optimizer.tensors[parameter] ?? []) restored[parameter][key] = tensors[`optimizer.${parameter}.${key}`];
      }
      state.optimizer.loadStateDict({ state: restored, paramGroups: metadata.optimizer.paramGroups });
    }
    if (state.scheduler) {
      if (!metadata.scheduler) throw new Error(`loadCheckpoint: ${file} holds no scheduler state; load it without a scheduler`);
      state.scheduler.loadStateDict(metadata.scheduler);
    }
    for (const [name, generator] of Object.entries(state.generators ?? {})) {
      const saved = metadata.generators?.[name];
      if (saved === undefined) throw new Error(`loadCheckpoint: ${file} has no state for generator "${name}"`);
      generator.setState(saved);
    }
  } finally {
    tf.dispose(Object.values(tensors));
  }
  const { epoch, stepInEpoch, epochStartGenerators, extra } = metadata;
  return { epoch, stepInEpoch, epochStartGenerators, extra };
}

/** Reads only the progress part (epoch, extras) without touching any model. */
export function readCheckpointProgress(file: string): CheckpointProgress {
  const { metadata } = readHeader(fs.readFileSync(file), file);
  return { epoch: metadata.epoch, stepInEpoch: metadata.stepInEpoch, epochStartGenerators: metadata.epochStartGenerators, extra: metadata.extra };
}

function rawTensor(tensor: tf.Tensor): RawTensor {
  const shape = [...tensor.shape];
  if (tensor.dtype === "float32") return { dtype: "F32", shape, data: tensor.dataSync() as Float32Array };
  if (tensor.dtype === "int32") return { dtype: "I32", shape, data: tensor.dataSync() as Int32Array };
  if (tensor.dtype === "bool") return { dtype: "U8", shape, data: Uint8Array.from(tensor.dataSync()) };
  throw new Error(`saveCheckpoint: cannot store a ${tensor.dtype} tensor`);
}

function encode(tensors: Record<string, RawTensor>, metadata: SavedMetadata): Buffer {
  const header: Record<string, unknown> = { __metadata__: { format: CHECKPOINT_FORMAT, state: JSON.stringify(metadata) } };
  let offset = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    header[name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + tensor.data.byteLength] };
    offset += tensor.data.byteLength;
  }
  let headerText = JSON.stringify(header);
  headerText += " ".repeat((8 - (Buffer.byteLength(headerText) % 8)) % 8);
  const headerBytes = Buffer.from(headerText, "utf8");
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(headerBytes.length));
  const parts: Uint8Array[] = [length, headerBytes];
  for (const tensor of Object.values(tensors)) parts.push(Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
  return Buffer.concat(parts);
}

function readHeader(bytes: Buffer, file: string): { metadata: SavedMetadata; header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>; dataStart: number } {
  const notACheckpoint = `loadCheckpoint: ${file} is not a kernel-lib checkpoint (written by saveCheckpoint/fit)`;
  if (bytes.length < 8) throw new Error(`${notACheckpoint}: file too short`);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  if (headerLength > bytes.length - 8) throw new Error(`${notACheckpoint}: header length ${headerLength} exceeds the file (truncated?)`);
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(bytes.subarray(8, 8 + headerLength).toString("utf8")) as Record<string, unknown>;
  } catch {
    throw new Error(`${notACheckpoint}: unreadable header`);
  }
  const meta = parsed.__metadata__ as { format?: string; state?: string } | undefined;
  if (meta?.format !== CHECKPOINT_FORMAT || typeof meta.state !== "string") {
    throw new Error(`${notACheckpoint}: format is ${meta?.format ?? "missing"}, expected ${CHECKPOINT_FORMAT}`);
  }
  delete parsed.__metadata__;
  return {
    metadata: JSON.parse(meta.state) as SavedMetadata,
    header: parsed as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>,
    dataStart: 8 + headerLength,
  };
}

function decode(file: string): { tensors: Record<string, tf.Tensor>; metadata: SavedMetadata } {
  if (!fs.existsSync(file)) throw new Error(`loadCheckpoint: ${file} does not exist; pass the path fit/saveCheckpoint wrote`);
  const bytes = fs.readFileSync(file);
  const { metadata, header, dataStart } = readHeader(bytes, file);
  const tensors: Record<string, tf.Tensor> = {};
  for (const [name, entry] of Object.entries(header)) {
    const [begin, end] = entry.data_offsets;
    if (dataStart + end > bytes.length) throw new Error(`loadCheckpoint: ${file} is truncated (tensor ${name})`);
    // Copy so the typed array is aligned whatever the Buffer's offset inside Node's pool.
    const copy = new Uint8Array(bytes.subarray(dataStart + begin, dataStart + end)).buffer;
    if (entry.dtype === "F32") tensors[name] = tf.tensor(new Float32Array(copy), entry.shape, "float32");
    else if (entry.dtype === "I32") tensors[name] = tf.tensor(new Int32Array(copy), entry.shape, "int32");
    else if (entry.dtype === "U8") tensors[name] = tf.tensor(new Uint8Array(copy), entry.shape, "bool");
    else throw new Error(`loadCheckpoint: ${file} has tensor ${name} of unsupported dtype ${entry.dtype}`);
  }
  return { tensors, metadata };
}

function writeAtomically(file: string, bytes: Buffer): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const temporary = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    fs.writeFileSync(temporary, bytes);
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}
