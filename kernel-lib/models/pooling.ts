import * as tf from "@tensorflow/tfjs";
import { Module } from "./module";

/**
 * `nn.MaxPool2d` with PyTorch's explicit symmetric padding (padded cells never win the max) and
 * floor rounding of the output size; TF's 'same' would pad one side only.
 */
export class MaxPool2d extends Module {
  readonly stride: number;
  readonly padding: number;

  constructor(readonly kernelSize: number, options: { stride?: number; padding?: number } = {}) {
    super();
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    if (this.padding * 2 > kernelSize) {
      throw new Error(`MaxPool2d: padding (${this.padding}) must be at most half the kernel size (${kernelSize}), as in PyTorch`);
    }
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 4) throw new Error(`MaxPool2d: expected NHWC input, got shape [${x.shape.join(", ")}]`);
    return tf.maxPool(x as tf.Tensor4D, this.kernelSize, this.stride, this.padding === 0 ? "valid" : this.padding);
  }

  override toString(): string {
    return `MaxPool2d(kernel_size=${this.kernelSize}, stride=${this.stride}, padding=${this.padding})`;
  }
}

/** `nn.AdaptiveAvgPool2d((1, 1))`, the only output size ResNets use: the mean over H and W. */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: 1 = 1) {
    super();
    if (outputSize !== 1) throw new Error(`AdaptiveAvgPool2d: only outputSize 1 is supported, got ${String(outputSize)}`);
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 4) throw new Error(`AdaptiveAvgPool2d: expected NHWC input, got shape [${x.shape.join(", ")}]`);
    return tf.mean(x, [1, 2], true);
  }

  override toString(): string {
    return "AdaptiveAvgPool2d(output_size=(1, 1))";
  }
}
