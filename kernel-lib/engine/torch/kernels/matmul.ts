/** BatchMatMul and its fused variant: ATen's matmul broadcasts batch axes like TF.js. */
import * as tf from "@tensorflow/tfjs";
import { aten } from "../aten";
import { TensorHandle } from "../native-addon";
import { TorchBackend } from "../backend";
import { applyActivation, isSupportedActivation } from "./activation";
import { input, runOnCpu, torchKernel } from "./torch-kernel";

function matmulShape(a: number[], b: number[], transposeA: boolean, transposeB: boolean): number[] {
  const rows = transposeA ? a[a.length - 1] : a[a.length - 2];
  const columns = transposeB ? b[b.length - 2] : b[b.length - 1];
  const batch = tf.broadcast_util.assertAndGetBroadcastShape(a.slice(0, -2), b.slice(0, -2));
  return [...batch, rows, columns];
}

function multiply(backend: TorchBackend, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): TensorHandle {
  const left = transposeA ? aten("transpose", "int").tensor(backend.handleOf(a), -2, -1) : aten("alias").tensor(backend.handleOf(a));
  const right = transposeB ? aten("transpose", "int").tensor(backend.handleOf(b), -2, -1) : aten("alias").tensor(backend.handleOf(b));
  const product = aten("matmul").tensor(left, right);
  backend.free(left, right);
  return product;
}

export const matmulKernels: tf.KernelConfig[] = [
  torchKernel("BatchMatMul", (inputs, backend, attrs: tf.BatchMatMulAttrs) => {
    const a = input(inputs, "a", "BatchMatMul");
    const b = input(inputs, "b", "BatchMatMul");
    const handle = multiply(backend, a, b, attrs.transposeA, attrs.transposeB);
    return backend.output(handle, matmulShape(a.shape, b.shape, attrs.transposeA, attrs.transposeB), a.dtype);
  }),

  torchKernel("_FusedMatMul", (inputs, backend, attrs: tf._FusedMatMulAttrs) => {
    if (inputs.preluActivationWeights || !isSupportedActivation(attrs.activation)) return runOnCpu;
    const a = input(inputs, "a", "_FusedMatMul");
    const b = input(inputs, "b", "_FusedMatMul");
    let handle = multiply(backend, a, b, attrs.transposeA, attrs.transposeB);
    let shape = matmulShape(a.shape, b.shape, attrs.transposeA, attrs.transposeB);
    if (inputs.bias) {
      const withBias = aten("add", "Tensor").tensor(handle, backend.handleOf(inputs.bias));
      backend.free(handle);
      handle = withBias;
      shape = tf.broadcast_util.assertAndGetBroadcastShape(shape, inputs.bias.shape);
    }
    const activated = applyActivation(backend, handle, attrs.activation, attrs.leakyreluAlpha);
    if (activated !== handle) backend.free(handle);
    return backend.output(activated, shape, a.dtype);
  }),
];
