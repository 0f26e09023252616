/**
 * relu?(batchNorm(conv2d(x, filter)) [+ residual]) on running statistics as ONE convolution: the BatchNorm is
 * folded into the filter and a bias (w * s, beta - mean * s with s = gamma / sqrt(var + eps)), then the
 * shortcut is added and the result rectified in place on the convolution's own output. The folded pair is
 * cached on the filter's buffer, keyed by the BatchNorm tensors' buffers, so inference pays for folding once
 * per weight version (TF.js tensors never change values; an optimizer step or a running-statistics update
 * makes new buffers and so a new fold). Used by kernel-lib/engine/torch/conv-batch-norm-relu.ts; no gradient.
 */
import * as tf from "@tensorflow/tfjs";
import { aten } from "../aten";
import { atenMemoryFormat, TensorHandle } from "../native-addon";
import { TorchBackend } from "../backend";
import { convWeight, forwardConvWith } from "./convolution";
import { nchwAsNhwc } from "./layout";
import { addResidualThenRelu } from "./add-relu";
import { input, torchKernel } from "./torch-kernel";
import { torchConvBatchNormRelu } from "../fused-kernel-names";

export interface ConvBatchNormReluAttrs {
  strides: [number, number] | number;
  pad: tf.Conv2DAttrs["pad"];
  varianceEpsilon: number;
  relu: boolean;
}

const addScalar = aten("add", "Scalar");
const rsqrt = aten("rsqrt");
const multiply = aten("mul", "Tensor");
const subtract = aten("sub", "Tensor");
const reshape = aten("reshape");
const contiguous = aten("contiguous");

/** [folded weight (out, in, h, w) channels_last, folded bias (out)], both owned by the filter's cache. */
function foldedWeightAndBias(backend: TorchBackend, filter: tf.TensorInfo, params: tf.TensorInfo[], epsilon: number): [TensorHandle, TensorHandle] {
  const [mean, variance, offset, scale] = params;
  const signature = `${params.map((info) => backend.dataNumber(info)).join(",")};${epsilon}`;
  // s = gamma / sqrt(var + eps), made at most once per fold (weight and bias go stale together).
  let perChannel: TensorHandle | undefined;
  const factor = (): TensorHandle => {
    if (perChannel === undefined) {
      const shifted = addScalar.tensor(backend.handleOf(variance), epsilon);
      const inverse = rsqrt.tensor(shifted);
      perChannel = multiply.tensor(inverse, backend.handleOf(scale));
      backend.free(shifted, inverse);
    }
    return perChannel;
  };
  const weight = backend.derivedHandle(filter, "batch-norm-folded-weight", () => {
    const column = reshape.tensor(factor(), [-1, 1, 1, 1]);
    const product = multiply.tensor(convWeight(backend, filter), column);
    const folded = contiguous.tensor(product, atenMemoryFormat.channelsLast);
    backend.free(column, product);
    return folded;
  }, signature);
  const bias = backend.derivedHandle(filter, "batch-norm-folded-bias", () => {
    const shift = multiply.tensor(backend.handleOf(mean), factor());
    const folded = subtract.tensor(backend.handleOf(offset), shift);
    backend.free(shift);
    return folded;
  }, signature);
  if (perChannel !== undefined) backend.free(perChannel);
  return [weight, bias];
}

export const convBatchNormReluKernels: tf.KernelConfig[] = [
  torchKernel(torchConvBatchNormRelu, (inputs, backend, attrs: ConvBatchNormReluAttrs) => {
    const x = input(inputs, "x", torchConvBatchNormRelu);
    const filter = input(inputs, "filter", torchConvBatchNormRelu);
    const params = ["mean", "variance", "offset", "scale"].map((name) => input(inputs, name, torchConvBatchNormRelu));
    const { residual } = inputs;
    const outChannels = filter.shape[3];
    if (x.shape.length !== 4 || filter.shape.length !== 4 || x.shape[3] !== filter.shape[2] || !params.every((info) => info.shape.length === 1 && info.shape[0] === outChannels)) {
      throw new Error(`torch backend: ${torchConvBatchNormRelu} takes NHWC x, an [h, w, in, out] filter and per-channel [out] parameters; got x [${x.shape}], filter [${filter.shape}]`);
    }
    const [weight, bias] = foldedWeightAndBias(backend, filter, params, attrs.varianceEpsilon);
    const out = forwardConvWith(backend, x, filter.shape, { strides: attrs.strides, pad: attrs.pad, dilations: 1, dataFormat: "NHWC", dimRoundingMode: undefined }, weight, bias);
    if (residual) {
      if (!tf.util.arraysEqual(residual.shape, out.shape)) {
        backend.free(out.handle);
        throw new Error(`torch backend: ${torchConvBatchNormRelu}'s residual has shape [${residual.shape}], the convolution gives [${out.shape}]`);
      }
    }
    addResidualThenRelu(backend, out.handle, residual, attrs.relu);
    const result = nchwAsNhwc(out.handle);
    backend.free(out.handle);
    return backend.output(result, out.shape, "float32");
  }),
];
