/**
 * relu(a + b) for same-shape float32 tensors (a residual block's output) in one new tensor written in one
 * pass (aten::_add_relu), where tf.relu(tf.add(a, b)) allocates and writes two. Used by
 * kernel-lib/engine/torch/add-relu.ts; its gradient (registered in gradients.ts) is dy masked by the
 * output, the same for a and b.
 */
import * as tf from "@tensorflow/tfjs";
import { aten } from "../aten";
import { TensorHandle } from "../native-addon";
import { TorchBackend } from "../backend";
import { nhwcAsNchw } from "./layout";
import { input, torchKernel } from "./torch-kernel";

import { torchAddRelu } from "../fused-kernel-names";

export { torchAddRelu };

const addInPlace = aten("add_", "Tensor");
const reluInPlace = aten("relu_");
const addReluInPlace = aten("_add_relu_", "Tensor");

/**
 * The tail of an eval-mode block on a fresh NCHW tensor the calling kernel owns (it is written in place):
 * `+ residual` (an NHWC tensor of the same shape) and/or ReLU, the two in one pass (ATen's add-clamp kernel).
 */
export function addResidualThenRelu(backend: TorchBackend, own: TensorHandle, residual: tf.TensorInfo | undefined, relu: boolean): void {
  if (residual) {
    const residualNchw = nhwcAsNchw(backend.handleOf(residual));
    backend.free((relu ? addReluInPlace : addInPlace).tensor(own, residualNchw), residualNchw);
  } else if (relu) {
    backend.free(reluInPlace.tensor(own));
  }
}

export const addReluKernels: tf.KernelConfig[] = [
  torchKernel(torchAddRelu, (inputs, backend) => {
    const a = input(inputs, "a", torchAddRelu);
    const b = input(inputs, "b", torchAddRelu);
    // ATen's add-clamp kernel: the sum and the ReLU in one pass into one fresh tensor.
    return backend.output(aten("_add_relu", "Tensor").tensor(backend.handleOf(a), backend.handleOf(b)), [...a.shape], "float32");
  }),
];
