/**
 * Shared by the torch engine tests: loads backend "torch" or decides, loudly, that this machine cannot.
 * A missing addon is a FAILURE wherever libtorch is installed (CI installs libtorch-dev); only a machine
 * without libtorch at all may skip, and never under CI=true.
 */
import * as fs from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { loadTorchBackend } from "../../kernel-lib/engine/torch";

function libtorchInstalled(): boolean {
  return fs.existsSync("/usr/include/torch/csrc/api/include/torch/version.h") || fs.existsSync("/usr/lib/x86_64-linux-gnu/libtorch.so");
}

/** true: backend "torch" is registered. false: skip (already explained on stderr). Throws when it must fail. */
export function torchBackendOrSkip(): boolean {
  const status = loadTorchBackend();
  if (status.available) return true;
  const explanation = `backend torch is unavailable: ${status.reason}\nfix: ${status.fix}`;
  if (libtorchInstalled() || process.env.CI === "true") {
    throw new Error(`${explanation}\n(libtorch is installed or CI=true, so this is a failure, not a skip: run node kernel-lib/engine/torch/build.js)`);
  }
  console.error(`\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n` +
    `!!! SKIPPING torch engine tests: no libtorch on this machine.\n!!! ${explanation.replace(/\n/g, "\n!!! ")}\n` +
    `!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n`);
  return false;
}

/** Deterministic uniform numbers in [low, high) (mulberry32), so failures reproduce. */
export function seededValues(count: number, seed: number, low = -1, high = 1): Float32Array {
  let state = seed >>> 0;
  const values = new Float32Array(count);
  for (let index = 0; index < count; index++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    values[index] = low + (high - low) * (((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296);
  }
  return values;
}

export interface InputSpec {
  shape: number[];
  dtype?: "float32" | "int32" | "bool";
  low?: number;
  high?: number;
}

export interface Computed {
  shape: number[];
  dtype: tf.DataType;
  values: number[];
}

/** Builds the inputs on `backendName` from specs (same numbers on every backend) and runs `compute`. */
export async function runOn(backendName: string, specs: InputSpec[], seed: number, compute: (...inputs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Promise<Computed[]> {
  await tf.setBackend(backendName);
  const inputs = specs.map((spec, index) => {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const raw = seededValues(count, seed * 101 + index, spec.low ?? -1, spec.high ?? 1);
    if (spec.dtype === "int32") return tf.tensor(Int32Array.from(raw, Math.floor), spec.shape, "int32");
    if (spec.dtype === "bool") return tf.tensor(Uint8Array.from(raw, (value) => (value > 0 ? 1 : 0)), spec.shape, "bool");
    return tf.tensor(raw, spec.shape, "float32");
  });
  const outputs = compute(...inputs);
  const list = Array.isArray(outputs) ? outputs : [outputs];
  const computed = list.map((output) => ({ shape: output.shape, dtype: output.dtype, values: Array.from(output.dataSync() as ArrayLike<number>) }));
  tf.dispose([...inputs, ...list]);
  return computed;
}

/** Largest |a-b| / (1 + |b|) over all elements, after checking shapes and dtypes agree. */
export function compareComputed(actual: Computed[], expected: Computed[], label: string): number {
  if (actual.length !== expected.length) throw new Error(`${label}: ${actual.length} outputs, expected ${expected.length}`);
  let worst = 0;
  actual.forEach((output, index) => {
    const reference = expected[index];
    if (JSON.stringify(output.shape) !== JSON.stringify(reference.shape)) throw new Error(`${label}[${index}]: shape ${output.shape} vs cpu ${reference.shape}`);
    if (output.dtype !== reference.dtype) throw new Error(`${label}[${index}]: dtype ${output.dtype} vs cpu ${reference.dtype}`);
    output.values.forEach((value, at) => {
      const want = reference.values[at];
      if (Number.isNaN(want) !== Number.isNaN(value)) throw new Error(`${label}[${index}] element ${at}: ${value} vs cpu ${want}`);
      if (Number.isNaN(want)) return;
      worst = Math.max(worst, Math.abs(value - want) / (1 + Math.abs(want)));
    });
  });
  return worst;
}
