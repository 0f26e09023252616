import * as tf from "@tensorflow/tfjs";
import { Module } from "./module";

/** `nn.ReLU` (the `inplace` flag has no meaning for immutable tensors). */
export class ReLU extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.relu(x);
  }

  override toString(): string {
    return "ReLU()";
  }
}
