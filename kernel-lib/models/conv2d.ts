import * as tf from "@tensorflow/tfjs";
import { Module } from "./module";
import { defaultUniform, kaimingNormalFanOut, ownedVariable } from "./init";
import type { Generator } from "../data/generator";

export interface Conv2dOptions {
  stride?: number;
  /** Zeros added on every side, like PyTorch's `padding=`; never TF's asymmetric 'same'. */
  padding?: number;
  bias?: boolean;
  /**
   * "default" is PyTorch's Conv2d init (uniform ±1/sqrt(fan_in)); "kaimingNormalFanOut" is what
   * torchvision's ResNet re-initialises its convolutions with.
   */
  init?: "default" | "kaimingNormalFanOut";
  generator?: Generator;
}

/**
 * `nn.Conv2d` on NHWC input. The weight is HWIO `[kernel, kernel, in, out]` (torchvision's OIHW
 * is transposed at import/export). Padding is explicit and symmetric because TF's 'same' pads
 * stride-2 convolutions on one side only, which changes every output against PyTorch.
 */
export class Conv2d extends Module {
  readonly stride: number;
  readonly padding: number;
  weight: tf.Variable;
  bias: tf.Variable | null;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    options: Conv2dOptions = {},
  ) {
    super();
    for (const [name, value] of [["inChannels", inChannels], ["outChannels", outChannels], ["kernelSize", kernelSize]] as const) {
      if (!Number.isInteger(value) || value <= 0) throw new Error(`Conv2d: ${name} must be a positive integer, got ${value}`);
    }
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    const fanIn = inChannels * kernelSize * kernelSize;
    const shape = [kernelSize, kernelSize, inChannels, outChannels];
    const initial = options.init === "kaimingNormalFanOut"
      ? kaimingNormalFanOut(shape, outChannels * kernelSize * kernelSize, options.generator)
      : defaultUniform(shape, fanIn, options.generator);
    this.weight = ownedVariable(initial);
    this.bias = options.bias === false ? null : ownedVariable(defaultUniform([outChannels], fanIn, options.generator));
  }

  protected override ownParameters(): Array<[string, tf.Variable]> {
    return this.bias === null ? [["weight", this.weight]] : [["weight", this.weight], ["bias", this.bias]];
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      if (x.rank !== 4 || x.shape[3] !== this.inChannels) {
        throw new Error(`Conv2d: expected NHWC input with ${this.inChannels} channels, got shape [${x.shape.join(", ")}]`);
      }
      const p = this.padding;
      const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [p, p], [p, p], [0, 0]];
      const out = tf.conv2d(x as tf.Tensor4D, this.weight as tf.Tensor4D, this.stride, p === 0 ? "valid" : pad);
      return this.bias === null ? out : tf.add(out, this.bias);
    });
  }

  override toString(): string {
    return `Conv2d(${this.inChannels}, ${this.outChannels}, kernel_size=${this.kernelSize}, stride=${this.stride}, padding=${this.padding}${this.bias === null ? ", bias=False" : ""})`;
  }
}
