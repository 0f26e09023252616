/**
 * Kernels that exist only on backend "torch", used by kernel-lib/engine/torch/gradients.ts to compute in
 * one ATen call what TF.js's generic gradient formulas spread over many full-size kernels (the ReLU mask,
 * the BatchNorm gradient, the variance's squared difference, the Mean gradient's ones() tensor).
 */
import * as tf from "@tensorflow/tfjs";
import { aten } from "../aten";
import { TensorHandle } from "../native-addon";
import { TorchBackend } from "../backend";
import { nchwAsNhwc, nhwcAsNchw } from "./layout";
import { input, normalizeAxes, sizeOf, torchKernel } from "./torch-kernel";

export const torchReluGrad = "TorchReluGrad";
export const torchBatchNormGrad = "TorchBatchNormGrad";
export const torchSquaredDifferenceGrad = "TorchSquaredDifferenceGrad";
export const torchMeanGrad = "TorchMeanGrad";

function flat(backend: TorchBackend, info: tf.TensorInfo | undefined): TensorHandle | null {
  return info ? aten("reshape").tensor(backend.handleOf(info), [-1]) : null;
}

export const gradientKernels: tf.KernelConfig[] = [
  // dy where x > 0, else 0 — TF.js computes dy * cast(step(x)) in three full passes.
  torchKernel(torchReluGrad, (inputs, backend) => {
    const dy = input(inputs, "dy", torchReluGrad);
    const x = input(inputs, "x", torchReluGrad);
    return backend.output(aten("threshold_backward").tensor(backend.handleOf(dy), backend.handleOf(x), 0), [...x.shape], "float32");
  }),

  // Gradients of FusedBatchNorm with per-channel mean/variance/scale, as [dx, dmean, dvariance, dscale, doffset].
  // ATen's inference-mode batch-norm backward gives dx, dscale (= sum(dy*(x-mean))*invstd) and doffset in one
  // pass; dmean and dvariance follow from those per channel.
  //
  // With `batchStatistics` (mean and variance are tf.moments of this x), dx is instead PyTorch's full
  // training-mode gradient, which already contains the paths through mean and variance, so those two get
  // exact zeros: TF.js then propagates known zeros back through tf.moments, which costs nothing.
  torchKernel(torchBatchNormGrad, (inputs, backend, attrs: { varianceEpsilon: number; batchStatistics: boolean }) => {
    const dy = input(inputs, "dy", torchBatchNormGrad);
    const x = input(inputs, "x", torchBatchNormGrad);
    const mean = input(inputs, "mean", torchBatchNormGrad);
    const variance = input(inputs, "variance", torchBatchNormGrad);
    const scale = inputs.scale;
    const isImage = x.shape.length === 4;
    const xChannelsFirst = isImage ? nhwcAsNchw(backend.handleOf(x)) : aten("alias").tensor(backend.handleOf(x));
    const dyChannelsFirst = isImage ? nhwcAsNchw(backend.handleOf(dy)) : aten("alias").tensor(backend.handleOf(dy));
    const [meanFlat, varianceFlat, scaleFlat] = [mean, variance, scale].map((info) => flat(backend, info));
    const shifted = aten("add", "Scalar").tensor(varianceFlat as TensorHandle, attrs.varianceEpsilon);
    const invstd = aten("rsqrt").tensor(shifted);
    const [dxChannelsFirst, dscale, doffset] = attrs.batchStatistics
      ? aten("native_batch_norm_backward").tensors(dyChannelsFirst, xChannelsFirst, scaleFlat, null, null, meanFlat, invstd, true, attrs.varianceEpsilon, [true, true, true])
      : aten("native_batch_norm_backward").tensors(dyChannelsFirst, xChannelsFirst, scaleFlat, meanFlat, varianceFlat, null, null, false, attrs.varianceEpsilon, [true, true, true]);
    const scaledInvstd = scaleFlat === null ? aten("alias").tensor(invstd) : aten("mul", "Tensor").tensor(invstd, scaleFlat);
    // dmean = -doffset * scale * invstd; dvariance = -0.5 * scale * invstd^2 * dscale
    const meanProduct = aten("mul", "Tensor").tensor(doffset, scaledInvstd);
    const dmean = aten("neg").tensor(meanProduct);
    const halfInvstd = aten("mul", "Scalar").tensor(scaledInvstd, -0.5);
    const varianceFactor = aten("mul", "Tensor").tensor(halfInvstd, invstd);
    const dvariance = aten("mul", "Tensor").tensor(varianceFactor, dscale);
    const dx = isImage ? nchwAsNhwc(dxChannelsFirst) : aten("alias").tensor(dxChannelsFirst);
    const reshapeTo = (handle: TensorHandle, shape: number[]): TensorHandle => aten("reshape").tensor(handle, shape);
    const outputs = [
      backend.output(dx, [...x.shape], "float32"),
      attrs.batchStatistics ? backend.zeros(mean.shape, "float32") : backend.output(reshapeTo(dmean, mean.shape), [...mean.shape], "float32"),
      attrs.batchStatistics ? backend.zeros(mean.shape, "float32") : backend.output(reshapeTo(dvariance, mean.shape), [...mean.shape], "float32"),
      backend.output(reshapeTo(dscale, mean.shape), [...mean.shape], "float32"),
      backend.output(reshapeTo(doffset, mean.shape), [...mean.shape], "float32"),
    ];
    backend.free(xChannelsFirst, dyChannelsFirst, dxChannelsFirst, dscale, doffset, shifted, invstd, scaledInvstd, meanProduct, dmean, halfInvstd, varianceFactor, dvariance,
      ...[meanFlat, varianceFlat, scaleFlat].filter((handle): handle is TensorHandle => handle !== null));
    return outputs;
  }),

  // [2 * dy * (a - b) in one pass, and its negation already summed down to b's shape] for a of the
  // output's shape (b broadcasts, as the mean does in tf.moments).
  torchKernel(torchSquaredDifferenceGrad, (inputs, backend) => {
    const dy = input(inputs, "dy", torchSquaredDifferenceGrad);
    const a = input(inputs, "a", torchSquaredDifferenceGrad);
    const b = input(inputs, "b", torchSquaredDifferenceGrad);
    const gradientOfA = aten("mse_loss_backward").tensor(backend.handleOf(dy), backend.handleOf(a), backend.handleOf(b), 0);
    const summed = aten("sum_to_size").tensor(gradientOfA, b.shape);
    const gradientOfB = aten("neg").tensor(summed);
    backend.free(summed);
    return [backend.output(gradientOfA, [...a.shape], "float32"), backend.output(gradientOfB, [...b.shape], "float32")];
  }),

  // dy / N broadcast back over the reduced axes as an expanded view: no ones() tensor, no full-size pass.
  torchKernel(torchMeanGrad, (inputs, backend, attrs: { xShape: number[]; axis: number | number[] }) => {
    const dy = input(inputs, "dy", torchMeanGrad);
    if (backend.isZeros(dy)) return backend.zeros(attrs.xShape, "float32");
    const axes = normalizeAxes(attrs.axis, attrs.xShape.length);
    const keptShape = attrs.xShape.map((dimension, axis) => (axes.includes(axis) ? 1 : dimension));
    const reduceSize = sizeOf(attrs.xShape) / sizeOf(keptShape);
    const kept = aten("reshape").tensor(backend.handleOf(dy), keptShape);
    const divided = aten("div", "Scalar").tensor(kept, reduceSize);
    const expanded = aten("expand").tensor(divided, attrs.xShape);
    backend.free(kept, divided);
    return backend.output(expanded, [...attrs.xShape], "float32");
  }),
];
