/**
 * What the semi-supervised steps need from a model and an optimizer, stated structurally so any
 * module with PyTorch-style accessors works (kernel-lib/models' ResNet18, a test's tiny net).
 */
import type * as tf from "@tensorflow/tfjs";

/** A classifier with PyTorch-style parameter and buffer accessors. */
export interface ClassifierModule {
  /** Logits `[batch, classes]` for NHWC images (typed loosely so kernel-lib/models' Module fits). */
  forward(images: tf.Tensor): tf.Tensor;
  /** Training mode: BatchNorm uses batch statistics and updates its running buffers. */
  train(mode?: boolean): unknown;
  /** Evaluation mode: BatchNorm uses its running buffers. */
  eval(): unknown;
  /** Learnable tensors by dotted PyTorch name (`layer1.0.conv1.weight`). */
  namedParameters(): [string, tf.Variable][];
  /** Non-learned state by name (`bn1.running_mean`, `bn1.num_batches_tracked`). */
  namedBuffers(): [string, tf.Variable][];
}

/**
 * An optimizer that applies gradients keyed by parameter name (as kernel-lib/train's SGD and Adam do).
 * The caller disposes the gradients after `step` returns, so the optimizer must not keep them.
 */
export interface NamedGradientOptimizer {
  step(namedGrads: Record<string, tf.Tensor>): void;
}

/** What every method's step returns: plain numbers, safe to log or plot after the tensors are gone. */
export interface StepLosses {
  /** The total loss the optimizer minimised. */
  loss: number;
  /** Cross-entropy on the labeled part of the batch. */
  classLoss: number;
}

/** Runs `model.forward` and checks it returned `[batch, classes]` logits. */
export function classifierLogits(model: ClassifierModule, images: tf.Tensor4D): tf.Tensor2D {
  const logits = model.forward(images);
  if (logits.rank !== 2 || logits.shape[0] !== images.shape[0]) {
    throw new Error(`the model returned shape [${logits.shape}] for ${images.shape[0]} images; the semi-supervised steps need a classifier returning [batch, classes] logits`);
  }
  return logits as tf.Tensor2D;
}
