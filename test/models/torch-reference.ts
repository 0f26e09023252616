/**
 * Reference numbers from PyTorch on this machine: a Python script writes named float32 arrays to
 * `<dir>/reference.bin` with a JSON manifest (`reference.json`), in TF.js layouts already
 * (NHWC images, HWIO convs, [in, out] linears) so the tests compare without converting anything.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { runPython } from "../data/python-reference";

export { torchvisionMissing } from "../data/python-reference";

/** Python: random BatchNorm affine parameters and running statistics for `model`, so eval mode is exercised. */
export const RANDOMIZE_BATCH_NORM = String.raw`with torch.no_grad():
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.uniform_(0.5, 1.5); m.bias.uniform_(-0.2, 0.2)
            m.running_mean.uniform_(-0.2, 0.2); m.running_var.uniform_(0.5, 2.0)
            m.num_batches_tracked.fill_(7)`;

/** Python helpers prepended to every reference script. */
export const PYTHON_WRITER = String.raw`
import json, sys, os, struct, torch, torchvision
import torch.nn.functional as F
_refs = []
def tf_layout(t):
    t = t.detach()
    if t.dim() == 4: return t.permute(2, 3, 1, 0)
    if t.dim() == 2: return t.t()
    return t
def ref(name, t):
    _refs.append((name, t.detach().float().contiguous()))
def write_refs(out):
    manifest, blobs, offset = {}, [], 0
    for name, t in _refs:
        data = t.numpy().tobytes()
        manifest[name] = {"shape": list(t.shape), "offset": offset}
        blobs.append(data); offset += len(data)
    with open(os.path.join(out, "reference.bin"), "wb") as f:
        for b in blobs: f.write(b)
    with open(os.path.join(out, "reference.json"), "w") as f: json.dump(manifest, f)
`;

export class References {
  private constructor(private readonly manifest: Record<string, { shape: number[]; offset: number }>, private readonly data: Buffer) {}

  static read(dir: string): References {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "reference.json"), "utf8")) as Record<string, { shape: number[]; offset: number }>;
    return new References(manifest, fs.readFileSync(path.join(dir, "reference.bin")));
  }

  has(name: string): boolean {
    return name in this.manifest;
  }

  names(): string[] {
    return Object.keys(this.manifest);
  }

  values(name: string): Float32Array {
    const entry = this.manifest[name];
    if (entry === undefined) throw new Error(`no reference named ${name}`);
    const count = entry.shape.reduce((a, b) => a * b, 1);
    const copy = Buffer.from(this.data.subarray(entry.offset, entry.offset + count * 4));
    return new Float32Array(copy.buffer, copy.byteOffset, count);
  }

  shape(name: string): number[] {
    return this.manifest[name]!.shape;
  }

  tensor(name: string): tf.Tensor {
    return tf.tensor(this.values(name), this.shape(name));
  }
}

/** Runs `script` (after the writer helpers) with `options` as JSON in sys.argv[1]; returns its references. */
export function runReference(script: string, options: Record<string, unknown>, dir: string): References {
  fs.mkdirSync(dir, { recursive: true });
  runPython(PYTHON_WRITER + script, undefined, [JSON.stringify({ ...options, dir })]);
  return References.read(dir);
}

export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  return worst;
}

export function maxAbs(values: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(values[i]!));
  return worst;
}

export function temporaryDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `models-${label}-`));
}
