/**
 * Reductions over TF.js axis attributes. An empty axis list reduces nothing in TF.js but everything in
 * ATen, so it is handled before reaching ATen.
 */
import * as tf from "@tensorflow/tfjs";
import { aten } from "../aten";
import { atenScalarType, TensorHandle } from "../native-addon";
import { TensorOrigin, TorchBackend } from "../backend";
import { castHandle } from "./elementwise";
import { input, normalizeAxes, sizeOf, torchKernel } from "./torch-kernel";

function reducedShape(shape: number[], axes: number[], keepDims: boolean): number[] {
  if (keepDims) return shape.map((dimension, axis) => (axes.includes(axis) ? 1 : dimension));
  return shape.filter((_, axis) => !axes.includes(axis));
}

type ReduceNative = (backend: TorchBackend, x: TensorHandle, axes: number[], keepDims: boolean, dtype: tf.DataType) => TensorHandle;

/** Reductions that map an all-zero non-empty input to zeros (sum and mean; not prod of an empty axis). */
const zeroPreserving = new Set(["Sum", "Mean"]);

function reductionKernel(kernelName: string, axisAttribute: "axis" | "reductionIndices", outputDtype: (x: tf.DataType) => tf.DataType, native: ReduceNative): tf.KernelConfig {
  return torchKernel(kernelName, (inputs, backend, attrs: tf.NamedAttrMap) => {
    const x = input(inputs, "x", kernelName);
    const axes = normalizeAxes(attrs[axisAttribute] as number | number[], x.shape.length);
    const keepDims = Boolean(attrs.keepDims);
    const dtype = outputDtype(x.dtype);
    const xHandle = backend.handleOf(x);
    const shape = reducedShape(x.shape, axes, keepDims);
    if (zeroPreserving.has(kernelName) && backend.isZeros(x) && sizeOf(x.shape) > 0) return backend.zeros(shape, dtype);
    if (axes.length === 0) return backend.output(castHandle(xHandle, dtype), [...x.shape], dtype);
    const output = backend.output(native(backend, xHandle, axes, keepDims, dtype), shape, dtype);
    if (kernelName === "Mean") backend.setOrigin(output, batchStatisticOrigin(backend, x, axes));
    return output;
  });
}

/** tf.moments' mean (of x) and variance (mean of the centered square) over every axis but the channels. */
function batchStatisticOrigin(backend: TorchBackend, x: tf.TensorInfo, axes: number[]): TensorOrigin | undefined {
  const overAllButChannels = (x.shape.length === 4 || x.shape.length === 2) && axes.length === x.shape.length - 1 && axes.every((axis, index) => axis === index);
  if (!overAllButChannels || x.dtype !== "float32") return undefined;
  const origin = backend.originOf(x);
  if (origin?.kind === "centeredSquare") return { kind: "batchVariance", source: origin.source };
  return { kind: "batchMean", source: backend.valueRoot(x) };
}

/** For ATen reductions that take one dim at a time: reduce the highest axis first so indices stay valid. */
function reduceAxisByAxis(backend: TorchBackend, x: TensorHandle, axes: number[], keepDims: boolean, reduceOne: (handle: TensorHandle, axis: number) => TensorHandle): TensorHandle {
  let current = aten("alias").tensor(x);
  for (const axis of [...axes].sort((a, b) => b - a)) {
    const next = reduceOne(current, axis);
    backend.free(current);
    current = next;
  }
  if (!keepDims) return current;
  // keepDims: reinsert the reduced axes as size 1.
  let expanded = current;
  for (const axis of [...axes].sort((a, b) => a - b)) {
    const next = aten("unsqueeze").tensor(expanded, axis);
    backend.free(expanded);
    expanded = next;
  }
  return expanded;
}

const sumOutputDtype = (dtype: tf.DataType): tf.DataType => (dtype === "float32" ? "float32" : "int32");
const sameDtype = (dtype: tf.DataType): tf.DataType => dtype;
const scalarTypeOf = (dtype: tf.DataType): number => (dtype === "float32" ? atenScalarType.float32 : dtype === "int32" ? atenScalarType.int32 : atenScalarType.bool);

function argReduction(kernelName: "ArgMax" | "ArgMin", name: string): tf.KernelConfig {
  return torchKernel(kernelName, (inputs, backend, attrs: tf.ArgMaxAttrs) => {
    const x = input(inputs, "x", kernelName);
    const [axis] = normalizeAxes(attrs.axis, x.shape.length);
    const indices = aten(name).tensor(backend.handleOf(x), axis, false);
    const asInt = castHandle(indices, "int32");
    backend.free(indices);
    return backend.output(asInt, x.shape.filter((_, index) => index !== axis), "int32");
  });
}

export const reductionKernels: tf.KernelConfig[] = [
  reductionKernel("Sum", "axis", sumOutputDtype, (_backend, x, axes, keepDims, dtype) => aten("sum", "dim_IntList").tensor(x, axes, keepDims, scalarTypeOf(dtype))),
  reductionKernel("Mean", "axis", sameDtype, (backend, x, axes, keepDims, dtype) => {
    if (dtype === "float32") return aten("mean", "dim").tensor(x, axes, keepDims);
    // TF.js truncates an integer mean.
    const asFloat = castHandle(x, "float32");
    const mean = aten("mean", "dim").tensor(asFloat, axes, keepDims);
    const truncated = aten("trunc").tensor(mean);
    const result = castHandle(truncated, dtype);
    backend.free(asFloat, mean, truncated);
    return result;
  }),
  reductionKernel("Max", "reductionIndices", sameDtype, (_backend, x, axes, keepDims) => aten("amax").tensor(x, axes, keepDims)),
  reductionKernel("Min", "axis", sameDtype, (_backend, x, axes, keepDims) => aten("amin").tensor(x, axes, keepDims)),
  reductionKernel("Prod", "axis", sumOutputDtype, (backend, x, axes, keepDims, dtype) =>
    reduceAxisByAxis(backend, x, axes, keepDims, (handle, axis) => aten("prod", "dim_int").tensor(handle, axis, false, scalarTypeOf(dtype)))),
  reductionKernel("All", "axis", () => "bool", (backend, x, axes, keepDims) =>
    reduceAxisByAxis(backend, x, axes, keepDims, (handle, axis) => aten("all", "dim").tensor(handle, axis, false))),
  reductionKernel("Any", "axis", () => "bool", (backend, x, axes, keepDims) =>
    reduceAxisByAxis(backend, x, axes, keepDims, (handle, axis) => aten("any", "dim").tensor(handle, axis, false))),
  argReduction("ArgMax", "argmax"),
  argReduction("ArgMin", "argmin"),
];
