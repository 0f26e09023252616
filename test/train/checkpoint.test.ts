import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { Generator } from "../../kernel-lib/data/generator";
import { CHECKPOINT_FORMAT, loadCheckpoint, readCheckpointProgress, saveCheckpoint } from "../../kernel-lib/train/checkpoint";
import { SGD } from "../../kernel-lib/train/sgd";
import { Adam } from "../../kernel-lib/train/adam";
import { CosineAnnealingLR } from "../../kernel-lib/train/lr-scheduler";
import { TinyClassifier } from "./fixtures";
import { runTorch, torchMissing } from "./torch-reference";

tf.setBackend("cpu");

function trainedSetup(seed: number) {
  const model = new TinyClassifier(4, 3, 2, seed);
  const optimizer = new Adam(model.namedParameters(), { lr: 0.1 });
  const scheduler = new CosineAnnealingLR(optimizer, { tMax: 10 });
  const generator = new Generator(seed);
  return { model, optimizer, scheduler, generator };
}

function step(setup: ReturnType<typeof trainedSetup>): void {
  const grads = Object.fromEntries(setup.model.namedParameters().map(([name, v]) => [name, tf.randomNormal(v.shape, 0, 1, "float32", 7)]));
  setup.optimizer.step(grads);
  tf.dispose(Object.values(grads));
  setup.scheduler.step();
  setup.generator.random();
}

test("a checkpoint restores model, optimizer, scheduler and generator exactly", () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "kernel-lib-ckpt-"));
  const file = path.join(folder, "run.ckpt");
  const original = trainedSetup(1);
  step(original);
  step(original);
  saveCheckpoint(file, { model: original.model, optimizer: original.optimizer, scheduler: original.scheduler, generators: { data: original.generator } }, { epoch: 2, extra: { note: "hi" } });
  assert.deepEqual(fs.readdirSync(folder), ["run.ckpt"]);

  const restored = trainedSetup(2);
  const before = tf.memory().numTensors;
  const progress = loadCheckpoint(file, { model: restored.model, optimizer: restored.optimizer, scheduler: restored.scheduler, generators: { data: restored.generator } });
  assert.equal(tf.memory().numTensors, before + 2 * 4, "only the optimizer state was added: expAvg and expAvgSq per parameter (the step count is a number)");
  assert.deepEqual(progress, { epoch: 2, stepInEpoch: undefined, epochStartGenerators: undefined, extra: { note: "hi" } });
  // Continuing both must stay identical.
  step(original);
  step(restored);
  for (const [[name, a], [, b]] of original.model.namedParameters().map((entry, i) => [entry, restored.model.namedParameters()[i]] as const)) {
    assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()), name);
  }
  assert.deepEqual(restored.scheduler.getLastLr(), original.scheduler.getLastLr());
  assert.equal(restored.generator.random(), original.generator.random());
  for (const setup of [original, restored]) {
    setup.optimizer.dispose();
    setup.model.dispose();
  }
  fs.rmSync(folder, { recursive: true });
});

test("the file is safetensors: PyTorch reads the tensors from the documented layout", { skip: torchMissing() }, () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "kernel-lib-ckpt-"));
  const file = path.join(folder, "run.ckpt");
  const model = new TinyClassifier(4, 3, 2, 3);
  const optimizer = new SGD(model.namedParameters(), { lr: 0.1, momentum: 0.9 });
  const grads = Object.fromEntries(model.namedParameters().map(([name, v]) => [name, tf.onesLike(v)]));
  optimizer.step(grads);
  tf.dispose(Object.values(grads));
  saveCheckpoint(file, { model, optimizer }, { epoch: 5 });
  const read = runTorch<{ format: string; epoch: number; tensors: Record<string, number[]> }>(
    `
import json, struct, sys, torch
path = json.load(sys.stdin)
raw = open(path, "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + n]); meta = header.pop("__metadata__")
dtypes = {"F32": torch.float32, "I32": torch.int32}
out = {}
for name, entry in header.items():
    b, e = entry["data_offsets"]
    out[name] = torch.frombuffer(bytearray(raw[8 + n + b: 8 + n + e]), dtype=dtypes[entry["dtype"]]).reshape(entry["shape"]).reshape(-1).tolist()
print(json.dumps({"format": meta["format"], "epoch": json.loads(meta["state"])["epoch"], "tensors": out}))`,
    file,
  );
  assert.equal(read.format, CHECKPOINT_FORMAT);
  assert.equal(read.epoch, 5);
  for (const [name, variable] of model.namedParameters()) {
    assert.deepEqual(read.tensors[`model.${name}`], Array.from(variable.dataSync()), name);
    assert.deepEqual(read.tensors[`optimizer.${name}.momentumBuffer`], new Array(variable.size).fill(1), `${name} momentum`);
  }
  optimizer.dispose();
  model.dispose();
  fs.rmSync(folder, { recursive: true });
});

test("damaged or foreign files get a clear error, and a failed write leaves no temporary file", () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "kernel-lib-ckpt-"));
  const model = new TinyClassifier(4, 3, 2, 3);
  const file = path.join(folder, "run.ckpt");
  saveCheckpoint(file, { model }, { epoch: 1 });
  const bytes = fs.readFileSync(file);
  fs.writeFileSync(path.join(folder, "short.ckpt"), bytes.subarray(0, bytes.length - 10));
  assert.throws(() => loadCheckpoint(path.join(folder, "short.ckpt"), { model }), /is truncated/);
  fs.writeFileSync(path.join(folder, "other.safetensors"), Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from("{}")]));
  assert.throws(() => readCheckpointProgress(path.join(folder, "other.safetensors")), /not a kernel-lib checkpoint .* format is missing/);
  assert.throws(() => loadCheckpoint(path.join(folder, "missing.ckpt"), { model }), /does not exist/);
  const optimizer = new SGD(model.namedParameters(), { lr: 0.1 });
  assert.throws(() => loadCheckpoint(file, { model, optimizer }), /holds no optimizer state/);
  fs.writeFileSync(path.join(folder, "blocker"), "a file where a folder should be");
  assert.throws(() => saveCheckpoint(path.join(folder, "blocker", "x.ckpt"), { model }, { epoch: 1 }));
  assert.deepEqual(fs.readdirSync(folder).sort(), ["blocker", "other.safetensors", "run.ckpt", "short.ckpt"]);
  model.dispose();
  fs.rmSync(folder, { recursive: true });
});
