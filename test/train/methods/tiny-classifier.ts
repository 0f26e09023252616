/**
 * A small convolutional classifier with the structural model contract (forward/train/eval,
 * namedParameters, namedBuffers) and a real BatchNorm, so the method tests exercise running
 * statistics without waiting for a ResNet on the cpu backend.
 * conv3x3(3→channels) → BatchNorm (PyTorch semantics: momentum 0.1, unbiased running var) → ReLU →
 * global average pool → linear(channels→classes).
 */
import * as tf from "@tensorflow/tfjs";
import type { ClassifierModule, NamedGradientOptimizer } from "../../../kernel-lib/train/methods";

let nextModelId = 0;

export class TinyClassifier implements ClassifierModule {
  training = true;
  readonly convWeight: tf.Variable;
  readonly bnWeight: tf.Variable;
  readonly bnBias: tf.Variable;
  readonly fcWeight: tf.Variable;
  readonly fcBias: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  readonly batchesTracked: tf.Variable;

  constructor(classes: number, channels = 6, seed = 1) {
    const id = `tiny${nextModelId++}`;
    const variable = (value: tf.Tensor, name: string, trainable = true): tf.Variable => tf.variable(value, trainable, `${id}.${name}`);
    this.convWeight = variable(tf.randomNormal([3, 3, 3, channels], 0, 0.3, "float32", seed), "conv.weight");
    this.bnWeight = variable(tf.ones([channels]), "bn.weight");
    this.bnBias = variable(tf.zeros([channels]), "bn.bias");
    this.fcWeight = variable(tf.randomNormal([channels, classes], 0, 0.3, "float32", seed + 1), "fc.weight");
    this.fcBias = variable(tf.zeros([classes]), "fc.bias");
    this.runningMean = variable(tf.zeros([channels]), "bn.running_mean", false);
    this.runningVar = variable(tf.ones([channels]), "bn.running_var", false);
    this.batchesTracked = variable(tf.scalar(0, "int32"), "bn.num_batches_tracked", false);
  }

  forward(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      const features = tf.conv2d(images, this.convWeight as tf.Tensor4D, 1, "same");
      let normalized: tf.Tensor4D;
      if (this.training) {
        const { mean, variance } = tf.moments(features, [0, 1, 2]);
        const count = features.size / features.shape[3];
        this.runningMean.assign(tf.add(tf.mul(this.runningMean, 0.9), tf.mul(mean, 0.1)));
        this.runningVar.assign(tf.add(tf.mul(this.runningVar, 0.9), tf.mul(variance, 0.1 * count / (count - 1))));
        this.batchesTracked.assign(tf.add(this.batchesTracked, tf.scalar(1, "int32")));
        normalized = tf.batchNorm(features, mean, variance, this.bnBias, this.bnWeight, 1e-5) as tf.Tensor4D;
      } else {
        normalized = tf.batchNorm(features, this.runningMean, this.runningVar, this.bnBias, this.bnWeight, 1e-5) as tf.Tensor4D;
      }
      const pooled = tf.mean(tf.relu(normalized), [1, 2]) as tf.Tensor2D;
      return tf.add(tf.matMul(pooled, this.fcWeight as tf.Tensor2D), this.fcBias) as tf.Tensor2D;
    });
  }

  train(mode = true): this {
    this.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  namedParameters(): [string, tf.Variable][] {
    return [["conv.weight", this.convWeight], ["bn.weight", this.bnWeight], ["bn.bias", this.bnBias], ["fc.weight", this.fcWeight], ["fc.bias", this.fcBias]];
  }

  namedBuffers(): [string, tf.Variable][] {
    return [["bn.running_mean", this.runningMean], ["bn.running_var", this.runningVar], ["bn.num_batches_tracked", this.batchesTracked]];
  }

  dispose(): void {
    tf.dispose([...this.namedParameters(), ...this.namedBuffers()].map(([, variable]) => variable));
  }
}

/** Plain SGD (no momentum) that records which parameter names it was given gradients for. */
export class RecordingSgd implements NamedGradientOptimizer {
  readonly seenNames: string[][] = [];
  constructor(private readonly parameters: [string, tf.Variable][], private readonly learningRate: number) {}

  step(namedGrads: Record<string, tf.Tensor>): void {
    this.seenNames.push(Object.keys(namedGrads).sort());
    const byName = new Map(this.parameters);
    tf.tidy(() => {
      for (const [name, gradient] of Object.entries(namedGrads)) {
        const parameter = byName.get(name);
        if (!parameter) throw new Error(`RecordingSgd: no parameter ${name}`);
        parameter.assign(tf.sub(parameter, tf.mul(gradient, this.learningRate)));
      }
    });
  }
}

/** Copies of all variable values, to compare before/after a step. */
export function snapshot(entries: [string, tf.Variable][]): Map<string, Float32Array | Int32Array> {
  return new Map(entries.map(([name, variable]) => [name, variable.dataSync().slice() as Float32Array | Int32Array]));
}
