import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Image } from "../../kernel-lib/data/image";
import { Compose, Normalize, ToTensor } from "../../kernel-lib/data/transforms";
import { predict, predictImage } from "../../kernel-lib/train/predict";
import type { TrainableModule } from "../../kernel-lib/train/trainable-module";
import { evaluate } from "../../kernel-lib/train/evaluate";
import { ClusterLoader, TinyClassifier } from "./fixtures";
import { runTorch, testNumbers, torchMissing } from "./torch-reference";

/** A "model" whose logits are its input pixels: 1x1 images with `classes` channels. */
function passThrough(): TrainableModule & { evalCalls: number } {
  return {
    evalCalls: 0,
    forward: (x: tf.Tensor) => tf.reshape(x, [x.shape[0], -1]),
    train: () => undefined,
    eval() {
      this.evalCalls++;
    },
    namedParameters: () => [],
    stateDict: () => ({}),
    loadStateDict: () => undefined,
  };
}

/** Batches of 1x1xC "images" holding the given logits. */
function logitBatches(logits: number[][], labels: number[], batchSize: number) {
  const classes = logits[0].length;
  return {
    length: Math.ceil(logits.length / batchSize),
    async *[Symbol.asyncIterator](): AsyncIterator<[tf.Tensor4D, tf.Tensor1D]> {
      for (let start = 0; start < logits.length; start += batchSize) {
        const rows = logits.slice(start, start + batchSize);
        yield [tf.tensor4d(rows.flat(), [rows.length, 1, 1, classes]), tf.tensor1d(labels.slice(start, start + batchSize), "int32")];
      }
    },
  };
}

test("predict: per-sample losses match PyTorch's cross_entropy(reduction='none'), softmax and argmax too", { skip: torchMissing() }, async () => {
  const values = testNumbers(7 * 4, 11).map((v) => 6 * v);
  const logits = Array.from({ length: 7 }, (_, row) => values.slice(row * 4, row * 4 + 4));
  const labels = [0, 3, 1, 2, 2, 0, 3];
  const model = passThrough();
  const result = await predict(model, logitBatches(logits, labels, 3));
  const reference = runTorch<{ losses: number[]; probabilities: number[][]; predictions: number[] }>(
    `
import json, sys, torch
import torch.nn.functional as F
d = json.load(sys.stdin)
x = torch.tensor(d["logits"], dtype=torch.float32); y = torch.tensor(d["labels"])
print(json.dumps({"losses": F.cross_entropy(x, y, reduction="none").tolist(),
                  "probabilities": F.softmax(x, dim=1).tolist(), "predictions": x.argmax(1).tolist()}))
`,
    { logits, labels },
  );
  assert.equal(model.evalCalls, 1, "predict must switch the model to eval mode");
  assert.deepEqual(result.targets, labels);
  assert.deepEqual(result.predictions, reference.predictions);
  result.losses.forEach((loss, i) => assert.ok(Math.abs(loss - reference.losses[i]) < 1e-5, `loss ${i}: ${loss} vs ${reference.losses[i]}`));
  result.probabilities.flat().forEach((p, i) => assert.ok(Math.abs(p - reference.probabilities.flat()[i]) < 1e-6));
  const correct = reference.predictions.filter((p, i) => p === labels[i]).length;
  assert.equal(result.accuracy, correct / labels.length);
});

test("predict agrees with evaluate's mean loss and accuracy on a trained-size model, and frees every batch", async () => {
  const model = new TinyClassifier(12, 8, 3);
  const before = tf.memory().numTensors;
  const result = await predict(model, new ClusterLoader(30, 7, 3, 5));
  assert.equal(tf.memory().numTensors, before);
  const summary = await evaluate(model, new ClusterLoader(30, 7, 3, 5));
  const meanLoss = result.losses.reduce((a, b) => a + b, 0) / result.losses.length;
  assert.ok(Math.abs(meanLoss - summary.loss) < 1e-5, `${meanLoss} vs ${summary.loss}`);
  assert.ok(Math.abs(result.accuracy - summary.accuracy) < 1e-6, `${result.accuracy} vs ${summary.accuracy}`); // evaluate averages float32 batch means
  assert.equal(result.predictions.length, 30);
  model.dispose();
});

test("predictImage applies the transform, ranks classes by probability, and checks the class names", () => {
  const model = passThrough();
  // One pixel whose 3 channels become the logits after ToTensor + Normalize: (v/255 - 0.5) / 0.5.
  const image = new Image(Uint8Array.from([255, 0, 128]), 1, 1, 3);
  const transform = new Compose([new ToTensor(), new Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])]);
  const ranked = predictImage(model, image, transform, ["ant", "bee", "wasp"]);
  assert.deepEqual(ranked.map((entry) => entry.className), ["ant", "wasp", "bee"]);
  const logits = [1, -1, 128 / 127.5 - 1];
  const total = logits.reduce((sum, v) => sum + Math.exp(v), 0);
  assert.ok(Math.abs(ranked[0].probability - Math.exp(1) / total) < 1e-6);
  assert.equal(predictImage(model, image, transform, ["ant", "bee", "wasp"], 1).length, 1);
  assert.throws(() => predictImage(model, image, transform, ["ant", "bee"]), /3 outputs but 2 class names/);
  assert.throws(() => predictImage(model, image, (x: Image) => x, ["ant", "bee", "wasp"]), /must end with ToTensor/);
});
