/**
 * relu(batchNorm(x) [+ residual]) on running statistics as one kernel on backend "torch" (see
 * kernels/normalization.ts), for kernel-lib/models' BatchNorm2d in eval form. The kernel has no gradient:
 * it answers undefined while a gradient tape is recording (tf.grad, variableGrads, minimize), on other
 * backends, before loadTorchBackend() registered it, and for shapes it does not cover; the caller then
 * keeps its TF.js ops, whose gradients are known.
 */
import * as tf from "@tensorflow/tfjs";
import { areChannelVectors, gradientFreeKernelAvailable } from "./fused-kernel-available";
import { torchBatchNormRelu } from "./fused-kernel-names";
import type { RunningBatchNorm } from "./running-batch-norm";

export interface BatchNormReluInputs extends RunningBatchNorm {
  x: tf.Tensor;
  /** Added before the ReLU (a residual block's shortcut); x's shape. */
  residual?: tf.Tensor;
}

export function batchNormReluOnTorch(inputs: BatchNormReluInputs): tf.Tensor | undefined {
  if (!gradientFreeKernelAvailable(torchBatchNormRelu)) return undefined;
  const { x, mean, variance, offset, scale, residual } = inputs;
  if (x.rank !== 4 || x.dtype !== "float32" || !areChannelVectors([mean, variance, offset, scale], x.shape[3])) return undefined;
  if (residual && (residual.dtype !== "float32" || !tf.util.arraysEqual(residual.shape, x.shape))) return undefined;
  const tensors: tf.NamedTensorMap = residual ? { x, mean, variance, offset, scale, residual } : { x, mean, variance, offset, scale };
  return tf.engine().runKernel(torchBatchNormRelu, tensors, { varianceEpsilon: inputs.eps }) as unknown as tf.Tensor;
}
