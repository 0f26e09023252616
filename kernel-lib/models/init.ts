import * as tf from "@tensorflow/tfjs";
import { Generator } from "../data/generator";

/**
 * Seeded weight initialisation, the analogue of `torch.manual_seed` + `torch.nn.init`. Layers draw
 * from one shared generator (PyTorch's global one) unless given their own, so
 * `manualSeed(0); resnet18()` builds the same weights every run. The streams differ from PyTorch's:
 * equal seeds do not give torchvision's numbers, only the same distributions.
 */
let globalGenerator = new Generator(0);

export function manualSeed(seed: number): void {
  globalGenerator = new Generator(seed);
}

export function defaultGenerator(): Generator {
  return globalGenerator;
}

function fill(size: number, draw: () => number): Float32Array {
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = draw();
  return values;
}

/** `nn.init.kaiming_normal_(mode="fan_out", nonlinearity="relu")`: std = sqrt(2 / fan_out). */
export function kaimingNormalFanOut(shape: number[], fanOut: number, generator = globalGenerator): tf.Tensor {
  const std = Math.sqrt(2 / fanOut);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(fill(size, () => generator.normal(0, std)), shape, "float32");
}

/**
 * Uniform in [-1/sqrt(fan_in), 1/sqrt(fan_in)]: what `kaiming_uniform_(a=sqrt(5))` reduces to, the
 * default for Conv2d and Linear weights and biases in PyTorch.
 */
export function defaultUniform(shape: number[], fanIn: number, generator = globalGenerator): tf.Tensor {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(fill(size, () => generator.uniform(-bound, bound)), shape, "float32");
}

/** A trainable variable holding `initial`'s values; `initial` is disposed (tf.variable copies). */
export function ownedVariable(initial: tf.Tensor, trainable = true): tf.Variable {
  const variable = tf.variable(initial, trainable);
  initial.dispose();
  return variable;
}
