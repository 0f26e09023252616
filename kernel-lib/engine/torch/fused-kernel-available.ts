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
