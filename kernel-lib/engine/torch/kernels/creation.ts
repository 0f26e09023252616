/** Kernels that make new tensors from attributes. */
import * as tf from "@tensorflow/tfjs";
import { aten } from "../aten";
import { atenScalarType } from "../native-addon";
import { input, runOnCpu, torchKernel } from "./torch-kernel";
import { castHandle } from "./elementwise";

export const creationKernels: tf.KernelConfig[] = [
  torchKernel("Fill", (_inputs, backend, attrs: tf.FillAttrs) => {
    if (attrs.dtype === "string" || typeof attrs.value === "string" || attrs.dtype === "complex64") return runOnCpu;
    const scalarType = attrs.dtype === "int32" ? atenScalarType.int32 : attrs.dtype === "bool" ? atenScalarType.bool : atenScalarType.float32;
    // int32 fills truncate like TF.js's Int32Array.
    const value = attrs.dtype === "int32" ? Math.trunc(attrs.value) : attrs.value;
    return backend.output(aten("full").tensor(attrs.shape, value, scalarType, null, backend.device), [...attrs.shape], attrs.dtype ?? "float32");
  }),

  // Out-of-range indices give an all-off row in TF.js (torch's one_hot would throw): compare with 0..depth-1.
  torchKernel("OneHot", (inputs, backend, attrs: tf.OneHotAttrs) => {
    const indices = input(inputs, "indices", "OneHot");
    const positions = aten("arange", "start").tensor(0, attrs.depth, atenScalarType.int32, null, backend.device);
    const column = aten("unsqueeze").tensor(backend.handleOf(indices), -1);
    const hot = aten("eq", "Tensor").tensor(column, positions);
    const values = aten("where", "Scalar").tensor(hot, attrs.onValue, attrs.offValue);
    const typed = castHandle(values, attrs.dtype);
    backend.free(positions, column, hot, values);
    return backend.output(typed, [...indices.shape, attrs.depth], attrs.dtype);
  }),
];
