/**
 * relu(a + b) for same-shape float32 tensors (a residual block's output) in one new tensor written in one
 * pass (aten::_add_relu), where tf.relu(tf.add(a, b)) allocates and writes two. Used by
 * kernel-lib/engine/torch/add-relu.ts; its gradient (registered in gradients.ts) is dy masked by the
 * output, the same for a and b.
 */
import * as tf from "@tensorflow/tfjs";
import { aten } from "../aten";
import { input, torchKernel } from "./torch-kernel";

import { torchAddRelu } from "../fused-kernel-names";

export { torchAddRelu };

export const addReluKernels: tf.KernelConfig[] = [
  torchKernel(torchAddRelu, (inputs, backend) => {
    const a = input(inputs, "a", torchAddRelu);
    const b = input(inputs, "b", torchAddRelu);
    // ATen's add-clamp kernel: the sum and the ReLU in one pass into one fresh tensor.
    return backend.output(aten("_add_relu", "Tensor").tensor(backend.handleOf(a), backend.handleOf(b)), [...a.shape], "float32");
  }),
];
