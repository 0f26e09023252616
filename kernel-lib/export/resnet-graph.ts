import type * as tf from "@tensorflow/tfjs";
import type { GraphNode, InferenceGraph, WeightTensor } from "./inference-graph";
import type { StateDictLike } from "../train/trainable-module";

/**
 * Builds the inference graph of a torchvision-style ResNet with BasicBlocks (resnet18/34 and their
 * CIFAR variants) from its state dict: torchvision key names, TF.js layouts (conv HWIO, linear
 * `[in, out]`). The topology is torchvision's; block counts and channel widths come from the keys
 * and shapes, so any depth/width of that family works.
 */

/** A state dict as kernel-lib/models returns it (either container). */
export type { StateDictLike };

export interface ResNetGraphOptions {
  name?: string;
  /** `[height, width, channels]` of one input image, e.g. `[224, 224, 3]` or `[32, 32, 3]`. */
  inputShape: [number, number, number];
  /** Stem conv stride and padding; default from its kernel: 7x7 → stride 2 pad 3, 3x3 → stride 1 pad 1. */
  stem?: { stride: number; padding: number };
  /** Whether the stem has torchvision's 3x3/2 max-pool (default: true for a 7x7 stem, false otherwise). */
  maxPool?: boolean;
  /** BatchNorm epsilon (PyTorch's default 1e-5). */
  batchNormEpsilon?: number;
}

export function resnetGraphFromStateDict(stateDict: StateDictLike, options: ResNetGraphOptions): InferenceGraph {
  const entries = stateDict instanceof Map ? stateDict : new Map(Object.entries(stateDict));
  const weight = (key: string): WeightTensor => {
    const tensor = entries.get(key);
    if (!tensor) {
      throw new Error(
        `resnetGraphFromStateDict: state dict has no "${key}"; expected torchvision key names ` +
          `(conv1.weight, bn1.running_mean, layer1.0.conv1.weight, fc.weight, ...).`,
      );
    }
    return { shape: [...tensor.shape], values: Float32Array.from(tensor.dataSync() as ArrayLike<number>) };
  };
  const has = (key: string): boolean => entries.has(key);
  const epsilon = options.batchNormEpsilon ?? 1e-5;
  const nodes: GraphNode[] = [];
  const input = "input";

  const conv = (prefix: string, from: string, stride: number, padding: number): string => {
    const filter = weight(`${prefix}.weight`);
    if (filter.shape.length !== 4) {
      throw new Error(`resnetGraphFromStateDict: "${prefix}.weight" has shape [${filter.shape}], expected HWIO conv filter.`);
    }
    const name = prefix;
    nodes.push({
      op: "conv2d",
      name,
      input: from,
      filter,
      bias: has(`${prefix}.bias`) ? weight(`${prefix}.bias`) : undefined,
      strides: [stride, stride],
      pads: [padding, padding, padding, padding],
    });
    return name;
  };
  const batchNorm = (prefix: string, from: string): string => {
    nodes.push({
      op: "batchNorm",
      name: prefix,
      input: from,
      gamma: weight(`${prefix}.weight`),
      beta: weight(`${prefix}.bias`),
      runningMean: weight(`${prefix}.running_mean`),
      runningVar: weight(`${prefix}.running_var`),
      epsilon,
    });
    return prefix;
  };
  const relu = (name: string, from: string): string => {
    nodes.push({ op: "relu", name, input: from });
    return name;
  };

  const stemKernel = weight("conv1.weight").shape[0];
  const stem = options.stem ?? (stemKernel === 7 ? { stride: 2, padding: 3 } : { stride: 1, padding: Math.floor(stemKernel / 2) });
  let x = relu("relu", batchNorm("bn1", conv("conv1", input, stem.stride, stem.padding)));
  if (options.maxPool ?? stemKernel === 7) {
    nodes.push({ op: "maxPool", name: "maxpool", input: x, kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
    x = "maxpool";
  }
  for (let layer = 1; has(`layer${layer}.0.conv1.weight`); layer++) {
    for (let block = 0; has(`layer${layer}.${block}.conv1.weight`); block++) {
      const prefix = `layer${layer}.${block}`;
      if (has(`${prefix}.conv3.weight`)) {
        throw new Error(`resnetGraphFromStateDict: "${prefix}" is a Bottleneck block; only BasicBlock ResNets (18/34) are supported.`);
      }
      // torchvision's first block of layer2..4 halves the resolution in conv1 and the downsample.
      const stride = layer > 1 && block === 0 ? 2 : 1;
      const kernel = weight(`${prefix}.conv1.weight`).shape[0];
      let y = relu(`${prefix}.relu1`, batchNorm(`${prefix}.bn1`, conv(`${prefix}.conv1`, x, stride, Math.floor(kernel / 2))));
      y = batchNorm(`${prefix}.bn2`, conv(`${prefix}.conv2`, y, 1, Math.floor(kernel / 2)));
      const shortcut = has(`${prefix}.downsample.0.weight`)
        ? batchNorm(`${prefix}.downsample.1`, conv(`${prefix}.downsample.0`, x, stride, 0))
        : x;
      nodes.push({ op: "add", name: `${prefix}.add`, inputs: [y, shortcut] });
      x = relu(`${prefix}.relu2`, `${prefix}.add`);
    }
  }
  nodes.push({ op: "globalAvgPool", name: "avgpool", input: x });
  nodes.push({ op: "linear", name: "fc", input: "avgpool", weight: weight("fc.weight"), bias: has("fc.bias") ? weight("fc.bias") : undefined });
  return { name: options.name ?? "resnet", input, inputShape: options.inputShape, nodes, output: "fc" };
}
