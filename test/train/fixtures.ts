/**
 * Small, fast stand-ins for the tests: a two-layer classifier built from kernel-lib/models' Linear, and
 * a synthetic loader of Gaussian clusters that shuffles and adds noise from its own Generator (so a
 * resumed run must restore that generator to repeat its batches).
 */
import * as tf from "@tensorflow/tfjs";
import { Generator } from "../../kernel-lib/data/generator";
import { Linear } from "../../kernel-lib/models/linear";
import { Module } from "../../kernel-lib/models/module";

export class TinyClassifier extends Module {
  fc1: Linear;
  fc2: Linear;

  constructor(inFeatures: number, hidden: number, classes: number, seed = 0) {
    super();
    const generator = new Generator(seed);
    this.fc1 = new Linear(inFeatures, hidden, { generator });
    this.fc2 = new Linear(hidden, classes, { generator });
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.fc2.forward(tf.relu(this.fc1.forward(tf.reshape(x, [x.shape[0], -1])))));
  }
}

/** `count` images of size 2x2x3 in `classes` clusters, shuffled and jittered each epoch. */
export class ClusterLoader {
  readonly generator: Generator;
  private readonly centers: number[][];
  private readonly labels: number[];

  constructor(
    readonly count: number,
    readonly batchSize: number,
    readonly classes = 3,
    seed = 1,
    private readonly noise = 0.6,
  ) {
    const dataGenerator = new Generator(1000 + classes);
    this.centers = Array.from({ length: classes }, () => Array.from({ length: 12 }, () => dataGenerator.normal()));
    this.labels = Array.from({ length: count }, (_, i) => i % classes);
    this.generator = new Generator(seed);
  }

  get length(): number {
    return Math.ceil(this.count / this.batchSize);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<[tf.Tensor4D, tf.Tensor1D]> {
    const order = this.generator.randperm(this.count);
    for (let start = 0; start < this.count; start += this.batchSize) {
      const indices = Array.from(order.subarray(start, start + this.batchSize));
      const pixels = new Float32Array(indices.length * 12);
      indices.forEach((index, row) => {
        for (let k = 0; k < 12; k++) pixels[row * 12 + k] = this.centers[this.labels[index]][k] + this.noise * this.generator.normal();
      });
      await Promise.resolve();
      yield [tf.tensor4d(pixels, [indices.length, 2, 2, 3]), tf.tensor1d(indices.map((i) => this.labels[i]), "int32")];
    }
  }
}

/** A sink that records what a terminal would show. */
export function recordingSink(isTTY: boolean): { write(text: string): void; isTTY: boolean; text(): string } {
  const chunks: string[] = [];
  return { isTTY, write: (text: string) => void chunks.push(text), text: () => chunks.join("") };
}
