/**
 * Conv2D and its two backprops with PyTorch's symmetric padding. TF.js's asymmetric 'same' padding
 * (stride 2) is done by padding the input explicitly and convolving with zero padding, which gives the
 * same numbers as TF.js.
 */
import * as tf from "@tensorflow/tfjs";
import { aten } from "../aten";
import { atenMemoryFormat, atenScalarType, TensorHandle } from "../native-addon";
import { TorchBackend } from "../backend";
import { applyActivation, isSupportedActivation } from "./activation";
import { hwioAsOihw, nchwAsNhwc, nhwcAsNchw, oihwAsHwio } from "./layout";
import { input, runOnCpu, torchKernel } from "./torch-kernel";

const convolution = aten("convolution");
const convolutionBackward = aten("convolution_backward");
const constantPad = aten("constant_pad_nd");
const emptyWithFormat = aten("empty", "memory_format");
const narrow = aten("narrow");

interface PaddingPlan {
  /** ATen's symmetric padding [top, left] (zero when the input was padded explicitly). */
  padding: [number, number];
  /** [top, bottom, left, right] applied explicitly, or undefined when symmetric. */
  explicit: [number, number, number, number] | undefined;
}

function planPadding(padInfo: tf.backend_util.PadInfo): PaddingPlan {
  const { top, bottom, left, right } = padInfo;
  if (top === bottom && left === right) return { padding: [top, left], explicit: undefined };
  return { padding: [0, 0], explicit: [top, bottom, left, right] };
}

/** NCHW input padded per the plan (a new handle either way, so callers free it uniformly). */
function padNchw(backend: TorchBackend, nchw: TensorHandle, plan: PaddingPlan): TensorHandle {
  if (!plan.explicit) return aten("alias").tensor(nchw);
  const [top, bottom, left, right] = plan.explicit;
  return constantPad.tensor(nchw, [left, right, top, bottom], 0);
}

function emptyChannelsLast(backend: TorchBackend, shape: number[]): TensorHandle {
  return emptyWithFormat.tensor(shape, atenScalarType.float32, null, backend.device, null, atenMemoryFormat.channelsLast);
}

function pair(value: number | [number, number]): [number, number] {
  return typeof value === "number" ? [value, value] : value;
}

function forwardConv(backend: TorchBackend, x: tf.TensorInfo, filter: tf.TensorInfo, attrs: tf.Conv2DAttrs, bias: tf.TensorInfo | undefined): { handle: TensorHandle; shape: number[] } {
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, false, "channelsLast");
  const plan = planPadding(info.padInfo);
  const nchw = nhwcAsNchw(backend.handleOf(x));
  const padded = padNchw(backend, nchw, plan);
  const weight = hwioAsOihw(backend.handleOf(filter));
  const out = convolution.tensor(padded, weight, bias ? backend.handleOf(bias) : null, [info.strideHeight, info.strideWidth], plan.padding,
    [info.dilationHeight, info.dilationWidth], false, [0, 0], 1);
  const nhwc = nchwAsNhwc(out);
  backend.free(nchw, padded, weight, out);
  return { handle: nhwc, shape: info.outShape };
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
    const plan = planPadding(info.padInfo);
    const [top, bottom, left, right] = plan.explicit ?? [0, 0, 0, 0];
    // ATen needs the input only for its shape and layout: an uninitialised channels_last stand-in.
    const inputStandIn = emptyChannelsLast(backend, [batch, channels, height + top + bottom, width + left + right]);
    const dyNchw = nhwcAsNchw(backend.handleOf(dy));
    const weight = hwioAsOihw(backend.handleOf(filter));
    const [gradInput] = convolutionBackward.call([dyNchw, inputStandIn, weight, null, [info.strideHeight, info.strideWidth], plan.padding,
      [1, 1], false, [0, 0], 1, [true, false, false]]) as TensorHandle[];
    backend.free(inputStandIn, dyNchw, weight);
    let unpadded = gradInput;
    if (plan.explicit) {
      const rows = narrow.tensor(gradInput, 2, top, height);
      unpadded = narrow.tensor(rows, 3, left, width);
      backend.free(rows, gradInput);
    }
    const nhwc = nchwAsNhwc(unpadded);
    backend.free(unpadded);
    return backend.output(nhwc, [...attrs.inputShape], "float32");
  }),

  torchKernel("Conv2DBackpropFilter", (inputs, backend, attrs: tf.Conv2DBackpropFilterAttrs) => {
    if (attrs.dataFormat === "NCHW") return runOnCpu;
    const x = input(inputs, "x", "Conv2DBackpropFilter");
    const dy = input(inputs, "dy", "Conv2DBackpropFilter");
    const [filterHeight, filterWidth, inChannels, outChannels] = attrs.filterShape;
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1,
      attrs.pad, attrs.dimRoundingMode, false, "channelsLast");
    const plan = planPadding(info.padInfo);
    const nchw = nhwcAsNchw(backend.handleOf(x));
    const padded = padNchw(backend, nchw, plan);
    const weightStandIn = emptyChannelsLast(backend, [outChannels, inChannels, filterHeight, filterWidth]);
    const dyNchw = nhwcAsNchw(backend.handleOf(dy));
    const [, gradWeight] = convolutionBackward.call([dyNchw, padded, weightStandIn, null, pair(attrs.strides), plan.padding,
      [1, 1], false, [0, 0], 1, [false, true, false]]) as TensorHandle[];
    const hwio = oihwAsHwio(gradWeight);
    backend.free(nchw, padded, weightStandIn, dyNchw, gradWeight);
    return backend.output(hwio, [...attrs.filterShape], "float32");
  }),
];
