/**
 * The losses the three methods combine: per-sample cross-entropy (so FixMatch can mask it) and
 * the consistency between two predictions (Mean Teacher).
 */
import * as tf from "@tensorflow/tfjs";

/**
 * `tensor.detach()`: the same values, but no gradient flows back through it (TF.js has no
 * stop-gradient op). Used for targets: teacher predictions and FixMatch's pseudo-labels.
 */
const detachAny = tf.customGrad((...inputs: Array<tf.Tensor | tf.GradSaveFunc>) => ({
  value: tf.clone(inputs[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));

export function detach<T extends tf.Tensor>(input: T): T {
  return detachAny(input) as T;
}

/** Cross-entropy of each row of `logits` against integer `labels`, shape `[batch]`. */
export function perSampleCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  if (logits.shape[0] !== labels.shape[0]) {
    throw new Error(`perSampleCrossEntropy: ${logits.shape[0]} rows of logits but ${labels.shape[0]} labels; pass one label per image`);
  }
  return tf.tidy(() => {
    const classCount = logits.shape[1];
    const logProbabilities = tf.logSoftmax(logits);
    const targets = tf.oneHot(tf.cast(labels, "int32"), classCount);
    return tf.neg(tf.sum(tf.mul(logProbabilities, targets), 1)) as tf.Tensor1D;
  });
}

/** Mean cross-entropy, `torch.nn.functional.cross_entropy` with the default mean reduction. */
export function crossEntropyMean(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.mean(perSampleCrossEntropy(logits, labels)) as tf.Scalar);
}

export type ConsistencyLossKind = "mse" | "kl";

/**
 * Distance from the student's prediction to the (constant) teacher prediction, averaged over the
 * batch. "mse": squared difference of softmax outputs averaged over classes too, as in the authors'
 * `softmax_mse_loss / (num_classes · batch)` (the paper's choice: bounded, and robust to a wrong
 * confident teacher). "kl": KL(teacher ‖ student) summed over classes, averaged over the batch.
 */
export function consistencyLoss(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, kind: ConsistencyLossKind = "mse"): tf.Scalar {
  if (studentLogits.shape.join("x") !== teacherLogits.shape.join("x")) {
    throw new Error(`consistencyLoss: student logits [${studentLogits.shape}] and teacher logits [${teacherLogits.shape}] differ; give both models the same batch of images`);
  }
  return tf.tidy(() => {
    const target = detach(teacherLogits);
    if (kind === "mse") return tf.mean(tf.squaredDifference(tf.softmax(studentLogits), tf.softmax(target))) as tf.Scalar;
    if (kind === "kl") {
      const targetLog = tf.logSoftmax(target);
      const perSample = tf.sum(tf.mul(tf.exp(targetLog), tf.sub(targetLog, tf.logSoftmax(studentLogits))), 1);
      return tf.mean(perSample) as tf.Scalar;
    }
    throw new Error(`consistencyLoss: kind must be "mse" or "kl", got ${JSON.stringify(kind)}`);
  });
}
