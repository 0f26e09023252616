/**
 * Kernels that move data around without arithmetic. Reshape, Transpose, Slice and Identity return ATen
 * views: TF.js tensors are immutable, so sharing storage with the input is safe and free.
 */
import * as tf from "@tensorflow/tfjs";
import { aten } from "../aten";
import { TensorHandle } from "../native-addon";
import { TorchBackend } from "../backend";
import { input, normalizeAxes, runOnCpu, sizeOf, torchKernel } from "./torch-kernel";

function listInputs(inputs: tf.NamedTensorInfoMap): tf.TensorInfo[] {
  if (Array.isArray(inputs)) return inputs as tf.TensorInfo[];
  return Object.values(inputs).filter((info): info is tf.TensorInfo => info !== undefined);
}

/** Narrows `handle` to begin[i] .. begin[i] + size[i]*step[i] along each axis (one view per axis). */
function sliceView(backend: TorchBackend, handle: TensorHandle, shape: number[], begin: number[], size: number[], step?: number[]): TensorHandle {
  let current = aten("alias").tensor(handle);
  for (let axis = 0; axis < begin.length; axis++) {
    const stride = step ? step[axis] : 1;
    if (begin[axis] === 0 && size[axis] === shape[axis] && stride === 1) continue;
    const end = begin[axis] + (size[axis] - 1) * stride + 1;
    const next = aten("slice", "Tensor").tensor(current, axis, begin[axis], size[axis] === 0 ? begin[axis] : end, stride);
    backend.free(current);
    current = next;
  }
  return current;
}

export const shapeKernels: tf.KernelConfig[] = [
  torchKernel("Reshape", (inputs, backend, attrs: tf.ReshapeAttrs) => {
    const x = input(inputs, "x", "Reshape");
    const shape = tf.util.inferFromImplicitShape(attrs.shape, sizeOf(x.shape));
    const output = backend.output(aten("reshape").tensor(backend.handleOf(x), shape), shape, x.dtype);
    // Same values in another shape: zeros stay zeros, a batch mean stays that batch mean.
    const origin = backend.originOf(x);
    return origin?.kind === "zeros" || origin?.kind === "batchMean" ? backend.setOrigin(output, origin) : output;
  }),

  torchKernel("Transpose", (inputs, backend, attrs: tf.TransposeAttrs) => {
    const x = input(inputs, "x", "Transpose");
    const shape = attrs.perm.map((axis) => x.shape[axis]);
    return backend.output(aten("permute").tensor(backend.handleOf(x), attrs.perm), shape, x.dtype);
  }),

  torchKernel("Slice", (inputs, backend, attrs: tf.SliceAttrs) => {
    const x = input(inputs, "x", "Slice");
    const [begin, size] = tf.slice_util.parseSliceParams(x, attrs.begin, attrs.size);
    tf.slice_util.assertParamsValid(x, begin, size);
    return backend.output(sliceView(backend, backend.handleOf(x), x.shape, begin, size), size, x.dtype);
  }),

  torchKernel("StridedSlice", (inputs, backend, attrs: tf.StridedSliceAttrs) => {
    const x = input(inputs, "x", "StridedSlice");
    const info = tf.slice_util.sliceInfo(x.shape, attrs.begin, attrs.end, attrs.strides, attrs.beginMask, attrs.endMask,
      attrs.ellipsisMask, attrs.newAxisMask, attrs.shrinkAxisMask);
    // ATen slices only with positive steps; reversed strided slices are rare enough for the fallback.
    if (info.strides.some((stride) => stride <= 0)) return runOnCpu;
    const sliced = info.isIdentity
      ? aten("alias").tensor(backend.handleOf(x))
      : sliceView(backend, backend.handleOf(x), x.shape, info.begin, tf.slice_util.computeOutShape(info.begin, info.end, info.strides), info.strides);
    const reshaped = aten("reshape").tensor(sliced, info.finalShape);
    backend.free(sliced);
    return backend.output(reshaped, info.finalShape, x.dtype);
  }),

  torchKernel("Concat", (inputs, backend, attrs: tf.ConcatAttrs) => {
    const tensors = listInputs(inputs);
    const [axis] = normalizeAxes(attrs.axis, tensors[0].shape.length);
    const shape = tf.backend_util.computeOutShape(tensors.map((t) => t.shape), axis);
    const handle = aten("cat").tensor(tensors.map((t) => backend.handleOf(t, "Concat")), axis);
    return backend.output(handle, shape, tensors[0].dtype);
  }),

  torchKernel("Pack", (inputs, backend, attrs: tf.PackAttrs) => {
    const tensors = listInputs(inputs);
    const axis = attrs.axis < 0 ? attrs.axis + tensors[0].shape.length + 1 : attrs.axis;
    const shape = [...tensors[0].shape];
    shape.splice(axis, 0, tensors.length);
    return backend.output(aten("stack").tensor(tensors.map((t) => backend.handleOf(t, "Pack")), axis), shape, tensors[0].dtype);
  }),

  torchKernel("Unpack", (inputs, backend, attrs: tf.UnpackAttrs) => {
    const value = input(inputs, "value", "Unpack");
    const axis = attrs.axis < 0 ? attrs.axis + value.shape.length : attrs.axis;
    const shape = value.shape.filter((_, index) => index !== axis);
    return aten("unbind", "int").tensors(backend.handleOf(value), axis).map((handle) => backend.output(handle, shape, value.dtype));
  }),

  torchKernel("SplitV", (inputs, backend, attrs: tf.SplitVAttrs) => {
    const x = input(inputs, "x", "SplitV");
    const [axis] = normalizeAxes(attrs.axis, x.shape.length);
    const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, attrs.numOrSizeSplits, axis);
    return aten("split_with_sizes").tensors(backend.handleOf(x), sizes, axis).map((handle, index) => {
      const shape = [...x.shape];
      shape[axis] = sizes[index];
      return backend.output(handle, shape, x.dtype);
    });
  }),

  torchKernel("PadV2", (inputs, backend, attrs: tf.PadV2Attrs) => {
    const x = input(inputs, "x", "PadV2");
    // ATen lists pads from the last axis backwards: [lastBefore, lastAfter, previousBefore, ...].
    const pads = [...attrs.paddings].reverse().flatMap(([before, after]) => [before, after]);
    const shape = x.shape.map((dimension, axis) => dimension + attrs.paddings[axis][0] + attrs.paddings[axis][1]);
    return backend.output(aten("constant_pad_nd").tensor(backend.handleOf(x), pads, attrs.constantValue), shape, x.dtype);
  }),

  torchKernel("Tile", (inputs, backend, attrs: tf.TileAttrs) => {
    const x = input(inputs, "x", "Tile");
    const shape = x.shape.map((dimension, axis) => dimension * attrs.reps[axis]);
    if (backend.isZeros(x)) return backend.zeros(shape, x.dtype);
    // Tiling only size-1 axes is a broadcast: an expanded view instead of a copy (TF.js's Sum gradient).
    const onlyBroadcasts = x.shape.every((dimension, axis) => attrs.reps[axis] === 1 || dimension === 1);
    const handle = onlyBroadcasts ? aten("expand").tensor(backend.handleOf(x), shape) : aten("repeat").tensor(backend.handleOf(x), attrs.reps);
    return backend.output(handle, shape, x.dtype);
  }),

  torchKernel("Reverse", (inputs, backend, attrs: tf.ReverseAttrs) => {
    const x = input(inputs, "x", "Reverse");
    const axes = normalizeAxes(attrs.dims, x.shape.length);
    if (axes.length === 0) return backend.output(aten("alias").tensor(backend.handleOf(x)), [...x.shape], x.dtype);
    return backend.output(aten("flip").tensor(backend.handleOf(x), axes), [...x.shape], x.dtype);
  }),

  torchKernel("GatherV2", (inputs, backend, attrs: tf.GatherV2Attrs) => {
    const x = input(inputs, "x", "GatherV2");
    const indices = input(inputs, "indices", "GatherV2");
    if (attrs.batchDims !== 0) return runOnCpu;
    const [axis] = normalizeAxes(attrs.axis, x.shape.length);
    const flatIndices = aten("reshape").tensor(backend.handleOf(indices), [-1]);
    const gathered = aten("index_select").tensor(backend.handleOf(x), axis, flatIndices);
    const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
    const reshaped = aten("reshape").tensor(gathered, shape);
    backend.free(flatIndices, gathered);
    return backend.output(reshaped, shape, x.dtype);
  }),
];
