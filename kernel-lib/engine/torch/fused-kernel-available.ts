import * as tf from "@tensorflow/tfjs";
import { torchBackendName } from "./fused-kernel-names";

/**
 * Whether a fused engine-only kernel can run now: backend torch is active and loadTorchBackend()
 * registered `kernelName`. The kernel-lib callers (BatchNorm2d, residual blocks, SGD) keep their
 * plain TF.js path otherwise.
 */
export function fusedKernelAvailable(kernelName: string): boolean {
  return tf.getBackend() === torchBackendName && tf.getKernel(kernelName, torchBackendName) !== undefined;
}

/** As fusedKernelAvailable, for kernels without a gradient: also no gradient tape may be recording. */
export function gradientFreeKernelAvailable(kernelName: string): boolean {
  return tf.engine().state.gradientDepth === 0 && fusedKernelAvailable(kernelName);
}

/** Whether every tensor is a float32 [channels] vector (BatchNorm's parameters and statistics). */
export function areChannelVectors(tensors: readonly tf.Tensor[], channels: number | undefined): boolean {
  return tensors.every((tensor) => tensor.rank === 1 && tensor.shape[0] === channels && tensor.dtype === "float32");
}
