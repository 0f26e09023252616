/**
 * relu(a + b) for same-shape float32 tensors (a residual block's output) in one new tensor: the sum is
 * written once and rectified in place, where tf.relu(tf.add(a, b)) allocates and writes two. Used by
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
    const sum = aten("add", "Tensor").tensor(backend.handleOf(a), backend.handleOf(b));
    // The sum is this kernel's own fresh tensor, so rectifying it in place is safe; relu_ returns it again.
    backend.free(aten("relu_").tensor(sum));
    return backend.output(sum, [...a.shape], "float32");
  }),
];
