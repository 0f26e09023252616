import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initTeacher } from "../../../kernel-lib/train/methods/ema";
import { meanTeacherStep, type MeanTeacherConfig } from "../../../kernel-lib/train/methods/mean-teacher";
import { torchvisionMissing } from "../../data/python-reference";
import { RecordingSgd, TinyClassifier, snapshot } from "./tiny-classifier";
import { exportWeights, maxDifference, runTorchReference, tensorArray, type NamedArrays } from "./torch-tiny-reference";

tf.setBackend("cpu");

const CLASSES = 3;
const CHANNELS = 4;

function batches(seed: number): { labeled: [tf.Tensor4D, tf.Tensor1D]; unlabeled: [tf.Tensor4D, tf.Tensor4D] } {
  return {
    labeled: [tf.randomNormal([4, 5, 5, 3], 0, 1, "float32", seed) as tf.Tensor4D, tf.tensor1d([0, 1, 2, 1], "int32")],
    unlabeled: [tf.randomNormal([6, 5, 5, 3], 0, 1, "float32", seed + 1) as tf.Tensor4D, tf.randomNormal([6, 5, 5, 3], 0, 1, "float32", seed + 2) as tf.Tensor4D],
  };
}

const PARAMETER_NAMES = ["conv.weight", "bn.weight", "bn.bias", "fc.weight", "fc.bias"];
const BUFFER_NAMES = ["bn.running_mean", "bn.running_var"];

for (const teacherBatchNorm of ["teacher-batches", "ema"] as const) {
  test(`one Mean Teacher step matches PyTorch (student SGD update, teacher EMA, BN "${teacherBatchNorm}")`, { skip: torchvisionMissing() }, () => {
    const student = new TinyClassifier(CLASSES, CHANNELS, 21);
    const teacher = new TinyClassifier(CLASSES, CHANNELS, 42); // deliberately not a copy: the EMA must mix both
    for (const [, variable] of [...teacher.namedParameters(), ...teacher.namedBuffers()]) variable.trainable = false;
    // give the buffers distinct values so BN handling is visible
    student.runningMean.assign(tf.tensor1d([0.1, -0.2, 0.3, 0.0]));
    teacher.runningVar.assign(tf.tensor1d([1.5, 0.5, 2.0, 1.0]));
    const { labeled, unlabeled } = batches(5);
    const config: MeanTeacherConfig = { rampUpSteps: 10, consistencyWeight: 30, teacherBatchNorm };
    const step = 3;
    const request = {
      channels: CHANNELS, classes: CLASSES, step, lr: 0.05, weight: 30 * Math.exp(-5 * 0.7 * 0.7), decay: 0.75, mode: teacherBatchNorm,
      student: exportWeights(student), teacher: exportWeights(teacher),
      xl: tensorArray(labeled[0]), xl_shape: labeled[0].shape, y: tensorArray(labeled[1]),
      xs: tensorArray(unlabeled[0]), xs_shape: unlabeled[0].shape, xt: tensorArray(unlabeled[1]), xt_shape: unlabeled[1].shape,
    };
    const reference = runTorchReference<{ student: NamedArrays; teacher: NamedArrays; loss: number; classLoss: number; consistency: number }>(request, String.raw`
s = model_from(request["student"]); t = model_from(request["teacher"])
with torch.no_grad():
    t_logits = forward(t, images("xt"), training=request["mode"] == "teacher-batches")
xl = images("xl"); y = torch.tensor(request["y"], dtype=torch.long); n = xl.shape[0]
logits = forward(s, torch.cat([xl, images("xs")]), training=True)
class_loss = F.cross_entropy(logits[:n], y)
consistency = F.mse_loss(F.softmax(logits[n:], 1), F.softmax(t_logits, 1))
loss = class_loss + request["weight"] * consistency
loss.backward()
sgd(s, request["lr"])
a = request["decay"]
with torch.no_grad():
    for k in PARAMS:
        t[k].mul_(a).add_(s[k], alpha=1 - a)
    if request["mode"] == "ema":
        for k in ["bn.running_mean", "bn.running_var"]:
            t[k].mul_(a).add_(s[k], alpha=1 - a)
result = {"student": export(s), "teacher": export(t), "loss": loss.item(), "classLoss": class_loss.item(), "consistency": consistency.item()}
`);
    const optimizer = new RecordingSgd(student.namedParameters(), 0.05);
    const losses = meanTeacherStep({ student, teacher, optimizer, labeled, unlabeled, step, config });
    assert.ok(Math.abs(losses.consistencyWeight - request.weight) < 1e-12);
    assert.equal(losses.emaDecay, 0.75);
    assert.ok(Math.abs(losses.loss - reference.loss) < 1e-4, `loss ${losses.loss} vs torch ${reference.loss}`);
    assert.ok(Math.abs(losses.classLoss - reference.classLoss) < 1e-5);
    assert.ok(Math.abs(losses.consistencyLoss - reference.consistency) < 1e-6);
    assert.ok(maxDifference(student, reference.student, [...PARAMETER_NAMES, ...BUFFER_NAMES]) < 2e-5, "student after the step");
    assert.ok(maxDifference(teacher, reference.teacher, [...PARAMETER_NAMES, ...BUFFER_NAMES]) < 2e-5, "teacher after the EMA");
    tf.dispose([...labeled, ...unlabeled]);
    student.dispose();
    teacher.dispose();
  });
}

test("the teacher gets no gradient: the optimizer sees only student names, the teacher moves only by the EMA", () => {
  const student = new TinyClassifier(CLASSES, CHANNELS, 3);
  const teacher = new TinyClassifier(CLASSES, CHANNELS, 4);
  initTeacher(student, teacher);
  const optimizer = new RecordingSgd(student.namedParameters(), 0.1);
  const studentNames = student.namedParameters().map(([name]) => name).sort();
  for (let step = 0; step < 3; step++) {
    const { labeled, unlabeled } = batches(10 + step);
    const teacherBefore = snapshot(teacher.namedParameters());
    const result = meanTeacherStep({ student, teacher, optimizer, labeled, unlabeled, step: step + 5, config: { rampUpSteps: 4, teacherBatchNorm: "copy" } });
    const studentAfter = snapshot(student.namedParameters());
    for (const [name, variable] of teacher.namedParameters()) {
      const got = variable.dataSync();
      const t = teacherBefore.get(name)!;
      const s = studentAfter.get(name)!;
      for (let i = 0; i < got.length; i++) {
        const expected = result.emaDecay * t[i] + (1 - result.emaDecay) * s[i];
        assert.ok(Math.abs(got[i] - expected) < 1e-6, `${name}[${i}] moved by more than the EMA`);
      }
    }
    tf.dispose([...labeled, ...unlabeled]);
  }
  assert.deepEqual(optimizer.seenNames, [studentNames, studentNames, studentNames]);
  assert.ok(teacher.namedParameters().every(([, variable]) => !variable.trainable));
  student.dispose();
  teacher.dispose();
});

test("meanTeacherStep keeps the tensor count flat across steps", () => {
  const student = new TinyClassifier(CLASSES, CHANNELS, 5);
  const teacher = new TinyClassifier(CLASSES, CHANNELS, 6);
  initTeacher(student, teacher);
  const optimizer = new RecordingSgd(student.namedParameters(), 0.1);
  const { labeled, unlabeled } = batches(30);
  const labeledWithTeacherView: [tf.Tensor4D, tf.Tensor1D, tf.Tensor4D] = [labeled[0], labeled[1], tf.reverse(labeled[0], 2)];
  meanTeacherStep({ student, teacher, optimizer, labeled, unlabeled, step: 0, config: { rampUpSteps: 5 } });
  const count = tf.memory().numTensors;
  for (let step = 1; step < 6; step++) {
    meanTeacherStep({ student, teacher, optimizer, labeled: step % 2 ? labeled : labeledWithTeacherView, unlabeled, step, config: { rampUpSteps: 5, consistency: step % 3 ? "mse" : "kl" } });
    assert.equal(tf.memory().numTensors, count, `tensor count changed at step ${step}`);
  }
  tf.dispose([...labeled, ...unlabeled, labeledWithTeacherView[2]]);
  student.dispose();
  teacher.dispose();
});

test("meanTeacherStep rejects one tensor used as both views and mismatched shapes", () => {
  const student = new TinyClassifier(CLASSES, CHANNELS, 7);
  const teacher = new TinyClassifier(CLASSES, CHANNELS, 8);
  const optimizer = new RecordingSgd(student.namedParameters(), 0.1);
  const { labeled, unlabeled } = batches(40);
  assert.throws(() => meanTeacherStep({ student, teacher, optimizer, labeled, unlabeled: [unlabeled[0], unlabeled[0]], step: 0, config: { rampUpSteps: 5 } }), /same tensor; pass two independent augmentations/);
  assert.throws(() => meanTeacherStep({ student, teacher: student, optimizer, labeled, unlabeled, step: 0, config: { rampUpSteps: 5 } }), /student and teacher are the same model/);
  const small = tf.zeros([6, 4, 4, 3]) as tf.Tensor4D;
  assert.throws(() => meanTeacherStep({ student, teacher, optimizer, labeled, unlabeled: [unlabeled[0], small], step: 0, config: { rampUpSteps: 5 } }), /unlabeled views differ in shape/);
  tf.dispose([...labeled, ...unlabeled, small]);
  student.dispose();
  teacher.dispose();
});
