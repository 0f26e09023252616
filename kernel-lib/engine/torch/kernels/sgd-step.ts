/**
 * One torch.optim.SGD update of one parameter (weight decay, momentum with dampening, Nesterov, maximize)
 * as ATen calls with scalar alphas: the new parameter and the new momentum buffer are each written once
 * into fresh tensors. The TF.js op path allocates a tensor per mul/add (~6 per parameter per step).
 * Inputs are never written: TF.js tensors are immutable and may be shared (the buffer is also the
 * optimizer's saved state). Used by kernel-lib/engine/torch/sgd-step.ts; no gradient (optimizer only).
 */
import * as tf from "@tensorflow/tfjs";
import { aten } from "../aten";
import { TensorHandle } from "../native-addon";
import { input, torchKernel } from "./torch-kernel";

import { torchSgdStep } from "../fused-kernel-names";

export { torchSgdStep };

export interface SgdStepAttrs {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

const addScaled = aten("add", "Tensor"); // self + alpha * other, fresh
const addScaledInPlace = aten("add_", "Tensor");
const multiplyByScalar = aten("mul", "Scalar");
const multiplyInPlace = aten("mul_", "Scalar");
const negate = aten("neg");
const clone = aten("clone");

export const sgdStepKernels: tf.KernelConfig[] = [
  // param, grad[, momentumBuffer] -> [new param] (momentum 0) or [new param, new buffer]. Without a
  // buffer input the momentum buffer starts as a copy of the direction, as PyTorch's first step does.
  torchKernel(torchSgdStep, (inputs, backend, attrs: SgdStepAttrs) => {
    const parameter = input(inputs, "param", torchSgdStep);
    const grad = input(inputs, "grad", torchSgdStep);
    const parameterHandle = backend.handleOf(parameter);
    const temporaries: TensorHandle[] = [];
    // direction = (maximize ? -grad : grad) + weightDecay * param; `owned` when it is this kernel's tensor.
    let direction = backend.handleOf(grad);
    let owned = false;
    if (attrs.maximize) {
      direction = negate.tensor(direction);
      owned = true;
    }
    if (attrs.weightDecay !== 0) {
      const decayed = addScaled.tensor(direction, parameterHandle, attrs.weightDecay);
      if (owned) backend.free(direction);
      direction = decayed;
      owned = true;
    }
    let buffer: TensorHandle | undefined;
    if (attrs.momentum !== 0) {
      const previous = inputs.momentumBuffer;
      if (!previous) {
        buffer = owned ? direction : clone.tensor(direction);
      } else if (owned && !attrs.nesterov) {
        // The direction is this kernel's own temporary and not needed afterwards: turn it into the buffer
        // in place (one tensor fewer than the formula below).
        if (attrs.dampening !== 0) backend.free(multiplyInPlace.tensor(direction, 1 - attrs.dampening));
        backend.free(addScaledInPlace.tensor(direction, backend.handleOf(previous), attrs.momentum));
        buffer = direction;
      } else if (attrs.dampening === 0) {
        buffer = addScaled.tensor(direction, backend.handleOf(previous), attrs.momentum);
      } else {
        buffer = multiplyByScalar.tensor(backend.handleOf(previous), attrs.momentum);
        backend.free(addScaledInPlace.tensor(buffer, direction, 1 - attrs.dampening)); // buffer is ours
      }
      if (attrs.nesterov) {
        const nesterovDirection = addScaled.tensor(direction, buffer, attrs.momentum);
        if (owned && direction !== buffer) temporaries.push(direction);
        direction = nesterovDirection;
        owned = true;
      } else {
        if (owned && direction !== buffer) temporaries.push(direction);
        direction = buffer;
        owned = false; // the buffer is an output, not a temporary
      }
    }
    const newParameter = addScaled.tensor(parameterHandle, direction, -attrs.lr);
    if (owned && direction !== buffer) temporaries.push(direction);
    backend.free(...temporaries);
    const outputs = [backend.output(newParameter, [...parameter.shape], "float32")];
    if (buffer !== undefined) outputs.push(backend.output(buffer, [...parameter.shape], "float32"));
    return outputs;
  }),
];
