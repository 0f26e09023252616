import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { emaDecay, initTeacher, updateTeacher } from "../../../kernel-lib/train/methods/ema";
import { TinyClassifier, snapshot } from "./tiny-classifier";

tf.setBackend("cpu");

test("emaDecay: true average first, then 0.99 during ramp-up and 0.999 after", () => {
  const options = { rampUpSteps: 500 };
  assert.equal(emaDecay(0, options), 0); // teacher := student after the first update
  assert.equal(emaDecay(1, options), 0.5);
  assert.equal(emaDecay(3, options), 0.75);
  assert.equal(emaDecay(98, options), 1 - 1 / 99); // still below the 0.99 cap
  assert.equal(emaDecay(99, options), 0.99); // 1 - 1/100 reaches the cap exactly
  assert.equal(emaDecay(499, options), 0.99);
  assert.equal(emaDecay(500, options), 1 - 1 / 501); // cap now 0.999, still above the running-mean decay
  assert.equal(emaDecay(999, options), 0.999);
  assert.equal(emaDecay(100_000, options), 0.999);
  assert.equal(emaDecay(600, { rampUpSteps: 0, decayAfterRampUp: 0.9 }), 0.9);
  assert.throws(() => emaDecay(-1, options), /non-negative integer/);
  assert.throws(() => emaDecay(2, { rampUpSteps: 1, decayAfterRampUp: 1 }), /decayAfterRampUp must be in \[0, 1\)/);
});

test("updateTeacher: t ← d·t + (1-d)·s on parameters, by hand", () => {
  const student = new TinyClassifier(3, 2, 7);
  const teacher = new TinyClassifier(3, 2, 99);
  const before = snapshot(teacher.namedParameters());
  const studentValues = snapshot(student.namedParameters());
  updateTeacher(student, teacher, 0.9, "ema");
  for (const [name, variable] of teacher.namedParameters()) {
    const got = variable.dataSync();
    const t = before.get(name)!;
    const s = studentValues.get(name)!;
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - (0.9 * t[i] + 0.1 * s[i])) < 1e-6, `${name}[${i}]`);
  }
  student.dispose();
  teacher.dispose();
});

test("the EMA with emaDecay(step) is the running mean of the students for the first steps", () => {
  const student = new TinyClassifier(2, 2, 3);
  const teacher = new TinyClassifier(2, 2, 4);
  initTeacher(student, teacher);
  const history: number[] = [];
  for (let step = 0; step < 5; step++) {
    const value = 1 + step * step; // student's fc.bias[0] after "training" step `step`
    student.fcBias.assign(tf.tensor1d([value, -value]));
    history.push(value);
    updateTeacher(student, teacher, emaDecay(step, { rampUpSteps: 10 }), "ema");
    const mean = history.reduce((a, b) => a + b, 0) / history.length;
    assert.ok(Math.abs(teacher.fcBias.dataSync()[0] - mean) < 1e-5, `step ${step}: ${teacher.fcBias.dataSync()[0]} vs mean ${mean}`);
  }
  student.dispose();
  teacher.dispose();
});

test("BatchNorm buffers: 'ema' averages, 'copy' copies, 'teacher-batches' leaves them; counters are copied", () => {
  const student = new TinyClassifier(2, 2, 5);
  student.runningMean.assign(tf.tensor1d([2, 4]));
  student.runningVar.assign(tf.tensor1d([3, 5]));
  student.batchesTracked.assign(tf.scalar(17, "int32"));

  const averaged = new TinyClassifier(2, 2, 6);
  updateTeacher(student, averaged, 0.75, "ema");
  assert.deepEqual([...averaged.runningMean.dataSync()], [0.25 * 2, 0.25 * 4]); // from zeros
  assert.deepEqual([...averaged.runningVar.dataSync()], [0.75 + 0.25 * 3, 0.75 + 0.25 * 5]); // from ones
  assert.equal(averaged.batchesTracked.dataSync()[0], 17);
  assert.equal(averaged.batchesTracked.dtype, "int32");

  const copied = new TinyClassifier(2, 2, 6);
  updateTeacher(student, copied, 0.75, "copy");
  assert.deepEqual([...copied.runningMean.dataSync()], [2, 4]);
  assert.deepEqual([...copied.runningVar.dataSync()], [3, 5]);

  const ownStatistics = new TinyClassifier(2, 2, 6);
  updateTeacher(student, ownStatistics, 0.75, "teacher-batches");
  assert.deepEqual([...ownStatistics.runningMean.dataSync()], [0, 0]);
  assert.equal(ownStatistics.batchesTracked.dataSync()[0], 0);
  for (const model of [student, averaged, copied, ownStatistics]) model.dispose();
});

test("initTeacher copies the student and freezes the teacher; mismatched architectures are rejected", () => {
  const student = new TinyClassifier(3, 2, 8);
  const teacher = new TinyClassifier(3, 2, 9);
  initTeacher(student, teacher);
  const studentValues = snapshot([...student.namedParameters(), ...student.namedBuffers()]);
  for (const [name, variable] of [...teacher.namedParameters(), ...teacher.namedBuffers()]) {
    assert.deepEqual([...variable.dataSync()], [...studentValues.get(name)!], name);
    assert.equal(variable.trainable, false, `${name} must not be trainable`);
  }
  assert.ok(student.namedParameters().every(([, variable]) => variable.trainable));
  const wider = new TinyClassifier(3, 4, 8);
  assert.throws(() => initTeacher(student, wider), /"conv.weight" has shape \[3,3,3,4\] in the teacher but \[3,3,3,2\]/);
  for (const model of [student, teacher, wider]) model.dispose();
});

test("updateTeacher keeps the tensor count flat", () => {
  const student = new TinyClassifier(3, 2, 10);
  const teacher = new TinyClassifier(3, 2, 11);
  initTeacher(student, teacher);
  updateTeacher(student, teacher, 0.5, "ema");
  const count = tf.memory().numTensors;
  for (let step = 0; step < 5; step++) updateTeacher(student, teacher, 0.99, step % 2 ? "ema" : "copy");
  assert.equal(tf.memory().numTensors, count);
  student.dispose();
  teacher.dispose();
});
