/**
 * One Mean Teacher training step (Tarvainen & Valpola, 2017), as published rather than as the
 * semi-supervised tutorial wrote it:
 * - the student and the teacher see two independently augmented views of each unlabeled image (with
 *   one shared view the consistency term has nothing to be consistent about);
 * - the consistency weight ramps up as `exp(-5 (1 - t)^2)`, from ~0 to its maximum over `rampUpSteps`;
 * - the teacher is an EMA of the student (see ema.ts) and gets no gradient: its logits are computed
 *   outside the gradient tape and its variables are frozen;
 * - labeled and unlabeled images go through the student in one batch, so BatchNorm statistics mix both
 *   as in the paper's minibatches.
 */
import * as tf from "@tensorflow/tfjs";
import { emaDecay, updateTeacher, type TeacherBatchNorm } from "./ema";
import { classifierLogits, type ClassifierModule, type NamedGradientOptimizer, type StepLosses } from "./model-contract";
import { finiteNumber, namedGradients, type NamedGradients } from "./named-gradients";
import { sigmoidRampUp } from "./ramp-up";
import { consistencyLoss, crossEntropyMean, type ConsistencyLossKind } from "./semi-supervised-losses";

export interface MeanTeacherConfig {
  /** Steps over which the consistency weight ramps up (and the EMA decay stays at `decayDuringRampUp`). */
  rampUpSteps: number;
  /** Maximum consistency weight (default 100, the authors' CIFAR-10 setting for the softmax-MSE cost). */
  consistencyWeight?: number;
  /** "mse" on softmax outputs (the paper's choice, default) or "kl". */
  consistency?: ConsistencyLossKind;
  /** EMA decay while ramping up (default 0.99). */
  decayDuringRampUp?: number;
  /** EMA decay afterwards (default 0.999). */
  decayAfterRampUp?: number;
  /** How the teacher's BatchNorm running statistics are kept (default "teacher-batches", see ema.ts). */
  teacherBatchNorm?: TeacherBatchNorm;
}

export interface MeanTeacherStepInput {
  student: ClassifierModule;
  /** Same architecture as the student, prepared once with `initTeacher(student, teacher)`. */
  teacher: ClassifierModule;
  /** Optimizes the student only. */
  optimizer: NamedGradientOptimizer;
  /** `[images, labels]`, or `[studentView, labels, teacherView]` to also apply consistency to labeled images. */
  labeled: [tf.Tensor4D, tf.Tensor1D] | [tf.Tensor4D, tf.Tensor1D, tf.Tensor4D];
  /** Two independent augmentations of the same unlabeled images: `[studentView, teacherView]`. */
  unlabeled: [tf.Tensor4D, tf.Tensor4D];
  /** 0-based index of this training step (drives the ramp-up and the EMA decay). */
  step: number;
  config: MeanTeacherConfig;
}

export interface MeanTeacherLosses extends StepLosses {
  consistencyLoss: number;
  /** Ramped-up weight applied to the consistency loss at this step. */
  consistencyWeight: number;
  /** Decay used for this step's teacher update. */
  emaDecay: number;
}

function checkViews(input: MeanTeacherStepInput): void {
  const [studentView, teacherView] = input.unlabeled;
  if (studentView.shape.join("x") !== teacherView.shape.join("x")) {
    throw new Error(`meanTeacherStep: unlabeled views differ in shape ([${studentView.shape}] vs [${teacherView.shape}]); build both with MultiView([augment, augment]) on the same dataset`);
  }
  if (studentView === teacherView) {
    throw new Error("meanTeacherStep: the student and teacher views are the same tensor; pass two independent augmentations (MultiView([augment, augment])), or the consistency loss learns nothing");
  }
  if (input.student === input.teacher) {
    throw new Error("meanTeacherStep: student and teacher are the same model; build a second model with the same architecture and call initTeacher(student, teacher)");
  }
  const [labeledImages, labels, labeledTeacherView] = input.labeled;
  if (labeledTeacherView && labeledTeacherView.shape.join("x") !== labeledImages.shape.join("x")) {
    throw new Error(`meanTeacherStep: the labeled teacher view [${labeledTeacherView.shape}] differs in shape from the labeled images [${labeledImages.shape}]`);
  }
  if (labeledImages.shape[0] !== labels.shape[0]) {
    throw new Error(`meanTeacherStep: ${labeledImages.shape[0]} labeled images but ${labels.shape[0]} labels`);
  }
  if (labeledImages.shape.slice(1).join("x") !== studentView.shape.slice(1).join("x")) {
    throw new Error(`meanTeacherStep: labeled images [${labeledImages.shape}] and unlabeled images [${studentView.shape}] have different sizes; use the same crop size for both loaders`);
  }
  if (!(input.config.rampUpSteps >= 0)) throw new Error(`meanTeacherStep: config.rampUpSteps must be >= 0, got ${input.config.rampUpSteps}`);
}

/** Loss and gradients of the student: class loss on the labeled rows plus weighted consistency to the teacher. */
function studentGradients(input: MeanTeacherStepInput, teacherLogits: tf.Tensor2D, consistencyWeight: number): NamedGradients<"classLoss" | "consistency"> {
  const { student, config } = input;
  const [labeledImages, labels, labeledTeacherView] = input.labeled;
  const labeledCount = labels.shape[0];
  return namedGradients(student, () => {
    const logits = classifierLogits(student, tf.concat([labeledImages, input.unlabeled[0]]));
    const classLoss = crossEntropyMean(tf.slice(logits, [0, 0], [labeledCount, -1]), labels);
    const consistencyRows = labeledTeacherView ? logits : tf.slice(logits, [labeledCount, 0], [-1, -1]);
    const consistency = consistencyLoss(consistencyRows, teacherLogits, config.consistency ?? "mse");
    return { loss: tf.add(classLoss, tf.mul(consistency, consistencyWeight)) as tf.Scalar, extras: { classLoss, consistency } };
  });
}

/** Trains the student one step, then moves the teacher towards it. Disposes everything it creates. */
export function meanTeacherStep(input: MeanTeacherStepInput): MeanTeacherLosses {
  checkViews(input);
  const { student, teacher, optimizer, step, config } = input;
  const labeledTeacherView = input.labeled[2];
  const teacherView = input.unlabeled[1];
  const consistencyWeight = (config.consistencyWeight ?? 100) * sigmoidRampUp(step, config.rampUpSteps);
  const teacherBatchNorm = config.teacherBatchNorm ?? "teacher-batches";

  // Outside the gradient tape: the teacher's predictions are constants for the student's loss.
  if (teacherBatchNorm === "teacher-batches") teacher.train();
  else teacher.eval();
  const teacherLogits = tf.tidy(() =>
    classifierLogits(teacher, labeledTeacherView ? tf.concat([labeledTeacherView, teacherView]) : teacherView),
  );

  student.train();
  let gradients: NamedGradients<"classLoss" | "consistency"> | undefined;
  try {
    gradients = studentGradients(input, teacherLogits, consistencyWeight);
    const { loss, grads, extras } = gradients;
    const losses = {
      loss: finiteNumber(loss, "Mean Teacher loss", step),
      classLoss: extras.classLoss.dataSync()[0],
      consistencyLoss: extras.consistency.dataSync()[0],
    };
    optimizer.step(grads);
    const decay = emaDecay(step, config);
    updateTeacher(student, teacher, decay, teacherBatchNorm);
    return { ...losses, consistencyWeight, emaDecay: decay };
  } finally {
    tf.dispose(teacherLogits);
    if (gradients) tf.dispose([gradients.loss, gradients.extras.classLoss, gradients.extras.consistency, ...Object.values(gradients.grads)]);
  }
}
