/**
 * Conv2D and its two backprops with PyTorch's symmetric padding. TF.js's asymmetric 'same' padding
 * (stride 2) is done by padding the input explicitly and convolving with zero padding, which gives the
 * same numbers as TF.js.
 *
 * Input rows/columns that no filter window reaches (e.g. the last row of an even-sized input under a 1x1
 * stride-2 conv, ResNet's downsample) are cropped away first: libtorch 1.13's oneDNN channels_last
 * backward corrupts the heap on such inputs with small channel counts (reproduced in plain PyTorch:
 * "free(): invalid next size"). Cropping cannot change the result, since those values are never read.
 */
import * as tf from "@tensorflow/tfjs";
import { aten } from "../aten";
import { atenMemoryFormat, atenScalarType, TensorHandle } from "../native-addon";
import { TorchBackend } from "../backend";
import { applyActivation, isSupportedActivation } from "./activation";
import { hwioStoredAsOhwi, hwioToChannelsLastOihw, nchwAsNhwc, nhwcAsChannelsLast, ohwiStoredHwioAsOihw, oihwAsHwio, oihwToDenseHwio } from "./layout";
import { input, runOnCpu, torchKernel } from "./torch-kernel";

const convolution = aten("convolution");
const mkldnnConvolution = aten("mkldnn_convolution");
const convolutionBackward = aten("convolution_backward");
const constantPad = aten("constant_pad_nd");
const emptyWithFormat = aten("empty", "memory_format");
const narrow = aten("narrow");

interface ConvGeometry {
  stride: [number, number];
  dilation: [number, number];
  /** ATen's symmetric padding [top, left] (zero when the input is padded explicitly). */
  padding: [number, number];
  /** [top, bottom, left, right] applied explicitly, or undefined when ATen pads symmetrically. */
  explicit: [number, number, number, number] | undefined;
  /** Input rows/columns any filter window reads; the rest are cropped. */
  usedHeight: number;
  usedWidth: number;
  inHeight: number;
  inWidth: number;
}

function planGeometry(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  const { top, bottom, left, right } = info.padInfo;
  const reach = (outSize: number, stride: number, effectiveFilter: number): number => (outSize - 1) * stride + effectiveFilter;
  // Rows beyond the last window: taken from the bottom padding first, then from the input itself.
  const unusedRows = Math.max(0, info.inHeight + top + bottom - reach(info.outHeight, info.strideHeight, info.effectiveFilterHeight) - bottom);
  const unusedColumns = Math.max(0, info.inWidth + left + right - reach(info.outWidth, info.strideWidth, info.effectiveFilterWidth) - right);
  const symmetric = top === bottom && left === right;
  return {
    stride: [info.strideHeight, info.strideWidth],
    dilation: [info.dilationHeight, info.dilationWidth],
    padding: symmetric ? [top, left] : [0, 0],
    explicit: symmetric ? undefined : [top, bottom, left, right],
    usedHeight: info.inHeight - unusedRows,
    usedWidth: info.inWidth - unusedColumns,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
  };
}

/**
 * NHWC input as the channels_last NCHW tensor ATen convolves, explicitly padded as planned. `cropUnread`
 * drops the rows/columns no window reads, which only the backward needs (the oneDNN bug above); in the
 * forward the crop would cost a copy (measured: a ResNet downsample conv 2x slower) for nothing.
 */
function convInput(backend: TorchBackend, x: tf.TensorInfo, geometry: ConvGeometry, cropUnread: boolean): TensorHandle {
  let handle = backend.handleOf(x);
  const cropped = cropUnread && (geometry.usedHeight < geometry.inHeight || geometry.usedWidth < geometry.inWidth);
  if (cropped) {
    const rows = narrow.tensor(handle, 1, 0, geometry.usedHeight);
    handle = narrow.tensor(rows, 2, 0, geometry.usedWidth);
    backend.free(rows);
  }
  let nchw = nhwcAsChannelsLast(handle);
  if (cropped) backend.free(handle);
  if (geometry.explicit) {
    const [top, bottom, left, right] = geometry.explicit;
    const padded = constantPad.tensor(nchw, [left, right, top, bottom], 0);
    backend.free(nchw);
    nchw = padded;
  }
  return nchw;
}

function paddedInputShape(geometry: ConvGeometry, batch: number, channels: number): number[] {
  const [top, bottom, left, right] = geometry.explicit ?? [0, 0, 0, 0];
  return [batch, channels, geometry.usedHeight + top + bottom, geometry.usedWidth + left + right];
}

/** libtorch returns placeholder tensors for masked-out convolution_backward results; they need freeing too. */
function definedHandles(handles: Array<TensorHandle | null>): TensorHandle[] {
  return handles.filter((handle): handle is TensorHandle => handle !== null);
}

function emptyChannelsLast(backend: TorchBackend, shape: number[]): TensorHandle {
  return emptyWithFormat.tensor(shape, atenScalarType.float32, null, backend.device, null, atenMemoryFormat.channelsLast);
}

/**
 * The filter as ATen's [out, in, h, w] weight in channels_last memory, which oneDNN takes without a
 * reorder copy; cached per filter buffer, since weights are reused across calls (forward and input
 * gradient within a step, every call in inference).
 *
 * A filter uploaded by TF.js is row-major [h][w][in][out]: it is copied once into [out][h][w][in] order,
 * and the filter ADOPTS that copy (same values, other strides). Filter gradients come out of oneDNN in
 * that order too (see Conv2DBackpropFilter), and elementwise updates keep their inputs' order, so after
 * the first step an optimizer's new weights are already in it: no filter copy per training step.
 */
export function convWeight(backend: TorchBackend, filter: tf.TensorInfo): TensorHandle {
  return backend.derivedHandle(filter, "oihw-channels-last", (handle) => {
    if (hwioStoredAsOhwi(handle, filter.shape)) return ohwiStoredHwioAsOihw(handle);
    const weight = hwioToChannelsLastOihw(handle, filter.shape);
    backend.replaceHandle(filter, oihwAsHwio(weight));
    return weight;
  });
}

/**
 * undefined until the first CPU convolution tells whether this libtorch has oneDNN (false: it does not,
 * and aten::convolution decides alone).
 */
let oneDnnForward: boolean | undefined;

/**
 * Forward convolutions on the CPU go to oneDNN directly. aten::convolution (libtorch 1.13) sends batch-1
 * inputs of at most 20480 values with filters up to 3x3 (CIFAR ResNet18's layer3 and layer4 at batch 1)
 * and single-threaded unstrided 1x1 convolutions to its im2col + BLAS path instead; against Debian's
 * reference BLAS that path measured 45 ms where oneDNN takes 1.3 ms (256 channels, 8x8, 3x3, 1 thread).
 * Where aten::convolution picks oneDNN itself, calling it directly is the same computation.
 */
function cpuForward(nchw: TensorHandle, weight: TensorHandle, bias: TensorHandle | null, geometry: ConvGeometry): TensorHandle {
  if (oneDnnForward === undefined) {
    try {
      const out = mkldnnConvolution.tensor(nchw, weight, bias, geometry.padding, geometry.stride, geometry.dilation, 1);
      oneDnnForward = true;
      return out;
    } catch (error) {
      // Only a libtorch built without oneDNN turns this off; any other error is the caller's to see.
      if (!/not compiled with MKLDNN/i.test((error as Error).message)) throw error;
      oneDnnForward = false;
    }
  } else if (oneDnnForward) {
    return mkldnnConvolution.tensor(nchw, weight, bias, geometry.padding, geometry.stride, geometry.dilation, 1);
  }
  return convolution.tensor(nchw, weight, bias, geometry.stride, geometry.padding, geometry.dilation, false, [0, 0], 1);
}

function forwardConv(backend: TorchBackend, x: tf.TensorInfo, filter: tf.TensorInfo, attrs: tf.Conv2DAttrs, bias: tf.TensorInfo | undefined): { handle: TensorHandle; shape: number[] } {
  const { handle, shape } = forwardConvWith(backend, x, filter.shape, attrs, convWeight(backend, filter), bias ? backend.handleOf(bias) : null);
  const nhwc = nchwAsNhwc(handle);
  backend.free(handle);
  return { handle: nhwc, shape };
}

/**
 * The forward convolution of NHWC x with an [out, in, h, w] channels_last `weight` (of a [h, w, in, out]
 * `filterShape` filter) and an optional [out] bias: a fresh channels_last NCHW tensor this caller owns,
 * with its NHWC shape.
 */
export function forwardConvWith(backend: TorchBackend, x: tf.TensorInfo, filterShape: readonly number[], attrs: tf.Conv2DAttrs, weight: TensorHandle, bias: TensorHandle | null): { handle: TensorHandle; shape: number[] } {
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape as [number, number, number, number],
    attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, false, "channelsLast");
  const geometry = planGeometry(info);
  const nchw = convInput(backend, x, geometry, false);
  const out = backend.device === "cpu"
    ? cpuForward(nchw, weight, bias, geometry)
    : convolution.tensor(nchw, weight, bias, geometry.stride, geometry.padding, geometry.dilation, false, [0, 0], 1);
  backend.free(nchw);
  return { handle: out, shape: info.outShape };
}

export const convolutionKernels: tf.KernelConfig[] = [
  torchKernel("Conv2D", (inputs, backend, attrs: tf.Conv2DAttrs) => {
    if (attrs.dataFormat === "NCHW") return runOnCpu;
    const result = forwardConv(backend, input(inputs, "x", "Conv2D"), input(inputs, "filter", "Conv2D"), attrs, undefined);
    return backend.output(result.handle, result.shape, "float32");
  }),

  torchKernel("FusedConv2D", (inputs, backend, attrs: tf.FusedConv2DAttrs) => {
    const bias = inputs.bias;
    const filter = input(inputs, "filter", "FusedConv2D");
    const outChannels = filter.shape[3];
    // ATen's bias is per output channel; TF.js also allows a broadcastable bias of another shape.
    const biasIsPerChannel = !bias || (bias.shape.length === 1 && bias.shape[0] === outChannels);
    if (attrs.dataFormat === "NCHW" || !biasIsPerChannel || !isSupportedActivation(attrs.activation)) return runOnCpu;
    const result = forwardConv(backend, input(inputs, "x", "FusedConv2D"), filter, attrs, bias);
    const activated = applyActivation(backend, result.handle, attrs.activation, attrs.leakyreluAlpha);
    if (activated !== result.handle) backend.free(result.handle);
    return backend.output(activated, result.shape, "float32");
  }),

  torchKernel("Conv2DBackpropInput", (inputs, backend, attrs: tf.Conv2DBackpropInputAttrs) => {
    if (attrs.dataFormat === "NCHW") return runOnCpu;
    const dy = input(inputs, "dy", "Conv2DBackpropInput");
    const filter = input(inputs, "filter", "Conv2DBackpropInput");
    const [batch, height, width, channels] = attrs.inputShape;
    const info = tf.backend_util.computeConv2DInfo(attrs.inputShape, filter.shape as [number, number, number, number], attrs.strides, 1,
      attrs.pad, attrs.dimRoundingMode, false, "channelsLast");
    const geometry = planGeometry(info);
    // ATen needs the input only for its shape and layout: an uninitialised channels_last stand-in.
    const inputStandIn = emptyChannelsLast(backend, paddedInputShape(geometry, batch, channels));
    const dyNchw = nhwcAsChannelsLast(backend.handleOf(dy));
    const weight = convWeight(backend, filter);
    const [gradInput, ...unrequested] = convolutionBackward.call([dyNchw, inputStandIn, weight, null, geometry.stride, geometry.padding,
      geometry.dilation, false, [0, 0], 1, [true, false, false]]) as Array<TensorHandle | null>;
    backend.free(inputStandIn, dyNchw, ...definedHandles(unrequested));
    let grad = gradInput as TensorHandle;
    if (geometry.explicit) {
      const [top, , left] = geometry.explicit;
      const rows = narrow.tensor(grad, 2, top, geometry.usedHeight);
      const unpadded = narrow.tensor(rows, 3, left, geometry.usedWidth);
      backend.free(rows, grad);
      grad = unpadded;
    }
    if (geometry.usedHeight < height || geometry.usedWidth < width) {
      // Cropped rows/columns were never read: their gradient is zero.
      const restored = constantPad.tensor(grad, [0, width - geometry.usedWidth, 0, height - geometry.usedHeight], 0);
      backend.free(grad);
      grad = restored;
    }
    const nhwc = nchwAsNhwc(grad);
    backend.free(grad);
    return backend.output(nhwc, [...attrs.inputShape], "float32");
  }),

  torchKernel("Conv2DBackpropFilter", (inputs, backend, attrs: tf.Conv2DBackpropFilterAttrs) => {
    if (attrs.dataFormat === "NCHW") return runOnCpu;
    const x = input(inputs, "x", "Conv2DBackpropFilter");
    const dy = input(inputs, "dy", "Conv2DBackpropFilter");
    const [filterHeight, filterWidth, inChannels, outChannels] = attrs.filterShape;
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1,
      attrs.pad, attrs.dimRoundingMode, false, "channelsLast");
    const geometry = planGeometry(info);
    const nchw = convInput(backend, x, geometry, true);
    const weightStandIn = emptyChannelsLast(backend, [outChannels, inChannels, filterHeight, filterWidth]);
    const dyNchw = nhwcAsChannelsLast(backend.handleOf(dy));
    const [unrequestedInput, gradWeight, unrequestedBias] = convolutionBackward.call([dyNchw, nchw, weightStandIn, null, geometry.stride,
      geometry.padding, geometry.dilation, false, [0, 0], 1, [false, true, false]]) as Array<TensorHandle | null>;
    // In oneDNN's [out][h][w][in] order (channels_last), the gradient is handed over as a view, matching the
    // adopted weights (see convWeight) so the optimizer's elementwise update reads both in memory order.
    const view = oihwAsHwio(gradWeight as TensorHandle);
    const hwio = hwioStoredAsOhwi(view, attrs.filterShape) ? view : oihwToDenseHwio(gradWeight as TensorHandle, attrs.filterShape);
    if (hwio !== view) backend.free(view);
    backend.free(nchw, weightStandIn, dyNchw, gradWeight as TensorHandle, ...definedHandles([unrequestedInput, unrequestedBias]));
    return backend.output(hwio, [...attrs.filterShape], "float32");
  }),
];
