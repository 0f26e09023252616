/**
 * Loss, accuracy and metrics of a model over a whole loader in eval mode (no gradients, batches freed as
 * they go). Leaves the model in eval mode, like a PyTorch validation loop; `fit` switches back.
 */
import * as tf from "@tensorflow/tfjs";
import type { MetricFunction } from "./accuracy";
import { crossEntropy, type LossFunction } from "./cross-entropy";
import { readNumbers, type BatchResult } from "./train-step";
import type { TrainableModule } from "./trainable-module";

/** A loader as the training loop sees it: batches of NHWC images and int labels, `length` batches. */
export interface BatchSource {
  readonly length: number;
  [Symbol.asyncIterator](): AsyncIterator<[tf.Tensor4D, tf.Tensor1D]>;
}

export interface EvaluationResult {
  loss: number;
  accuracy: number;
  metrics: Record<string, number>;
  images: number;
  seconds: number;
}

export async function evaluate(
  model: TrainableModule,
  loader: BatchSource,
  options: { loss?: LossFunction; metrics?: Record<string, MetricFunction> } = {},
): Promise<EvaluationResult> {
  const lossFunction = options.loss ?? crossEntropy;
  const started = performance.now();
  model.eval();
  const totals = new RunningMeans();
  for await (const batch of loader) {
    const [images, labels] = batch;
    try {
      let result: BatchResult | undefined;
      tf.tidy(() => {
        const logits = model.forward(images);
        result = readNumbers(lossFunction(logits, labels), logits, labels, options.metrics);
      });
      if (result === undefined) throw new Error("evaluate: internal error, no batch result");
      totals.add(result.batchSize, { loss: result.loss, accuracy: result.accuracy, ...result.metrics });
    } finally {
      tf.dispose(batch);
    }
  }
  if (totals.count === 0) throw new Error("evaluate: the loader yielded no batches; check the dataset is not empty");
  const { loss, accuracy, ...metrics } = totals.means();
  return { loss, accuracy, metrics, images: totals.count, seconds: (performance.now() - started) / 1000 };
}

/** Sample-weighted means of named per-batch values. */
export class RunningMeans {
  count = 0;
  private sums: Record<string, number> = {};

  add(batchSize: number, values: Record<string, number>): void {
    this.count += batchSize;
    for (const [name, value] of Object.entries(values)) this.sums[name] = (this.sums[name] ?? 0) + value * batchSize;
  }

  /** The raw sums, for saving a half-finished epoch into a checkpoint. */
  sumsSnapshot(): Record<string, number> {
    return { ...this.sums };
  }

  restoreSums(sums: Record<string, number>): void {
    this.sums = { ...sums };
  }

  means(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.sums).map(([name, sum]) => [name, sum / this.count]));
  }
}
