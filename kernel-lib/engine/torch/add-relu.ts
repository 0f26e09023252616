/**
 * relu(a + b) as one kernel on backend "torch" (see kernels/add-relu.ts), for kernel-lib/models' residual
 * blocks. Answers undefined on other backends, before loadTorchBackend() registered the kernel, and for
 * shapes or dtypes it does not cover; the caller then keeps tf.relu(tf.add(a, b)).
 */
import * as tf from "@tensorflow/tfjs";
import { fusedKernelAvailable } from "./fused-kernel-available";
import { torchAddRelu } from "./fused-kernel-names";

export function addReluOnTorch(a: tf.Tensor, b: tf.Tensor): tf.Tensor | undefined {
  if (!fusedKernelAvailable(torchAddRelu)) return undefined;
  if (a.dtype !== "float32" || b.dtype !== "float32" || !tf.util.arraysEqual(a.shape, b.shape)) return undefined;
  return tf.engine().runKernel(torchAddRelu, { a, b }, {}) as unknown as tf.Tensor;
}
