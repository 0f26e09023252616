/**
 * `torch.nn.functional.cross_entropy` for logits `[batch, classes]` and integer labels `[batch]`, with
 * optional label smoothing (the target becomes (1 - s) * one-hot + s / classes, as in PyTorch).
 */
import * as tf from "@tensorflow/tfjs";

export interface CrossEntropyOptions {
  labelSmoothing?: number;
  reduction?: "mean" | "sum";
}

/** What `fit` and `trainStep` accept as a loss: a scalar from logits and labels. */
export type LossFunction = (logits: tf.Tensor, labels: tf.Tensor) => tf.Scalar;

export function crossEntropy(logits: tf.Tensor, labels: tf.Tensor, options: CrossEntropyOptions = {}): tf.Scalar {
  const smoothing = options.labelSmoothing ?? 0;
  if (logits.rank !== 2) throw new Error(`crossEntropy: logits must be [batch, classes], got shape [${logits.shape}]`);
  if (labels.rank !== 1 || labels.shape[0] !== logits.shape[0]) {
    throw new Error(`crossEntropy: labels must be [batch] = [${logits.shape[0]}], got shape [${labels.shape}]`);
  }
  if (!(smoothing >= 0 && smoothing <= 1)) throw new Error(`crossEntropy: labelSmoothing must be in [0, 1], got ${smoothing}`);
  return tf.tidy(() => {
    const classes = logits.shape[1] as number;
    const logProbabilities = tf.logSoftmax(logits);
    const oneHot = tf.oneHot(tf.cast(labels, "int32"), classes);
    const target = smoothing === 0 ? oneHot : tf.add(tf.mul(oneHot, 1 - smoothing), smoothing / classes);
    const perSample = tf.neg(tf.sum(tf.mul(target, logProbabilities), 1));
    return (options.reduction === "sum" ? tf.sum(perSample) : tf.mean(perSample)) as tf.Scalar;
  });
}

/** A `LossFunction` with fixed options, e.g. `fit(..., { loss: crossEntropyLoss({ labelSmoothing: 0.1 }) })`. */
export function crossEntropyLoss(options: CrossEntropyOptions = {}): LossFunction {
  return (logits, labels) => crossEntropy(logits, labels, options);
}
