/**
 * Training-mode BatchNorm on backend "torch" in one fused kernel each way (see
 * kernels/training-batch-norm.ts), for kernel-lib/models' BatchNorm2d. On any other backend, or before
 * loadTorchBackend() registered the kernel, it answers undefined and the caller keeps its TF.js path.
 */
import * as tf from "@tensorflow/tfjs";
import { areChannelVectors, fusedKernelAvailable } from "./fused-kernel-available";
import { torchTrainingBatchNorm } from "./fused-kernel-names";

export interface TrainingBatchNormResult {
  /** The normalised, scaled and shifted activation (NHWC, x's shape). */
  y: tf.Tensor4D;
  /** Running statistics after this batch: (1 - momentum) * old + momentum * batch (unbiased variance). */
  runningMean: tf.Tensor1D;
  runningVar: tf.Tensor1D;
}

export interface TrainingBatchNormInputs {
  x: tf.Tensor4D;
  scale: tf.Tensor1D;
  offset: tf.Tensor1D;
  runningMean: tf.Tensor1D;
  runningVar: tf.Tensor1D;
  momentum: number;
  eps: number;
}

export function trainingBatchNormOnTorch(inputs: TrainingBatchNormInputs): TrainingBatchNormResult | undefined {
  if (!fusedKernelAvailable(torchTrainingBatchNorm)) return undefined;
  const { x, scale, offset, runningMean, runningVar } = inputs;
  if (x.rank !== 4 || x.dtype !== "float32" || !areChannelVectors([scale, offset, runningMean, runningVar], x.shape[3])) return undefined;
  const [y, saveMean, saveInvstd, newRunningMean, newRunningVar] = tf.engine().runKernel(torchTrainingBatchNorm, { x, scale, offset, runningMean, runningVar },
    { varianceEpsilon: inputs.eps, momentum: inputs.momentum }) as unknown as tf.Tensor[];
  // The batch statistics are saved by the gradient (outputsToSave); the caller's tidy disposes them here.
  tf.dispose([saveMean, saveInvstd]);
  return { y: y as tf.Tensor4D, runningMean: newRunningMean as tf.Tensor1D, runningVar: newRunningVar as tf.Tensor1D };
}
