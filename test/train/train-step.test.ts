import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { crossEntropy } from "../../kernel-lib/train/cross-entropy";
import { accuracy } from "../../kernel-lib/train/accuracy";
import { clipGradNorm } from "../../kernel-lib/train/clip-grad-norm";
import { trainStep } from "../../kernel-lib/train/train-step";
import { SGD } from "../../kernel-lib/train/sgd";
import { TinyClassifier } from "./fixtures";
import { runTorch, testNumbers, torchMissing } from "./torch-reference";

tf.setBackend("cpu");

const BATCH = 6;
const CLASSES = 5;
const logitValues = testNumbers(BATCH * CLASSES, 11).map((v) => 3 * v);
const labelValues = [0, 4, 2, 2, 1, 3];

test("crossEntropy (with and without label smoothing, mean and sum) equals torch.nn.functional.cross_entropy", { skip: torchMissing() }, () => {
  const expected = runTorch<number[]>(
    `
import json, sys, torch, torch.nn.functional as F
d = json.load(sys.stdin)
x = torch.tensor(d["logits"]).reshape(${BATCH}, ${CLASSES}); y = torch.tensor(d["labels"])
print(json.dumps([F.cross_entropy(x, y).item(), F.cross_entropy(x, y, label_smoothing=0.1).item(),
                  F.cross_entropy(x, y, label_smoothing=0.3, reduction="sum").item()]))`,
    { logits: logitValues, labels: labelValues },
  );
  const logits = tf.tensor2d(logitValues, [BATCH, CLASSES]);
  const labels = tf.tensor1d(labelValues, "int32");
  const ours = [
    crossEntropy(logits, labels),
    crossEntropy(logits, labels, { labelSmoothing: 0.1 }),
    crossEntropy(logits, labels, { labelSmoothing: 0.3, reduction: "sum" }),
  ].map((scalar) => {
    const value = scalar.dataSync()[0];
    scalar.dispose();
    return value;
  });
  ours.forEach((value, i) => assert.ok(Math.abs(value - expected[i]) < 1e-5 * Math.max(1, Math.abs(expected[i])), `case ${i}: ${value} vs torch ${expected[i]}`));
  assert.throws(() => tf.tidy(() => crossEntropy(logits, tf.tensor1d([1, 2], "int32"))), /labels must be \[batch\] = \[6\]/);
  tf.dispose([logits, labels]);
});

test("accuracy and top-k accuracy equal a direct count", () => {
  const logits = tf.tensor2d(logitValues, [BATCH, CLASSES]);
  const labels = tf.tensor1d(labelValues, "int32");
  for (const k of [1, 2, 3]) {
    let hits = 0;
    for (let row = 0; row < BATCH; row++) {
      const scores = logitValues.slice(row * CLASSES, (row + 1) * CLASSES);
      const better = scores.filter((s) => s > scores[labelValues[row]]).length;
      if (better < k) hits++;
    }
    const value = accuracy(logits, labels, k);
    assert.ok(Math.abs(value.dataSync()[0] - hits / BATCH) < 1e-7, `top-${k}`);
    value.dispose();
  }
  tf.dispose([logits, labels]);
});

test("clipGradNorm equals torch.nn.utils.clip_grad_norm_ (L2, L1, inf; clipping and not)", { skip: torchMissing() }, () => {
  const a = testNumbers(12, 3);
  const b = testNumbers(5, 4);
  const cases = [
    [0.5, 2],
    [100, 2],
    [0.7, 1],
    [0.3, Infinity],
  ];
  const expected = runTorch<Array<{ total: number; a: number[]; b: number[] }>>(
    `
import json, sys, torch
d = json.load(sys.stdin); out = []
for max_norm, norm_type in d["cases"]:
    pa = torch.zeros(12, requires_grad=True); pb = torch.zeros(5, requires_grad=True)
    pa.grad = torch.tensor(d["a"]); pb.grad = torch.tensor(d["b"])
    total = torch.nn.utils.clip_grad_norm_([pa, pb], max_norm, norm_type=float(norm_type) if norm_type is not None else float("inf"))
    out.append({"total": total.item(), "a": pa.grad.tolist(), "b": pb.grad.tolist()})
print(json.dumps(out))`,
    { a, b, cases: cases.map(([m, n]) => [m, Number.isFinite(n) ? n : null]) },
  );
  cases.forEach(([maxNorm, normType], index) => {
    const grads = { a: tf.tensor1d(a), b: tf.tensor1d(b) };
    const result = clipGradNorm(grads, maxNorm, normType);
    assert.ok(Math.abs(result.totalNorm - expected[index].total) < 1e-5, `norm case ${index}`);
    for (const name of ["a", "b"] as const) {
      Array.from(result.grads[name].dataSync()).forEach((v, i) => assert.ok(Math.abs(v - expected[index][name][i]) < 1e-6, `case ${index} ${name}[${i}]`));
    }
    tf.dispose([...Object.values(grads), ...Object.values(result.grads)]);
  });
});

test("trainStep (forward, cross-entropy, backward, clip, SGD) updates weights like the same PyTorch step", { skip: torchMissing() }, () => {
  const model = new TinyClassifier(4, 3, CLASSES, 5);
  const inputs = testNumbers(BATCH * 4, 21);
  const state = Object.fromEntries(model.namedParameters().map(([name, v]) => [name, { shape: v.shape, values: Array.from(v.dataSync()) }]));
  const expected = runTorch<Record<string, number[]>>(
    `
import json, sys, torch
d = json.load(sys.stdin)
p = {n: torch.tensor(v["values"]).reshape(v["shape"]).requires_grad_() for n, v in d["state"].items()}
x = torch.tensor(d["x"]).reshape(${BATCH}, 4); y = torch.tensor(d["y"])
# Our Linear stores weight as [in, out]: x @ W + b.
h = torch.relu(x @ p["fc1.weight"] + p["fc1.bias"])
loss = torch.nn.functional.cross_entropy(h @ p["fc2.weight"] + p["fc2.bias"], y, label_smoothing=0.1)
opt = torch.optim.SGD(list(p.values()), lr=0.5, momentum=0.9, weight_decay=1e-3)
loss.backward()
torch.nn.utils.clip_grad_norm_(list(p.values()), 0.2)
opt.step()
print(json.dumps({n: t.detach().reshape(-1).tolist() for n, t in p.items()} | {"loss": [loss.item()]}))`,
    { state, x: inputs, y: labelValues },
  );
  const optimizer = new SGD(model.namedParameters(), { lr: 0.5, momentum: 0.9, weightDecay: 1e-3 });
  const images = tf.tensor4d(inputs, [BATCH, 1, 1, 4]);
  const labels = tf.tensor1d(labelValues, "int32");
  const before = tf.memory().numTensors;
  const result = trainStep(model, optimizer, images, labels, { clipGradNorm: 0.2, loss: (l, y) => crossEntropy(l, y, { labelSmoothing: 0.1 }) });
  assert.equal(tf.memory().numTensors, before + model.namedParameters().length, "only the optimizer's momentum buffers remain");
  assert.ok(Math.abs(result.loss - expected.loss[0]) < 1e-5);
  for (const [name, variable] of model.namedParameters()) {
    Array.from(variable.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - expected[name][i]) < 1e-5, `${name}[${i}]: ${v} vs torch ${expected[name][i]}`));
  }
  tf.dispose([images, labels]);
  optimizer.dispose();
  model.dispose();
});
