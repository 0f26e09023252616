/**
 * A CIFAR-style ResNet (BasicBlocks, 3x3 stem, no maxpool) written directly in TF.js ops, so the engine's
 * tests and benchmark do not depend on kernel-lib/models. BatchNorm in training mode (batch statistics),
 * explicit symmetric padding as in PyTorch. BatchNorm uses batch statistics and updates running ones
 * (momentum 0.1, unbiased variance) in training, and the running ones in inference, like nn.BatchNorm2d.
 */
import * as tf from "@tensorflow/tfjs";

export interface ResNetShape {
  /** Channels of each stage; each stage halves the resolution except the first. */
  widths: number[];
  blocksPerStage: number;
  inChannels: number;
  classes: number;
}

export const cifarResNet18: ResNetShape = { widths: [64, 128, 256, 512], blocksPerStage: 2, inChannels: 3, classes: 10 };


export class OpsResNet {
  readonly variables = new Map<string, tf.Variable>();
  /** Running BatchNorm statistics: state, not trained. */
  readonly buffers = new Map<string, tf.Variable>();

  constructor(readonly shape: ResNetShape, seed: number) {
    let nextSeed = seed;
    const conv = (name: string, size: number, inChannels: number, outChannels: number): void => {
      const std = Math.sqrt(2 / (size * size * outChannels));
      this.variables.set(name, tf.variable(tf.randomNormal([size, size, inChannels, outChannels], 0, std, "float32", nextSeed++), true, name));
    };
    const norm = (name: string, channels: number): void => {
      this.variables.set(`${name}.gamma`, tf.variable(tf.ones([channels]), true, `${name}.gamma`));
      this.variables.set(`${name}.beta`, tf.variable(tf.zeros([channels]), true, `${name}.beta`));
      this.buffers.set(`${name}.runningMean`, tf.variable(tf.zeros([channels]), false, `${name}.runningMean`));
      this.buffers.set(`${name}.runningVar`, tf.variable(tf.ones([channels]), false, `${name}.runningVar`));
    };
    conv("stem.conv", 3, shape.inChannels, shape.widths[0]);
    norm("stem.bn", shape.widths[0]);
    let channels = shape.widths[0];
    shape.widths.forEach((width, stage) => {
      for (let block = 0; block < shape.blocksPerStage; block++) {
        const prefix = `stage${stage}.block${block}`;
        const stride = stage > 0 && block === 0 ? 2 : 1;
        conv(`${prefix}.conv1`, 3, channels, width);
        norm(`${prefix}.bn1`, width);
        conv(`${prefix}.conv2`, 3, width, width);
        norm(`${prefix}.bn2`, width);
        if (stride !== 1 || channels !== width) {
          conv(`${prefix}.downsample.conv`, 1, channels, width);
          norm(`${prefix}.downsample.bn`, width);
        }
        channels = width;
      }
    });
    this.variables.set("fc.weight", tf.variable(tf.randomNormal([channels, shape.classes], 0, 1 / Math.sqrt(channels), "float32", nextSeed++), true, "fc.weight"));
    this.variables.set("fc.bias", tf.variable(tf.zeros([shape.classes]), true, "fc.bias"));
  }

  private variable(name: string): tf.Variable {
    const found = this.variables.get(name) ?? this.buffers.get(name);
    if (!found) throw new Error(`no variable ${name}`);
    return found;
  }

  private conv(x: tf.Tensor4D, name: string, stride: number): tf.Tensor4D {
    const filter = this.variable(name) as tf.Variable<tf.Rank.R4>;
    const pad = (filter.shape[0] - 1) / 2;
    return tf.conv2d(x, filter, stride, [[0, 0], [pad, pad], [pad, pad], [0, 0]]);
  }

  private batchNorm(x: tf.Tensor4D, name: string): tf.Tensor4D {
    const gamma = this.variable(`${name}.gamma`);
    const beta = this.variable(`${name}.beta`);
    const runningMean = this.variable(`${name}.runningMean`);
    const runningVar = this.variable(`${name}.runningVar`);
    if (!this.training) return tf.batchNorm(x, runningMean, runningVar, beta, gamma, 1e-5) as tf.Tensor4D;
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    if (this.updateRunningStatistics) {
      const count = x.shape[0] * x.shape[1] * x.shape[2];
      tf.tidy(() => {
        runningMean.assign(tf.add(tf.mul(runningMean, 0.9), tf.mul(mean, 0.1)));
        runningVar.assign(tf.add(tf.mul(runningVar, 0.9), tf.mul(variance, 0.1 * count / Math.max(count - 1, 1))));
      });
    }
    return tf.batchNorm(x, mean, variance, beta, gamma, 1e-5) as tf.Tensor4D;
  }

  /** Batch statistics (true) or running statistics (false) in BatchNorm. */
  training = true;
  /** Off while computing gradients that are compared across backends (the update is not differentiable). */
  updateRunningStatistics = true;

  forward(images: tf.Tensor4D): tf.Tensor2D {
    let x = tf.relu(this.batchNorm(this.conv(images, "stem.conv", 1), "stem.bn"));
    let channels = this.shape.widths[0];
    this.shape.widths.forEach((width, stage) => {
      for (let block = 0; block < this.shape.blocksPerStage; block++) {
        const prefix = `stage${stage}.block${block}`;
        const stride = stage > 0 && block === 0 ? 2 : 1;
        const main = this.batchNorm(this.conv(tf.relu(this.batchNorm(this.conv(x, `${prefix}.conv1`, stride), `${prefix}.bn1`)), `${prefix}.conv2`, 1), `${prefix}.bn2`);
        const shortcut = stride !== 1 || channels !== width ? this.batchNorm(this.conv(x, `${prefix}.downsample.conv`, stride), `${prefix}.downsample.bn`) : x;
        x = tf.relu(tf.add(main, shortcut)) as tf.Tensor4D;
        channels = width;
      }
    });
    const pooled = tf.mean(x, [1, 2]) as tf.Tensor2D;
    return tf.add(tf.matMul(pooled, this.variable("fc.weight") as tf.Variable<tf.Rank.R2>), this.variable("fc.bias"));
  }

  loss(images: tf.Tensor4D, labels: tf.Tensor1D): tf.Scalar {
    const logits = this.forward(images);
    return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, this.shape.classes), logits) as tf.Scalar;
  }

  /** Parameter values, to copy a model between backends. */
  snapshot(): Map<string, Float32Array> {
    const values = new Map<string, Float32Array>();
    for (const [name, variable] of this.variables) values.set(name, variable.dataSync() as Float32Array);
    return values;
  }

  load(values: Map<string, Float32Array>): void {
    for (const [name, variable] of this.variables) {
      const value = values.get(name);
      if (value) variable.assign(tf.tensor(value, variable.shape));
    }
  }

  dispose(): void {
    for (const variable of [...this.variables.values(), ...this.buffers.values()]) variable.dispose();
  }
}
