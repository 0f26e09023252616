import * as tf from "@tensorflow/tfjs";
import { Module } from "./module";
import { defaultUniform, ownedVariable } from "./init";
import type { Generator } from "../data/generator";

/**
 * `nn.Linear`. The weight is `[in, out]` so the forward pass is one matMul; torchvision's
 * `[out, in]` is transposed at import/export. Default init as PyTorch: uniform ±1/sqrt(in).
 */
export class Linear extends Module {
  weight: tf.Variable;
  bias: tf.Variable | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: { bias?: boolean; generator?: Generator } = {},
  ) {
    super();
    for (const [name, value] of [["inFeatures", inFeatures], ["outFeatures", outFeatures]] as const) {
      if (!Number.isInteger(value) || value <= 0) throw new Error(`Linear: ${name} must be a positive integer, got ${value}`);
    }
    this.weight = ownedVariable(defaultUniform([inFeatures, outFeatures], inFeatures, options.generator));
    this.bias = options.bias === false ? null : ownedVariable(defaultUniform([outFeatures], inFeatures, options.generator));
  }

  protected override ownParameters(): Array<[string, tf.Variable]> {
    return this.bias === null ? [["weight", this.weight]] : [["weight", this.weight], ["bias", this.bias]];
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      if (x.rank !== 2 || x.shape[1] !== this.inFeatures) {
        throw new Error(`Linear: expected input [batch, ${this.inFeatures}], got [${x.shape.join(", ")}]`);
      }
      const out = tf.matMul(x as tf.Tensor2D, this.weight as tf.Tensor2D);
      return this.bias === null ? out : tf.add(out, this.bias);
    });
  }

  override toString(): string {
    return `Linear(in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias === null ? "False" : "True"})`;
  }
}
