/**
 * Training-mode BatchNorm as one ATen call each way, as PyTorch runs it: aten::native_batch_norm computes
 * the batch statistics, normalises, and updates (copies of) the running statistics with PyTorch's momentum
 * rule and unbiased variance; aten::native_batch_norm_backward is its fused gradient. The generic TF.js
 * path (tf.moments, then FusedBatchNorm) reads and writes the activation about three more times per layer.
 * Used by kernel-lib/engine/torch/training-batch-norm.ts; the gradient is registered in gradients.ts.
 */
import * as tf from "@tensorflow/tfjs";
import { aten } from "../aten";
import { TensorHandle } from "../native-addon";
import { nchwAsNhwc, nhwcAsNchw } from "./layout";
import { input, torchKernel } from "./torch-kernel";

import { torchTrainingBatchNorm, torchTrainingBatchNormGrad } from "../fused-kernel-names";

export { torchTrainingBatchNorm, torchTrainingBatchNormGrad };

export interface TrainingBatchNormAttrs {
  varianceEpsilon: number;
  /** Weight of the new batch statistic in the running ones (PyTorch's momentum). */
  momentum: number;
}

export const trainingBatchNormKernels: tf.KernelConfig[] = [
  // NHWC x, per-channel [C] scale/offset/running statistics -> [y, batch mean, batch invstd, new running
  // mean, new running variance]. The running statistics are cloned first: TF.js tensors are immutable.
  torchKernel(torchTrainingBatchNorm, (inputs, backend, attrs: TrainingBatchNormAttrs) => {
    const x = input(inputs, "x", torchTrainingBatchNorm);
    const [scale, offset, runningMean, runningVar] = ["scale", "offset", "runningMean", "runningVar"].map((name) => input(inputs, name, torchTrainingBatchNorm));
    const channels = x.shape[3];
    const newRunningMean = aten("clone").tensor(backend.handleOf(runningMean));
    const newRunningVar = aten("clone").tensor(backend.handleOf(runningVar));
    const channelsFirst = nhwcAsNchw(backend.handleOf(x));
    const [normalized, saveMean, saveInvstd] = aten("native_batch_norm").tensors(channelsFirst, backend.handleOf(scale), backend.handleOf(offset),
      newRunningMean, newRunningVar, true, attrs.momentum, attrs.varianceEpsilon);
    const y = nchwAsNhwc(normalized);
    backend.free(channelsFirst, normalized);
    return [
      backend.output(y, [...x.shape], "float32"),
      backend.output(saveMean, [channels], "float32"),
      backend.output(saveInvstd, [channels], "float32"),
      backend.output(newRunningMean, [channels], "float32"),
      backend.output(newRunningVar, [channels], "float32"),
    ];
  }),

  // [dx, dscale, doffset] from dy, x, scale and the forward's batch mean and invstd (PyTorch's training
  // gradient: dx includes the paths through the batch statistics).
  torchKernel(torchTrainingBatchNormGrad, (inputs, backend, attrs: TrainingBatchNormAttrs) => {
    const [dy, x, scale, saveMean, saveInvstd] = ["dy", "x", "scale", "saveMean", "saveInvstd"].map((name) => input(inputs, name, torchTrainingBatchNormGrad));
    const dyChannelsFirst = nhwcAsNchw(backend.handleOf(dy));
    const xChannelsFirst = nhwcAsNchw(backend.handleOf(x));
    const [dxChannelsFirst, dscale, doffset] = aten("native_batch_norm_backward").tensors(dyChannelsFirst, xChannelsFirst, backend.handleOf(scale), null, null,
      backend.handleOf(saveMean), backend.handleOf(saveInvstd), true, attrs.varianceEpsilon, [true, true, true]);
    const dx: TensorHandle = nchwAsNhwc(dxChannelsFirst);
    backend.free(dyChannelsFirst, xChannelsFirst, dxChannelsFirst);
    return [backend.output(dx, [...x.shape], "float32"), backend.output(dscale, [...scale.shape], "float32"), backend.output(doffset, [...scale.shape], "float32")];
  }),
];
