/**
 * kernel-lib/models' eval-mode ResNet trunk (stem, max pool, BasicBlocks, average pool) as one kernel on
 * backend "torch" (kernels/resnet-trunk-eval.ts: oneDNN's blocked layout end to end, every BatchNorm folded
 * into its convolution). Answers undefined, and the caller runs its modules, while a gradient tape records,
 * on other backends or devices, without oneDNN, and for inputs it does not cover.
 */
import * as tf from "@tensorflow/tfjs";
import { areChannelVectors, gradientFreeKernelAvailable } from "./fused-kernel-available";
import { torchResNetTrunkEval, trunkInputNames } from "./fused-kernel-names";
import type { RunningBatchNorm } from "./running-batch-norm";

/** A convolution without bias followed by a BatchNorm on running statistics. */
export interface TrunkConvBatchNorm extends RunningBatchNorm {
  /** [h, w, in, out], as tf.conv2d takes it. */
  filter: tf.Tensor;
  stride: number;
  /** Symmetric zero padding (PyTorch's). */
  padding: number;
}

export interface ResNetTrunkInputs {
  /** NHWC float32. */
  x: tf.Tensor;
  stem: TrunkConvBatchNorm;
  maxPool: { kernelSize: number; stride: number; padding: number } | null;
  blocks: { conv1: TrunkConvBatchNorm; conv2: TrunkConvBatchNorm; downsample: TrunkConvBatchNorm | null }[];
}

interface MkldnnCapable {
  mkldnnTensorsAvailable?: () => boolean;
}

/** The pooled [batch, channels] features, or undefined where the kernel does not apply. */
export function resnetTrunkOnTorch(inputs: ResNetTrunkInputs): tf.Tensor2D | undefined {
  if (!gradientFreeKernelAvailable(torchResNetTrunkEval)) return undefined;
  if ((tf.backend() as MkldnnCapable).mkldnnTensorsAvailable?.() !== true) return undefined;
  const { x } = inputs;
  if (x.rank !== 4 || x.dtype !== "float32") return undefined;
  const convolutions: TrunkConvBatchNorm[] = [inputs.stem];
  const blocks: [number, number, number][] = [];
  const indexOf = (conv: TrunkConvBatchNorm): number => convolutions.push(conv) - 1;
  for (const block of inputs.blocks) blocks.push([indexOf(block.conv1), indexOf(block.conv2), block.downsample ? indexOf(block.downsample) : -1]);
  // Channels must chain (stem -> blocks); ATen would say so too, but a declined call costs nothing.
  let channels: number | undefined = x.shape[3];
  const fits = (conv: TrunkConvBatchNorm, inChannels: number | undefined): boolean =>
    conv.filter.rank === 4 && conv.filter.dtype === "float32" && conv.filter.shape[2] === inChannels && areChannelVectors([conv.mean, conv.variance, conv.offset, conv.scale], conv.filter.shape[3]);
  if (!fits(inputs.stem, channels)) return undefined;
  channels = inputs.stem.filter.shape[3];
  for (const block of inputs.blocks) {
    if (!fits(block.conv1, channels) || !fits(block.conv2, block.conv1.filter.shape[3])) return undefined;
    const outChannels = block.conv2.filter.shape[3];
    if (block.downsample ? !fits(block.downsample, channels) || block.downsample.filter.shape[3] !== outChannels : channels !== outChannels) return undefined;
    channels = outChannels;
  }
  const tensors: tf.NamedTensorMap = { x };
  convolutions.forEach((conv, index) => {
    const values = [conv.filter, conv.mean, conv.variance, conv.offset, conv.scale];
    trunkInputNames(index).forEach((name, at) => (tensors[name] = values[at]));
  });
  const attrs = {
    convolutions: convolutions.map(({ stride, padding, eps }) => ({ stride, padding, eps })),
    maxPool: inputs.maxPool ? [inputs.maxPool.kernelSize, inputs.maxPool.stride, inputs.maxPool.padding] : null,
    blocks,
  };
  return tf.engine().runKernel(torchResNetTrunkEval, tensors, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor2D;
}
