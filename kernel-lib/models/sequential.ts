import * as tf from "@tensorflow/tfjs";
import { Module } from "./module";

/** `nn.Sequential`: children named "0", "1", ... (torchvision's `layer1.0.conv1`), applied in order. */
export class Sequential extends Module {
  [index: number]: Module;

  constructor(...modules: Module[]) {
    super();
    modules.forEach((module, i) => {
      this[i] = module;
    });
  }

  get length(): number {
    return this.namedChildren().length;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const out = this.children().reduce((current, child) => child.forward(current), x);
      // Always a new tensor (an empty Sequential, or children that hand back their input), as callers dispose it.
      return out === x ? x.clone() : out;
    });
  }
}
