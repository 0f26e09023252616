/** Top-k accuracy of logits `[batch, classes]` against integer labels, as a fraction in [0, 1]. */
import * as tf from "@tensorflow/tfjs";

/** A per-batch metric: a scalar mean over the batch (`fit` averages it over samples). */
export type MetricFunction = (logits: tf.Tensor, labels: tf.Tensor) => tf.Scalar;

export function accuracy(logits: tf.Tensor, labels: tf.Tensor, topK = 1): tf.Scalar {
  if (logits.rank !== 2 || labels.rank !== 1 || labels.shape[0] !== logits.shape[0]) {
    throw new Error(`accuracy: expected logits [batch, classes] and labels [batch], got [${logits.shape}] and [${labels.shape}]`);
  }
  return tf.tidy(() => {
    const intLabels = tf.cast(labels, "int32");
    if (topK === 1) return tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), intLabels), "float32")) as tf.Scalar;
    const { indices } = tf.topk(logits, topK);
    const hit = tf.any(tf.equal(indices, tf.expandDims(intLabels, 1)), 1);
    return tf.mean(tf.cast(hit, "float32")) as tf.Scalar;
  });
}

/** `accuracy` with a fixed k, for `fit`'s `metrics: { top5: topKAccuracy(5) }`. */
export function topKAccuracy(k: number): MetricFunction {
  return (logits, labels) => accuracy(logits, labels, k);
}
