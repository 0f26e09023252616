/**
 * Top-1 accuracy of a classifier over a loader, in evaluation mode (BatchNorm on running statistics).
 * Kept here so the semi-supervised runs can compare student and teacher on the same batches.
 */
import * as tf from "@tensorflow/tfjs";
import { classifierLogits, type ClassifierModule } from "./model-contract";

/** Batches of `[images, labels]`, e.g. a DataLoader; each batch is disposed after use. */
export type LabeledBatches = AsyncIterable<tf.Tensor[]>;

/** Accuracy (fraction in [0, 1]) of each model on the same batches, in the order given. */
export async function evaluateAccuracy(models: ClassifierModule[], batches: LabeledBatches): Promise<number[]> {
  if (models.length === 0) throw new Error("evaluateAccuracy: pass at least one model");
  const correct = models.map(() => 0);
  let total = 0;
  for (const model of models) model.eval();
  for await (const batch of batches) {
    try {
      const [images, labels] = [batch[0] as tf.Tensor4D, batch[batch.length - 1] as tf.Tensor1D];
      models.forEach((model, index) => {
        correct[index] += tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(classifierLogits(model, images), 1), tf.cast(labels, "int32")), "int32")).dataSync()[0]);
      });
      total += labels.shape[0];
    } finally {
      tf.dispose(batch);
    }
  }
  if (total === 0) throw new Error("evaluateAccuracy: the evaluation loader yielded no images; check the test dataset and batch size");
  return correct.map((count) => count / total);
}
