/**
 * Per-sample predictions in eval mode: what a confusion matrix, a top-losses grid and a "predict one new
 * image" cell need (`evaluate` only keeps the means). Losses are per-sample cross-entropy, i.e. PyTorch's
 * `F.cross_entropy(logits, labels, reduction="none")`.
 */
import * as tf from "@tensorflow/tfjs";
import type { Image } from "../data/image";
import { applyTransform, type TransformLike } from "../data/transforms/transform";
import type { BatchSource } from "./evaluate";
import type { TrainableModule } from "./trainable-module";

export interface Predictions {
  /** argmax class per sample, in loader order. */
  predictions: number[];
  targets: number[];
  /** Cross-entropy of each sample. */
  losses: number[];
  /** Softmax probabilities per sample. */
  probabilities: number[][];
  /** Fraction of correct predictions. */
  accuracy: number;
}

/** Runs the model over every batch (freed as it goes) and keeps the per-sample results. */
export async function predict(model: TrainableModule, loader: BatchSource): Promise<Predictions> {
  model.eval();
  const result: Predictions = { predictions: [], targets: [], losses: [], probabilities: [], accuracy: Number.NaN };
  for await (const batch of loader) {
    try {
      const [images, labels] = batch;
      const [logProbabilities, targets] = tf.tidy(() => {
        const logits = model.forward(images);
        if (logits.rank !== 2) throw new Error(`predict: the model returned shape [${logits.shape.join(", ")}]; expected [batch, classes] logits`);
        return [tf.logSoftmax(logits).arraySync() as number[][], Array.from(labels.dataSync())];
      });
      logProbabilities.forEach((row, index) => {
        const target = targets[index];
        if (!(target >= 0 && target < row.length)) throw new Error(`predict: label ${target} is outside the model's ${row.length} classes`);
        let best = 0;
        for (let c = 1; c < row.length; c++) if (row[c] > row[best]) best = c;
        result.predictions.push(best);
        result.targets.push(target);
        result.losses.push(-row[target]);
        result.probabilities.push(row.map(Math.exp));
      });
    } finally {
      tf.dispose(batch);
    }
  }
  if (result.targets.length === 0) throw new Error("predict: the loader yielded no batches; check the dataset is not empty");
  result.accuracy = result.predictions.filter((p, index) => p === result.targets[index]).length / result.targets.length;
  return result;
}

export interface ClassProbability {
  classIndex: number;
  className: string;
  probability: number;
}

/**
 * Classifies one decoded image: applies the evaluation transform (e.g. Resize + CenterCrop + ToTensor +
 * Normalize), runs the model in eval mode, and returns the `topK` classes, most probable first.
 */
export function predictImage(
  model: TrainableModule,
  image: Image,
  transform: TransformLike<Image, Image>,
  classNames: readonly string[],
  topK = classNames.length,
): ClassProbability[] {
  const input = applyTransform(transform, image);
  if (input.pixelType !== "float32") throw new Error("predictImage: the transform must end with ToTensor() (and Normalize), like the validation transform");
  model.eval();
  const probabilities = tf.tidy(() => {
    const logits = model.forward(tf.tensor4d(input.data, [1, input.height, input.width, input.channels], "float32"));
    return Array.from(tf.softmax(logits).dataSync());
  });
  if (probabilities.length !== classNames.length) {
    throw new Error(`predictImage: the model has ${probabilities.length} outputs but ${classNames.length} class names were given; pass dataset.classes of the data it was trained on`);
  }
  return probabilities
    .map((probability, classIndex) => ({ classIndex, className: classNames[classIndex], probability }))
    .sort((a, b) => b.probability - a.probability || a.classIndex - b.classIndex)
    .slice(0, Math.max(1, topK));
}
