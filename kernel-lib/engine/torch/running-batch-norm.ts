import type * as tf from "@tensorflow/tfjs";

/** A BatchNorm on running statistics, as the fused eval kernels apply it or fold it into a convolution. */
export interface RunningBatchNorm {
  mean: tf.Tensor;
  variance: tf.Tensor;
  /** beta */
  offset: tf.Tensor;
  /** gamma */
  scale: tf.Tensor;
  eps: number;
}
