/**
 * Each method trains a tiny net on synthetic data (3 classes told apart by colour, under noise) for a
 * few dozen steps on the cpu backend: the held-out cross-entropy must fall, and the tensor count must
 * stay flat across the loop.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initTeacher } from "../../../kernel-lib/train/methods/ema";
import { fixMatchStep } from "../../../kernel-lib/train/methods/fixmatch";
import { meanTeacherStep } from "../../../kernel-lib/train/methods/mean-teacher";
import { crossEntropyMean } from "../../../kernel-lib/train/methods/semi-supervised-losses";
import { supervisedStep } from "../../../kernel-lib/train/methods/supervised";
import { RecordingSgd, TinyClassifier } from "./tiny-classifier";

tf.setBackend("cpu");

const CLASSES = 3;
const SIZE = 6;
const STEPS = 40;

/** Clean images: class c has a brighter channel c. Labels cycle 0, 1, 2. */
function cleanImages(count: number, seed: number): { images: tf.Tensor4D; labels: tf.Tensor1D } {
  return tf.tidy(() => {
    const labels = tf.tensor1d(Array.from({ length: count }, (_, i) => i % CLASSES), "int32");
    const colour = tf.reshape(tf.oneHot(labels, CLASSES), [count, 1, 1, CLASSES]);
    const images = tf.add(tf.mul(colour, 1.5), tf.randomNormal([count, SIZE, SIZE, 3], 0, 0.5, "float32", seed)) as tf.Tensor4D;
    return { images, labels };
  });
}

/** A random augmentation: fresh noise, and (strong) a zeroed square as in Cutout. */
function augment(images: tf.Tensor4D, seed: number, strong = false): tf.Tensor4D {
  return tf.tidy(() => {
    const noisy = tf.add(images, tf.randomNormal(images.shape, 0, strong ? 0.8 : 0.3, "float32", seed));
    if (!strong) return noisy as tf.Tensor4D;
    const keep = tf.pad(tf.zeros([SIZE / 2, SIZE / 2, 1]), [[0, SIZE / 2], [seed % 2 ? SIZE / 2 : 0, seed % 2 ? 0 : SIZE / 2], [0, 0]], 1);
    return tf.mul(noisy, keep) as tf.Tensor4D;
  });
}

function heldOutLoss(model: TinyClassifier, data: { images: tf.Tensor4D; labels: tf.Tensor1D }): number {
  model.eval();
  return tf.tidy(() => crossEntropyMean(model.forward(data.images), data.labels).dataSync()[0]);
}

type Method = "supervised" | "mean teacher" | "fixmatch";

for (const method of ["supervised", "mean teacher", "fixmatch"] as Method[]) {
  test(`${method}: held-out loss falls over ${STEPS} steps, tensor count flat`, () => {
    const labeled = cleanImages(6, 1);
    const unlabeled = cleanImages(24, 2);
    const heldOut = cleanImages(30, 3);
    const model = new TinyClassifier(CLASSES, 6, 11);
    const teacher = new TinyClassifier(CLASSES, 6, 12);
    initTeacher(model, teacher);
    const optimizer = new RecordingSgd(model.namedParameters(), 0.1);
    const before = heldOutLoss(model, heldOut);
    let count = 0;
    for (let step = 0; step < STEPS; step++) {
      if (step === 1) count = tf.memory().numTensors;
      const x = augment(labeled.images, 100 + step);
      if (method === "supervised") {
        supervisedStep({ model, optimizer, labeled: [x, labeled.labels], step });
      } else if (method === "mean teacher") {
        const studentView = augment(unlabeled.images, 1000 + step);
        const teacherView = augment(unlabeled.images, 2000 + step);
        meanTeacherStep({ student: model, teacher, optimizer, labeled: [x, labeled.labels], unlabeled: [studentView, teacherView], step, config: { rampUpSteps: 10, consistencyWeight: 10 } });
        tf.dispose([studentView, teacherView]);
      } else {
        const weak = augment(unlabeled.images, 1000 + step);
        const strong = augment(unlabeled.images, 2000 + step, true);
        fixMatchStep({ model, optimizer, labeled: [x, labeled.labels], unlabeled: [weak, strong, unlabeled.labels], step, config: { threshold: 0.8 } });
        tf.dispose([weak, strong]);
      }
      tf.dispose(x);
      if (step > 0) assert.equal(tf.memory().numTensors, count, `tensor count changed at step ${step}`);
    }
    const after = heldOutLoss(model, heldOut);
    const evaluated = method === "mean teacher" ? heldOutLoss(teacher, heldOut) : after;
    assert.ok(after < 0.7 * before, `${method}: held-out loss ${before.toFixed(3)} -> ${after.toFixed(3)}`);
    assert.ok(evaluated < 0.7 * before, `${method}: teacher held-out loss ${before.toFixed(3)} -> ${evaluated.toFixed(3)}`);
    tf.dispose([labeled.images, labeled.labels, unlabeled.images, unlabeled.labels, heldOut.images, heldOut.labels]);
    model.dispose();
    teacher.dispose();
  });
}
