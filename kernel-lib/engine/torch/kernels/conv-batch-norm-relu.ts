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

/**
 * One convolution's BatchNorm fold on running statistics: s = gamma / sqrt(var + eps) is made at most once
 * (weight and bias go stale together, so both are made on the same cache miss); `signature` names the
 * BatchNorm buffers and eps, for derivedHandle.
 */
export class BatchNormFold {
  readonly signature: string;
  private perChannel: TensorHandle | undefined;

  /** params: [mean, variance, offset, scale] of the BatchNorm that follows the convolution with `filter`. */
  constructor(private readonly backend: TorchBackend, private readonly filter: tf.TensorInfo, private readonly params: readonly tf.TensorInfo[], private readonly epsilon: number) {
    this.signature = `${params.map((info) => backend.dataNumber(info)).join(",")};${epsilon}`;
  }

  private factor(): TensorHandle {
    if (this.perChannel === undefined) {
      const [, variance, , scale] = this.params;
      const shifted = addScalar.tensor(this.backend.handleOf(variance), this.epsilon);
      const inverse = rsqrt.tensor(shifted);
      this.perChannel = multiply.tensor(inverse, this.backend.handleOf(scale));
      this.backend.free(shifted, inverse);
    }
    return this.perChannel;
  }

  /** w * s as a new [out, in, h, w] channels_last tensor the caller owns. */
  makeWeight(): TensorHandle {
    const column = reshape.tensor(this.factor(), [-1, 1, 1, 1]);
    const product = multiply.tensor(convWeight(this.backend, this.filter), column);
    const folded = contiguous.tensor(product, atenMemoryFormat.channelsLast);
    this.backend.free(column, product);
    return folded;
  }

  /** beta - mean * s, [out], cached on the filter (shared by every kernel that folds this convolution). */
  bias(): TensorHandle {
    return this.backend.derivedHandle(this.filter, "batch-norm-folded-bias", () => {
      const [mean, , offset] = this.params;
      const shift = multiply.tensor(this.backend.handleOf(mean), this.factor());
      const folded = subtract.tensor(this.backend.handleOf(offset), shift);
      this.backend.free(shift);
      return folded;
    }, this.signature);
  }

  /** Frees s if a cache miss made it. */
  dispose(): void {
    if (this.perChannel !== undefined) this.backend.free(this.perChannel);
    this.perChannel = undefined;
  }
}

/** [folded weight (out, in, h, w) channels_last, folded bias (out)], both owned by the filter's cache. */
function foldedWeightAndBias(backend: TorchBackend, filter: tf.TensorInfo, params: tf.TensorInfo[], epsilon: number): [TensorHandle, TensorHandle] {
  const fold = new BatchNormFold(backend, filter, params, epsilon);
  try {
    return [backend.derivedHandle(filter, "batch-norm-folded-weight", () => fold.makeWeight(), fold.signature), fold.bias()];
  } finally {
    fold.dispose();
  }
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
