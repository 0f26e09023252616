/** Class-index inputs (targets, predictions) as plain integer arrays, checked once with a clear message. */
import * as tf from "@tensorflow/tfjs";

export type LabelInput = ArrayLike<number> | tf.Tensor;

/** Reads labels into a number[]; a tf.Tensor is read, not disposed (the caller owns it). */
export function readLabels(labels: LabelInput, argumentName: string, classCount?: number): number[] {
  let values: number[];
  if (labels instanceof tf.Tensor) {
    if (labels.rank !== 1) throw new Error(`${argumentName}: expected a 1-D tensor of class indices, got shape [${labels.shape.join(", ")}] (use argMax(-1) on logits first)`);
    values = Array.from(labels.dataSync());
  } else {
    values = Array.from(labels);
  }
  values.forEach((value, index) => {
    if (!Number.isInteger(value) || value < 0 || (classCount !== undefined && value >= classCount)) {
      const bound = classCount === undefined ? "a non-negative integer" : `an integer in [0, ${classCount - 1}] (one per class name)`;
      throw new Error(`${argumentName}[${index}] = ${value}: each entry must be ${bound}`);
    }
  });
  return values;
}

/** Reads a pair of equally long label lists. */
export function readLabelPair(yTrue: LabelInput, yPred: LabelInput, classCount: number): { truth: number[]; predicted: number[] } {
  const truth = readLabels(yTrue, "yTrue", classCount);
  const predicted = readLabels(yPred, "yPred", classCount);
  if (truth.length !== predicted.length) throw new Error(`yTrue has ${truth.length} labels but yPred has ${predicted.length}: pass one prediction per sample`);
  return { truth, predicted };
}
