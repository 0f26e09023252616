import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { CyclingBatches } from "../../../kernel-lib/train/methods/cycling-batches";
import { initTeacher } from "../../../kernel-lib/train/methods/ema";
import { evaluateAccuracy } from "../../../kernel-lib/train/methods/evaluate-accuracy";
import { runSemiSupervised, type SemiSupervisedMethod } from "../../../kernel-lib/train/methods/semi-supervised-run";
import { RecordingSgd, TinyClassifier } from "./tiny-classifier";

tf.setBackend("cpu");

/** A re-iterable loader of `batches` synthetic batches; each pass yields fresh tensors the consumer disposes. */
function syntheticLoader(batches: number, batchSize: number, views: number, seed: number): AsyncIterable<tf.Tensor[]> & { passes: number } {
  const loader = {
    passes: 0,
    async *[Symbol.asyncIterator](): AsyncGenerator<tf.Tensor[]> {
      loader.passes++;
      for (let b = 0; b < batches; b++) {
        const images = Array.from({ length: views }, (_, v) => tf.randomNormal([batchSize, 4, 4, 3], 0, 1, "float32", seed + 10 * b + v));
        yield [...images, tf.tensor1d(Array.from({ length: batchSize }, (_, i) => (i + b) % 3), "int32")];
      }
    },
  };
  return loader;
}

test("evaluateAccuracy counts argmax hits over all batches and disposes them", async () => {
  const model = new TinyClassifier(3, 2, 1);
  const loader = syntheticLoader(3, 5, 1, 7);
  const before = tf.memory().numTensors;
  const [accuracy] = await evaluateAccuracy([model], loader);
  assert.equal(tf.memory().numTensors, before);
  // independent count: predictions of the same model on regenerated batches
  let hits = 0;
  for await (const [images, labels] of syntheticLoader(3, 5, 1, 7)) {
    const predicted = tf.tidy(() => tf.argMax(model.forward(images as tf.Tensor4D), 1).dataSync());
    const truth = labels.dataSync();
    predicted.forEach((value, i) => (hits += value === truth[i] ? 1 : 0));
    tf.dispose([images, labels]);
  }
  assert.equal(accuracy, hits / 15);
  model.dispose();
});

test("CyclingBatches restarts the loader when a pass ends", async () => {
  const loader = syntheticLoader(2, 1, 1, 3);
  const cycling = new CyclingBatches(loader, "labeled");
  for (let i = 0; i < 5; i++) tf.dispose(await cycling.next());
  assert.equal(loader.passes, 3);
  assert.equal(cycling.epochs, 2);
  await cycling.close();
  await assert.rejects(new CyclingBatches(syntheticLoader(0, 1, 1, 1), "unlabeled").next(), /the unlabeled loader yielded no batches/);
});

for (const method of ["supervised", "mean-teacher", "fixmatch"] as SemiSupervisedMethod[]) {
  test(`runSemiSupervised(${method}): records every step, evaluates on schedule, leaves no tensors behind`, async () => {
    const model = new TinyClassifier(3, 3, 2);
    const teacher = new TinyClassifier(3, 3, 3);
    initTeacher(model, teacher);
    let schedulerSteps = 0;
    const before = tf.memory().numTensors;
    const run = await runSemiSupervised({
      method,
      model,
      teacher: method === "supervised" ? undefined : teacher,
      optimizer: new RecordingSgd(model.namedParameters(), 0.05),
      scheduler: { step: () => schedulerSteps++ },
      labeled: syntheticLoader(2, 3, 1, 100),
      unlabeled: syntheticLoader(3, 6, 2, 200),
      test: syntheticLoader(2, 4, 1, 300),
      steps: 7,
      evaluateEvery: 3,
      meanTeacher: { rampUpSteps: 4 },
      fixMatch: { threshold: 0.5 },
      labelsUsed: 6,
      showProgress: false,
    });
    assert.equal(tf.memory().numTensors, before);
    assert.equal(schedulerSteps, 7);
    assert.deepEqual(run.steps.map((record) => record.step), [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(run.evaluations.map((record) => record.step), [3, 6, 7]);
    assert.equal(run.labelsUsed, 6);
    const last = run.evaluations[2];
    assert.equal(run.finalAccuracy, method === "supervised" ? last.accuracy : last.teacherAccuracy);
    if (method === "mean-teacher") assert.ok(run.steps.every((record) => record.consistencyWeight !== undefined));
    if (method === "fixmatch") assert.ok(run.steps.every((record) => record.maskRate !== undefined && record.maskRate >= 0 && record.maskRate <= 1));
    model.dispose();
    teacher.dispose();
  });
}

test("runSemiSupervised names what is missing", async () => {
  const model = new TinyClassifier(3, 2, 4);
  const common = { model, optimizer: new RecordingSgd(model.namedParameters(), 0.1), labeled: syntheticLoader(1, 2, 1, 1), test: syntheticLoader(1, 2, 1, 2), steps: 2, evaluateEvery: 1, labelsUsed: 2, showProgress: false };
  await assert.rejects(runSemiSupervised({ ...common, method: "fixmatch" }), /pass the unlabeled loader/);
  await assert.rejects(runSemiSupervised({ ...common, method: "mean-teacher", unlabeled: syntheticLoader(1, 2, 2, 3) }), /pass a teacher/);
  await assert.rejects(runSemiSupervised({ ...common, method: "fixmatch", unlabeled: syntheticLoader(1, 2, 1, 3) }), /must be \[view1, view2, labels\], got 2 tensors/);
  model.dispose();
});
