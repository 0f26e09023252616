/**
 * An eval-mode ResNet trunk (stem, optional max pool, BasicBlocks, global average pool) as ONE kernel on
 * oneDNN's own tensors: the input is reordered once into oneDNN's blocked layout, every convolution has its
 * BatchNorm folded in (BatchNormFold) and a weight reordered for it once (cached on the filter), the ReLUs
 * and shortcut adds run in place, and only the pooled [batch, channels] features come back as an ordinary
 * tensor. Blocked activations never leave the kernel, so no other kernel ever sees one.
 *
 * Why: per-layer kernels must hand NHWC tensors between layers, and oneDNN runs faster on its blocked
 * layout. CIFAR ResNet18, batch 32, 2 threads (PyTorch 1.13's own ops, same machine): eager channels_last
 * 95-100 ms, folded channels_last (the per-layer kernels) ~92 ms, folded blocked 79 ms.
 * Used by kernel-lib/engine/torch/resnet-trunk.ts; CPU with oneDNN only; no gradient.
 */
import * as tf from "@tensorflow/tfjs";
import { aten } from "../aten";
import { addon, TensorHandle } from "../native-addon";
import { TorchBackend } from "../backend";
import { BatchNormFold } from "./conv-batch-norm-relu";
import { nhwcAsNchw } from "./layout";
import { input, torchKernel } from "./torch-kernel";
import { torchResNetTrunkEval, trunkInputNames } from "../fused-kernel-names";

/** Convolution i's tensors are the inputs trunkInputNames(i) names. */
export interface TrunkConvolution {
  stride: number;
  /** Symmetric zero padding (PyTorch's). */
  padding: number;
  /** The following BatchNorm's eps. */
  eps: number;
}

export interface ResNetTrunkAttrs {
  /** Convolution 0 is the stem; blocks name the others by index. */
  convolutions: TrunkConvolution[];
  /** [kernel, stride, padding] of the max pool after the stem, or null (CIFAR's Identity). */
  maxPool: [number, number, number] | null;
  /** [first, second, downsample] convolution indices per BasicBlock; downsample -1: the identity shortcut. */
  blocks: [number, number, number][];
}

const toMkldnn = aten("to_mkldnn");
const toDense = aten("to_dense");
const reorderConvWeight = aten("mkldnn_reorder_conv2d_weight");
const mkldnnConvolution = aten("mkldnn_convolution");
const reluInPlace = aten("relu_");
const addInPlace = aten("add_", "Tensor");
const maxPool2d = aten("max_pool2d");
const adaptiveAvgPool2d = aten("adaptive_avg_pool2d");
const reshape = aten("reshape");

/** Convolution `index`'s folded weight in oneDNN's layout for its geometry (cached on the filter) and folded bias. */
function blockedWeightAndBias(backend: TorchBackend, inputs: tf.NamedTensorInfoMap, index: number, convolution: TrunkConvolution): [TensorHandle, TensorHandle] {
  const [filter, ...params] = trunkInputNames(index).map((name) => input(inputs, name, torchResNetTrunkEval));
  const fold = new BatchNormFold(backend, filter, params, convolution.eps);
  try {
    const { stride, padding } = convolution;
    const weight = backend.derivedHandle(filter, "mkldnn-folded-weight", () => {
      const dense = fold.makeWeight();
      const blocked = toMkldnn.tensor(dense);
      const reordered = reorderConvWeight.tensor(blocked, [padding, padding], [stride, stride], [1, 1], 1);
      backend.free(dense, blocked);
      return reordered;
    }, `${fold.signature};${stride};${padding}`);
    return [weight, fold.bias()];
  } finally {
    fold.dispose();
  }
}

export const resnetTrunkEvalKernels: tf.KernelConfig[] = [
  torchKernel(torchResNetTrunkEval, (inputs, backend, attrs: ResNetTrunkAttrs) => {
    const x = input(inputs, "x", torchResNetTrunkEval);
    // Every handle this kernel made and still owns, so an ATen error (say, channels that do not chain)
    // frees them all before it propagates.
    const owned = new Set<TensorHandle>();
    const own = (handle: TensorHandle): TensorHandle => (owned.add(handle), handle);
    const release = (...handles: TensorHandle[]): void => {
      for (const handle of handles) {
        owned.delete(handle);
        addon().dispose(handle);
      }
    };
    // In-place ops return their input under a new handle: drop that one.
    const inPlace = (result: TensorHandle): void => addon().dispose(result);
    const convolve = (source: TensorHandle, index: number): TensorHandle => {
      const convolution = attrs.convolutions[index];
      const [weight, bias] = blockedWeightAndBias(backend, inputs, index, convolution);
      const { stride, padding } = convolution;
      return own(mkldnnConvolution.tensor(source, weight, bias, [padding, padding], [stride, stride], [1, 1], 1));
    };
    try {
      const nchw = own(nhwcAsNchw(backend.handleOf(x)));
      let y = own(toMkldnn.tensor(nchw));
      release(nchw);
      const stem = convolve(y, 0);
      release(y);
      inPlace(reluInPlace.tensor(stem));
      y = stem;
      if (attrs.maxPool) {
        const [kernel, stride, padding] = attrs.maxPool;
        const pooled = own(maxPool2d.tensor(y, [kernel, kernel], [stride, stride], [padding, padding], [1, 1], false));
        release(y);
        y = pooled;
      }
      for (const [first, second, downsample] of attrs.blocks) {
        const hidden = convolve(y, first);
        inPlace(reluInPlace.tensor(hidden));
        const out = convolve(hidden, second);
        release(hidden);
        if (downsample >= 0) {
          const shortcut = convolve(y, downsample);
          inPlace(addInPlace.tensor(out, shortcut));
          release(shortcut);
        } else {
          inPlace(addInPlace.tensor(out, y));
        }
        inPlace(reluInPlace.tensor(out));
        release(y);
        y = out;
      }
      const pooled = own(adaptiveAvgPool2d.tensor(y, [1, 1]));
      release(y);
      const dense = own(toDense.tensor(pooled));
      release(pooled);
      const [batch, channels] = addon().shape(dense);
      const features = reshape.tensor(dense, [batch, channels]);
      release(dense);
      return backend.output(features, [batch, channels], "float32");
    } finally {
      release(...owned);
    }
  }),
];
