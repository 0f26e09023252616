/**
 * One optimization step and its parts, for `fit` and for custom loops (Mean Teacher, ...):
 * `computeGradients` runs forward + backward for the trainable parameters only and returns gradients keyed
 * by parameter name; `trainStep` adds clipping and the optimizer update. Numbers come back as plain JS
 * numbers (one device read per step) so logging never holds tensors.
 */
import * as tf from "@tensorflow/tfjs";
import { accuracy, type MetricFunction } from "./accuracy";
import { clipGradNorm } from "./clip-grad-norm";
import { crossEntropy, type LossFunction } from "./cross-entropy";
import type { TrainableModule } from "./trainable-module";

/** An optimizer as `trainStep` uses it (kernel-lib's SGD/Adam/AdamW, or your own). */
export interface GradientOptimizer {
  step(grads: Record<string, tf.Tensor>): void;
}

export interface BatchResult {
  loss: number;
  /** Top-1 accuracy of this batch, in [0, 1]. */
  accuracy: number;
  metrics: Record<string, number>;
  batchSize: number;
}

export interface GradientResult extends BatchResult {
  /** Keyed by parameter name; the caller disposes them. */
  grads: Record<string, tf.Tensor>;
}

export interface StepOptions {
  loss?: LossFunction;
  metrics?: Record<string, MetricFunction>;
}

export function computeGradients(model: TrainableModule, images: tf.Tensor, labels: tf.Tensor, options: StepOptions = {}): GradientResult {
  const lossFunction = options.loss ?? crossEntropy;
  const trainable = model.namedParameters().filter(([, variable]) => variable.trainable);
  if (trainable.length === 0) throw new Error("computeGradients: the model has no trainable parameters (all frozen?); unfreeze some before training");
  const parameterName = new Map(trainable.map(([name, variable]) => [variable.name, name]));
  let logits: tf.Tensor | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const output = model.forward(images);
    logits = tf.keep(output);
    return lossFunction(output, labels);
  }, trainable.map(([, variable]) => variable));
  const named: Record<string, tf.Tensor> = {};
  for (const [variableName, grad] of Object.entries(grads)) named[parameterName.get(variableName) as string] = grad;
  const numbers = readNumbers(value, logits as tf.Tensor, labels, options.metrics);
  tf.dispose([value, logits as tf.Tensor]);
  return { ...numbers, grads: named };
}

/** Gradients, optional clipping, optimizer update. Throws before the update if the loss is NaN/Inf. */
export function trainStep(
  model: TrainableModule,
  optimizer: GradientOptimizer,
  images: tf.Tensor,
  labels: tf.Tensor,
  options: StepOptions & { clipGradNorm?: number; step?: number } = {},
): BatchResult {
  const { grads, ...result } = computeGradients(model, images, labels, options);
  try {
    assertFiniteLoss(result.loss, options.step === undefined ? "trainStep" : `trainStep at step ${options.step}`);
    applyGradients(optimizer, grads, options.clipGradNorm);
  } finally {
    tf.dispose(Object.values(grads));
  }
  return result;
}

/** Clips (if asked) and hands the gradients to the optimizer; the caller still disposes `grads`. */
export function applyGradients(optimizer: GradientOptimizer, grads: Record<string, tf.Tensor>, maxNorm?: number): void {
  if (maxNorm === undefined) {
    optimizer.step(grads);
    return;
  }
  const clipped = clipGradNorm(grads, maxNorm).grads;
  try {
    optimizer.step(clipped);
  } finally {
    tf.dispose(Object.values(clipped));
  }
}

export function assertFiniteLoss(loss: number, where: string): void {
  if (!Number.isFinite(loss)) {
    throw new Error(`${where}: the loss is ${loss}; training diverged. Lower the learning rate, add clipGradNorm, or check the inputs for NaN`);
  }
}

/** Loss, accuracy and metrics of one batch as numbers, with a single read from the device. */
export function readNumbers(
  loss: tf.Scalar,
  logits: tf.Tensor,
  labels: tf.Tensor,
  metrics: Record<string, MetricFunction> = {},
): BatchResult {
  const names = Object.keys(metrics);
  const values = tf.tidy(() => tf.stack([loss, accuracy(logits, labels), ...names.map((name) => metrics[name](logits, labels))]).dataSync());
  return {
    loss: values[0],
    accuracy: values[1],
    metrics: Object.fromEntries(names.map((name, index) => [name, values[index + 2]])),
    batchSize: logits.shape[0] as number,
  };
}
