/**
 * relu?(batchNorm(conv2d(x)) [+ residual]) with BatchNorm on running statistics, as one kernel on backend
 * "torch" (see kernels/conv-batch-norm-relu.ts: the BatchNorm folded into the convolution), for
 * kernel-lib/models' eval-mode ResNet. No gradient exists for it: it answers undefined while a gradient tape
 * records, on other backends, before loadTorchBackend() registered it, and for inputs it does not cover;
 * the caller then runs its modules one by one.
 */
import * as tf from "@tensorflow/tfjs";
import { areChannelVectors, gradientFreeKernelAvailable } from "./fused-kernel-available";
import { torchConvBatchNormRelu } from "./fused-kernel-names";
import type { RunningBatchNorm } from "./running-batch-norm";

export interface ConvBatchNormReluInputs extends RunningBatchNorm {
  x: tf.Tensor;
  /** [h, w, in, out], as tf.conv2d takes it. */
  filter: tf.Tensor;
  strides: number;
  /** Symmetric zero padding of height and width. */
  padding: number;
  relu: boolean;
  /** Added after the BatchNorm, before the ReLU (a residual block's shortcut). */
  residual?: tf.Tensor;
}

export function convBatchNormReluOnTorch(inputs: ConvBatchNormReluInputs): tf.Tensor | undefined {
  if (!gradientFreeKernelAvailable(torchConvBatchNormRelu)) return undefined;
  const { x, filter, mean, variance, offset, scale, residual } = inputs;
  const perChannel = areChannelVectors([mean, variance, offset, scale], filter.shape[3]);
  if (x.rank !== 4 || filter.rank !== 4 || x.dtype !== "float32" || filter.dtype !== "float32" || x.shape[3] !== filter.shape[2] || !perChannel) return undefined;
  if (residual && residual.dtype !== "float32") return undefined;
  const p = inputs.padding;
  const attrs = { strides: inputs.strides, pad: p === 0 ? "valid" : [[0, 0], [p, p], [p, p], [0, 0]], varianceEpsilon: inputs.eps, relu: inputs.relu };
  const tensors: tf.NamedTensorMap = residual ? { x, filter, mean, variance, offset, scale, residual } : { x, filter, mean, variance, offset, scale };
  return tf.engine().runKernel(torchConvBatchNormRelu, tensors, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor;
}
