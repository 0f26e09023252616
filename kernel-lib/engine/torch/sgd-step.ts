/**
 * One SGD parameter update as a single TorchSgdStep kernel on backend "torch" (see kernels/sgd-step.ts),
 * for kernel-lib/train/sgd.ts. Answers undefined on other backends, before loadTorchBackend() registered
 * the kernel, and for dtypes or shapes it does not cover; the caller then keeps its TF.js op path.
 */
import * as tf from "@tensorflow/tfjs";
import { fusedKernelAvailable } from "./fused-kernel-available";
import { torchSgdStep } from "./fused-kernel-names";
import type { SgdStepAttrs } from "./kernels/sgd-step";

export type { SgdStepAttrs } from "./kernels/sgd-step";

/** New parameter and, when momentum is on, the new momentum buffer (both fresh tensors). */
export function sgdStepOnTorch(
  parameter: tf.Tensor,
  grad: tf.Tensor,
  momentumBuffer: tf.Tensor | undefined,
  attrs: SgdStepAttrs,
): { parameter: tf.Tensor; momentumBuffer?: tf.Tensor } | undefined {
  if (!fusedKernelAvailable(torchSgdStep)) return undefined;
  const tensors = momentumBuffer === undefined ? [parameter, grad] : [parameter, grad, momentumBuffer];
  if (tensors.some((tensor) => tensor.dtype !== "float32" || !tf.util.arraysEqual(tensor.shape, parameter.shape))) return undefined;
  const inputs: tf.NamedTensorMap = momentumBuffer === undefined ? { param: parameter, grad } : { param: parameter, grad, momentumBuffer };
  const outputs = tf.engine().runKernel(torchSgdStep, inputs, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
  return attrs.momentum === 0 ? { parameter: outputs[0] } : { parameter: outputs[0], momentumBuffer: outputs[1] };
}
