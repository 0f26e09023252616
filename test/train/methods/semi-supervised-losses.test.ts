import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { consistencyLoss, crossEntropyMean, detach, perSampleCrossEntropy } from "../../../kernel-lib/train/methods/semi-supervised-losses";
import { pseudoLabels } from "../../../kernel-lib/train/methods/fixmatch";
import { runPython, torchvisionMissing } from "../../data/python-reference";

tf.setBackend("cpu");

const studentLogits = [[2.0, -1.0, 0.5], [0.1, 0.2, 0.3], [-3.0, 4.0, 1.0], [1.5, 1.5, -2.0]];
const teacherLogits = [[1.0, 0.0, 0.0], [0.3, -0.2, 0.9], [-1.0, 2.5, 2.0], [0.0, 3.0, -1.0]];
const labels = [0, 2, 1, 1];

test("losses match torch: cross_entropy, softmax MSE, KL(teacher || student)", { skip: torchvisionMissing() }, () => {
  const reference = JSON.parse(
    runPython(
      String.raw`
import json, sys, torch
import torch.nn.functional as F
r = json.load(sys.stdin)
s = torch.tensor(r["s"], dtype=torch.float64); t = torch.tensor(r["t"], dtype=torch.float64); y = torch.tensor(r["y"])
print(json.dumps({
  "perSample": F.cross_entropy(s, y, reduction="none").tolist(),
  "mean": F.cross_entropy(s, y).item(),
  # the authors' softmax_mse_loss (sum) / num_classes / batch
  "mse": (F.mse_loss(F.softmax(s, 1), F.softmax(t, 1), reduction="sum") / s.shape[1] / s.shape[0]).item(),
  "kl": F.kl_div(F.log_softmax(s, 1), F.softmax(t, 1), reduction="batchmean").item(),
}))`,
      Buffer.from(JSON.stringify({ s: studentLogits, t: teacherLogits, y: labels })),
    ).toString(),
  ) as { perSample: number[]; mean: number; mse: number; kl: number };
  tf.tidy(() => {
    const s = tf.tensor2d(studentLogits);
    const t = tf.tensor2d(teacherLogits);
    const y = tf.tensor1d(labels, "int32");
    const perSample = perSampleCrossEntropy(s, y).dataSync();
    reference.perSample.forEach((value, i) => assert.ok(Math.abs(perSample[i] - value) < 1e-5, `row ${i}`));
    assert.ok(Math.abs(crossEntropyMean(s, y).dataSync()[0] - reference.mean) < 1e-5);
    assert.ok(Math.abs(consistencyLoss(s, t, "mse").dataSync()[0] - reference.mse) < 1e-6);
    assert.ok(Math.abs(consistencyLoss(s, t, "kl").dataSync()[0] - reference.kl) < 1e-5);
  });
});

test("consistencyLoss sends no gradient into the teacher's logits; detach blocks gradients", () => {
  tf.tidy(() => {
    const s = tf.tensor2d(studentLogits);
    const t = tf.tensor2d(teacherLogits);
    const [studentGrad, teacherGrad] = tf.grads((a: tf.Tensor, b: tf.Tensor) => consistencyLoss(a as tf.Tensor2D, b as tf.Tensor2D))([s, t]);
    assert.ok(tf.max(tf.abs(studentGrad)).dataSync()[0] > 1e-4, "the student must get a gradient");
    assert.equal(tf.max(tf.abs(teacherGrad)).dataSync()[0], 0);
    const throughDetach = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(detach(x), x)))(s);
    // d/dx sum(stop(x)·x) = stop(x): only the non-detached factor contributes
    assert.deepEqual([...throughDetach.dataSync()], [...s.dataSync()]);
  });
});

test("pseudoLabels: argmax labels, mask 1 exactly where max softmax >= threshold", () => {
  tf.tidy(() => {
    // probabilities chosen directly: logits = log(p) gives softmax = p
    const probabilities = [[0.96, 0.03, 0.01], [0.94, 0.05, 0.01], [0.02, 0.97, 0.01], [0.3, 0.3, 0.4], [0.0001, 0.0009, 0.999]];
    const logits = tf.log(tf.tensor2d(probabilities)) as tf.Tensor2D;
    const { labels: got, mask } = pseudoLabels(logits, 0.95);
    assert.deepEqual([...got.dataSync()], [0, 0, 1, 2, 2]);
    assert.deepEqual([...mask.dataSync()], [1, 0, 1, 0, 1]);
    assert.deepEqual([...pseudoLabels(logits, 0.35).mask.dataSync()], [1, 1, 1, 1, 1]);
    assert.deepEqual([...pseudoLabels(logits, 0.995).mask.dataSync()], [0, 0, 0, 0, 1]);
    assert.throws(() => pseudoLabels(logits, 95), /threshold must be a probability/);
  });
});

test("shape mismatches are named", () => {
  tf.tidy(() => {
    assert.throws(() => perSampleCrossEntropy(tf.zeros([3, 2]) as tf.Tensor2D, tf.zeros([2], "int32") as tf.Tensor1D), /3 rows of logits but 2 labels/);
    assert.throws(() => consistencyLoss(tf.zeros([3, 2]) as tf.Tensor2D, tf.zeros([2, 2]) as tf.Tensor2D), /differ/);
  });
});
