/**
 * Trains one method for a fixed number of steps on a labeled/unlabeled split and records what the
 * notebook compares: losses per step, FixMatch's mask rate and pseudo-label accuracy, test accuracy
 * at regular points, and wall time. The three methods share this loop, so "same labels, same budget"
 * holds by construction: only the step function differs.
 */
import * as tf from "@tensorflow/tfjs";
import { newDisplay } from "../../plots/display";
import { CyclingBatches } from "./cycling-batches";
import { evaluateAccuracy, type LabeledBatches } from "./evaluate-accuracy";
import { fixMatchStep, type FixMatchConfig } from "./fixmatch";
import { meanTeacherStep, type MeanTeacherConfig } from "./mean-teacher";
import type { ClassifierModule, NamedGradientOptimizer } from "./model-contract";
import { supervisedStep } from "./supervised";

export type SemiSupervisedMethod = "supervised" | "mean-teacher" | "fixmatch";

export interface SemiSupervisedRunOptions {
  method: SemiSupervisedMethod;
  /** The model trained by the optimizer (Mean Teacher's student). */
  model: ClassifierModule;
  /** Mean Teacher's teacher (required there), FixMatch's optional EMA model; prepare with `initTeacher`. */
  teacher?: ClassifierModule;
  optimizer: NamedGradientOptimizer;
  /** Stepped after every optimizer step (e.g. CosineAnnealingLR with T_max = steps). */
  scheduler?: { step(): void };
  /** `[images, labels]` batches of the labeled split. */
  labeled: AsyncIterable<tf.Tensor[]>;
  /** `[view1, view2, labels]` batches of the unlabeled split (MultiView of two augmentations); unused by "supervised". */
  unlabeled?: AsyncIterable<tf.Tensor[]>;
  /** Optimizer steps (the budget shared by the methods being compared). */
  steps: number;
  /** Test batches, evaluated every `evaluateEvery` steps and at the end. */
  test: LabeledBatches;
  evaluateEvery: number;
  meanTeacher?: MeanTeacherConfig;
  fixMatch?: FixMatchConfig;
  /** Labeled images in the split, for the results table. */
  labelsUsed: number;
  /** Show a live progress line (default true). */
  showProgress?: boolean;
}

export interface StepRecord {
  step: number;
  loss: number;
  classLoss: number;
  /** Mean Teacher: consistency loss and its ramped weight. */
  consistencyLoss?: number;
  consistencyWeight?: number;
  /** FixMatch: masked unlabeled loss, mask rate, accuracy of the confident pseudo-labels. */
  unlabeledLoss?: number;
  maskRate?: number;
  pseudoLabelAccuracy?: number | null;
}

export interface EvaluationRecord {
  /** Steps completed when evaluated. */
  step: number;
  /** Accuracy of the trained model (the student), fraction in [0, 1]. */
  accuracy: number;
  /** Accuracy of the teacher / EMA model when there is one. */
  teacherAccuracy?: number;
  seconds: number;
}

export interface SemiSupervisedRun {
  method: SemiSupervisedMethod;
  labelsUsed: number;
  steps: StepRecord[];
  evaluations: EvaluationRecord[];
  /** Accuracy of the model the method reports: the teacher for Mean Teacher, the EMA model for FixMatch when given. */
  finalAccuracy: number;
  wallSeconds: number;
}

function checkOptions(options: SemiSupervisedRunOptions): void {
  const where = `runSemiSupervised(${options.method})`;
  if (!["supervised", "mean-teacher", "fixmatch"].includes(options.method)) {
    throw new Error(`runSemiSupervised: method must be "supervised", "mean-teacher" or "fixmatch", got ${JSON.stringify(options.method)}`);
  }
  if (!Number.isInteger(options.steps) || options.steps < 1) throw new Error(`${where}: steps must be a positive integer, got ${options.steps}`);
  if (!Number.isInteger(options.evaluateEvery) || options.evaluateEvery < 1) throw new Error(`${where}: evaluateEvery must be a positive integer, got ${options.evaluateEvery}`);
  if (options.method !== "supervised" && !options.unlabeled) throw new Error(`${where}: pass the unlabeled loader (a DataLoader over the unlabeled split with MultiView([augment, augment]))`);
  if (options.method === "mean-teacher" && !options.teacher) throw new Error(`${where}: pass a teacher built like the model and prepared with initTeacher(model, teacher)`);
}

function viewsOf(batch: tf.Tensor[], method: SemiSupervisedMethod): [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D] {
  if (batch.length !== 3) {
    throw new Error(`runSemiSupervised(${method}): unlabeled batches must be [view1, view2, labels], got ${batch.length} tensors; give the unlabeled dataset a MultiView([first, second]) transform`);
  }
  return [batch[0] as tf.Tensor4D, batch[1] as tf.Tensor4D, batch[2] as tf.Tensor1D];
}

function trainOneStep(options: SemiSupervisedRunOptions, step: number, labeled: tf.Tensor[], unlabeled: tf.Tensor[] | undefined): StepRecord {
  const labeledPair: [tf.Tensor4D, tf.Tensor1D] = [labeled[0] as tf.Tensor4D, labeled[labeled.length - 1] as tf.Tensor1D];
  const { model, optimizer } = options;
  if (options.method === "supervised") return { step, ...supervisedStep({ model, optimizer, labeled: labeledPair, step }) };
  const [first, second, trueLabels] = viewsOf(unlabeled ?? [], options.method);
  if (options.method === "mean-teacher") {
    const config = options.meanTeacher ?? { rampUpSteps: Math.round(options.steps * 0.4) };
    const result = meanTeacherStep({ student: model, teacher: options.teacher as ClassifierModule, optimizer, labeled: labeledPair, unlabeled: [first, second], step, config });
    return { step, loss: result.loss, classLoss: result.classLoss, consistencyLoss: result.consistencyLoss, consistencyWeight: result.consistencyWeight };
  }
  // The unlabeled dataset's labels are hidden from training; they only grade the pseudo-labels.
  const result = fixMatchStep({ model, optimizer, labeled: labeledPair, unlabeled: [first, second, trueLabels], step, config: options.fixMatch, emaModel: options.teacher });
  return { step, loss: result.loss, classLoss: result.classLoss, unlabeledLoss: result.unlabeledLoss, maskRate: result.maskRate, pseudoLabelAccuracy: result.pseudoLabelAccuracy };
}

function progressLine(method: string, record: StepRecord, total: number, evaluation: EvaluationRecord | undefined): string {
  const parts = [`${method} step ${record.step + 1}/${total}`, `loss ${record.loss.toFixed(4)}`, `class ${record.classLoss.toFixed(4)}`];
  if (record.maskRate !== undefined) parts.push(`mask ${(record.maskRate * 100).toFixed(0)}%`);
  if (record.consistencyWeight !== undefined) parts.push(`cons. weight ${record.consistencyWeight.toFixed(2)}`);
  if (evaluation) parts.push(`test acc ${(evaluation.accuracy * 100).toFixed(1)}%` + (evaluation.teacherAccuracy === undefined ? "" : ` (teacher/EMA ${(evaluation.teacherAccuracy * 100).toFixed(1)}%)`));
  return parts.join(" | ");
}

export async function runSemiSupervised(options: SemiSupervisedRunOptions): Promise<SemiSupervisedRun> {
  checkOptions(options);
  const started = Date.now();
  const labeled = new CyclingBatches(options.labeled, "labeled");
  const unlabeled = options.method === "supervised" || !options.unlabeled ? undefined : new CyclingBatches(options.unlabeled, "unlabeled");
  const display = options.showProgress === false ? undefined : newDisplay(false);
  const steps: StepRecord[] = [];
  const evaluations: EvaluationRecord[] = [];
  const evaluateModels = async (step: number): Promise<EvaluationRecord> => {
    const models = options.teacher ? [options.model, options.teacher] : [options.model];
    const [accuracy, teacherAccuracy] = await evaluateAccuracy(models, options.test);
    const record: EvaluationRecord = { step, accuracy, seconds: (Date.now() - started) / 1000 };
    if (teacherAccuracy !== undefined) record.teacherAccuracy = teacherAccuracy;
    evaluations.push(record);
    return record;
  };
  try {
    for (let step = 0; step < options.steps; step++) {
      const labeledBatch = await labeled.next();
      const unlabeledBatch = unlabeled ? await unlabeled.next() : undefined;
      let record: StepRecord;
      try {
        record = trainOneStep(options, step, labeledBatch, unlabeledBatch);
      } finally {
        tf.dispose(labeledBatch);
        if (unlabeledBatch) tf.dispose(unlabeledBatch);
      }
      options.scheduler?.step();
      steps.push(record);
      const done = step + 1;
      const evaluation = done % options.evaluateEvery === 0 || done === options.steps ? await evaluateModels(done) : undefined;
      const line = progressLine(options.method, record, options.steps, evaluation);
      display?.update({ "text/plain": line });
      if (evaluation && display) process.stdout.write(`${line}\n`);
    }
  } finally {
    await labeled.close();
    await unlabeled?.close();
  }
  const last = evaluations[evaluations.length - 1];
  const reportsTeacher = options.teacher !== undefined && last.teacherAccuracy !== undefined;
  return {
    method: options.method,
    labelsUsed: options.labelsUsed,
    steps,
    evaluations,
    finalAccuracy: reportsTeacher ? (last.teacherAccuracy as number) : last.accuracy,
    wallSeconds: (Date.now() - started) / 1000,
  };
}
