/** Batch normalization (inference form, as TF.js defines the kernel; fused with ReLU for eval-mode blocks) and softmax. */
import * as tf from "@tensorflow/tfjs";
import { aten } from "../aten";
import { TensorHandle } from "../native-addon";
import { TorchBackend } from "../backend";
import { nchwAsNhwc, nhwcAsNchw } from "./layout";
import { input, sizeOf, torchKernel } from "./torch-kernel";
import { torchBatchNormRelu } from "../fused-kernel-names";
import { addResidualThenRelu } from "./add-relu";

/** A per-channel parameter: numel C and every axis but the last of size 1 ([C], [1,1,1,C]...). */
function isPerChannel(info: tf.TensorInfo | undefined, channels: number): boolean {
  if (!info) return true;
  return sizeOf(info.shape) === channels && (info.shape.length === 0 ? channels === 1 : info.shape[info.shape.length - 1] === channels);
}

/** A per-channel parameter as ATen's [C]; `view` when a reshape had to be made (the caller frees it). */
function flatChannels(backend: TorchBackend, info: tf.TensorInfo | undefined): { handle: TensorHandle | null; view: boolean } {
  if (!info) return { handle: null, view: false };
  // Already [C] (BatchNorm2d's parameters): the stored tensor itself, no view to make and free.
  if (info.shape.length === 1) return { handle: backend.handleOf(info), view: false };
  return { handle: aten("reshape").tensor(backend.handleOf(info), [-1]), view: true };
}

/** (x - mean) * rsqrt(variance + eps) * scale + offset with TF.js broadcasting, for unusual shapes. */
function broadcastBatchNorm(backend: TorchBackend, x: tf.TensorInfo, mean: tf.TensorInfo, variance: tf.TensorInfo, offset: tf.TensorInfo | undefined, scale: tf.TensorInfo | undefined, epsilon: number): TensorHandle {
  const shifted = aten("add", "Scalar").tensor(backend.handleOf(variance), epsilon);
  let factor = aten("rsqrt").tensor(shifted);
  backend.free(shifted);
  if (scale) {
    const scaled = aten("mul", "Tensor").tensor(factor, backend.handleOf(scale));
    backend.free(factor);
    factor = scaled;
  }
  const centered = aten("sub", "Tensor").tensor(backend.handleOf(x), backend.handleOf(mean));
  let result = aten("mul", "Tensor").tensor(centered, factor);
  backend.free(centered, factor);
  if (offset) {
    const withOffset = aten("add", "Tensor").tensor(result, backend.handleOf(offset));
    backend.free(result);
    result = withOffset;
  }
  return result;
}

/**
 * ATen's inference batch_norm on a 4-D NHWC (viewed as channels_last NCHW) or 2-D x with per-channel
 * parameters: a fresh tensor in x's layout, as ATen's [N, C, ...] (the caller views it back).
 */
function runningStatisticsBatchNorm(backend: TorchBackend, x: tf.TensorInfo, params: Array<tf.TensorInfo | undefined>, epsilon: number): TensorHandle {
  const flat = params.map((info) => flatChannels(backend, info));
  const [meanFlat, varianceFlat, offsetFlat, scaleFlat] = flat.map((parameter) => parameter.handle);
  const channelsFirst = x.shape.length === 4 ? nhwcAsNchw(backend.handleOf(x)) : aten("alias").tensor(backend.handleOf(x));
  const normalized = aten("batch_norm").tensor(channelsFirst, scaleFlat, offsetFlat, meanFlat, varianceFlat, false, 0.1, epsilon, true);
  backend.free(channelsFirst, ...flat.filter((parameter) => parameter.view).map((parameter) => parameter.handle as TensorHandle));
  return normalized;
}

export const normalizationKernels: tf.KernelConfig[] = [
  torchKernel("FusedBatchNorm", (inputs, backend, attrs: tf.FusedBatchNormAttrs) => {
    const x = input(inputs, "x", "FusedBatchNorm");
    const mean = input(inputs, "mean", "FusedBatchNorm");
    const variance = input(inputs, "variance", "FusedBatchNorm");
    const { offset, scale } = inputs;
    const channels = x.shape[x.shape.length - 1];
    const params = [mean, variance, offset, scale];
    const outShape = params.reduce<number[]>((shape, info) => (info ? tf.broadcast_util.assertAndGetBroadcastShape(shape, info.shape) : shape), x.shape);
    const fastPath = (x.shape.length === 4 || x.shape.length === 2) && params.every((info) => isPerChannel(info, channels)) && outShape.length === x.shape.length;
    if (!fastPath) return backend.output(broadcastBatchNorm(backend, x, mean, variance, offset, scale, attrs.varianceEpsilon), outShape, "float32");
    const normalized = runningStatisticsBatchNorm(backend, x, params, attrs.varianceEpsilon);
    const result = x.shape.length === 4 ? nchwAsNhwc(normalized) : aten("alias").tensor(normalized);
    backend.free(normalized);
    return backend.output(result, [...x.shape], "float32");
  }),

  // relu(batchNorm(x) [+ residual]) on running statistics, for kernel-lib/models' eval-mode blocks: the
  // normalised tensor is this kernel's own, so the residual is added and the result rectified in place
  // (as PyTorch's `out += identity; relu_(out)`), where three kernels would write three fresh tensors.
  torchKernel(torchBatchNormRelu, (inputs, backend, attrs: tf.FusedBatchNormAttrs) => {
    const x = input(inputs, "x", torchBatchNormRelu);
    const params = ["mean", "variance", "offset", "scale"].map((name) => input(inputs, name, torchBatchNormRelu));
    const { residual } = inputs;
    const channels = x.shape[3];
    if (x.shape.length !== 4 || !params.every((info) => info.shape.length === 1 && info.shape[0] === channels)
      || (residual && !tf.util.arraysEqual(residual.shape, x.shape))) {
      throw new Error(`torch backend: ${torchBatchNormRelu} takes NHWC x, per-channel [C] parameters and a residual of x's shape; got x [${x.shape}]`);
    }
    const normalized = runningStatisticsBatchNorm(backend, x, params, attrs.varianceEpsilon);
    addResidualThenRelu(backend, normalized, residual, true);
    const result = nchwAsNhwc(normalized);
    backend.free(normalized);
    return backend.output(result, [...x.shape], "float32");
  }),

  torchKernel("Softmax", (inputs, backend, attrs: tf.SoftmaxAttrs) => {
    const logits = input(inputs, "logits", "Softmax");
    return backend.output(aten("softmax", "int").tensor(backend.handleOf(logits), attrs.dim, null), [...logits.shape], "float32");
  }),
];
